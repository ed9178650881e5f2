// Winograd F(2x2, 3x3) transforms (see winograd.h). Eight channels form one vector
// (vector_lanes.h); the tile loops are compiled for AVX2 and for baseline x86-64.
#include "backends/cpu/winograd.h"

#include "backends/cpu/vector_lanes.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kBlock = kVectorLanes;

// (t0, t1, t2, t3) <- B^T (d0, d1, d2, d3), B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].
inline void input_rows(const Lanes* d, int64_t stride, Lanes* t, int64_t t_stride) {
  Lanes d0 = d[0], d1 = d[stride], d2 = d[2 * stride], d3 = d[3 * stride];
  t[0] = d0 - d2;
  t[t_stride] = d1 + d2;
  t[2 * t_stride] = d2 - d1;
  t[3 * t_stride] = d1 - d3;
}

// (s0, s1) <- A^T (m0, m1, m2, m3), A^T = [1 1 1 0; 0 1 -1 -1].
inline void output_rows(const Lanes* m, int64_t stride, Lanes* s, int64_t s_stride) {
  Lanes m0 = m[0], m1 = m[stride], m2 = m[2 * stride], m3 = m[3 * stride];
  s[0] = m0 + m1 + m2;
  s[s_stride] = m1 - m2 - m3;
}

// Tile t -> (image, tile row, tile column).
struct TilePosition {
  int64_t n, th, tw;
};

TilePosition tile_position(const WinogradGeometry& g, int64_t t) {
  int64_t per_image = g.tiles_h() * g.tiles_w();
  return {t / per_image, t % per_image / g.tiles_w(), t % g.tiles_w()};
}

}  // namespace

Tensor winograd_weights(const Tensor& w) {
  const int64_t m_count = w.dim(0), c_count = w.dim(1);
  Tensor u(DType::f32, {kWinogradPoints, c_count, m_count});
  const float* src = w.data<float>();
  float* dst = u.data<float>();
  for (int64_t m = 0; m < m_count; ++m)
    for (int64_t c = 0; c < c_count; ++c) {
      const float* g = src + (m * c_count + c) * 9;
      float t[4][3];  // G g, G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1]
      for (int j = 0; j < 3; ++j) {
        t[0][j] = g[j];
        t[1][j] = 0.5f * (g[j] + g[3 + j] + g[6 + j]);
        t[2][j] = 0.5f * (g[j] - g[3 + j] + g[6 + j]);
        t[3][j] = g[6 + j];
      }
      for (int i = 0; i < 4; ++i) {  // (G g) G^T
        float r[4] = {t[i][0], 0.5f * (t[i][0] + t[i][1] + t[i][2]), 0.5f * (t[i][0] - t[i][1] + t[i][2]), t[i][2]};
        for (int j = 0; j < 4; ++j) dst[((i * 4 + j) * c_count + c) * m_count + m] = r[j];
      }
    }
  return u;
}

TANDEM_TARGET_CLONES void winograd_input(const WinogradGeometry& g, const float* x, float* v, int64_t first,
                                         int64_t last) {
  const int64_t blocks = g.in_channels / kBlock, tiles = g.tiles(), point_stride = tiles * g.in_channels;
  for (int64_t t = first; t < last; ++t) {
    TilePosition p = tile_position(g, t);
    const int64_t h0 = 2 * p.th - g.pad_top, w0 = 2 * p.tw - g.pad_left;
    const bool inside = h0 >= 0 && w0 >= 0 && h0 + 4 <= g.in_h && w0 + 4 <= g.in_w;
    for (int64_t b = 0; b < blocks; ++b) {
      const float* plane = x + p.n * g.in.image + b * g.in.block;
      Lanes d[16], rows[16];
      for (int64_t i = 0; i < 4; ++i)
        for (int64_t j = 0; j < 4; ++j) {
          int64_t h = h0 + i, w = w0 + j;
          bool valid = inside || (h >= 0 && h < g.in_h && w >= 0 && w < g.in_w);
          d[i * 4 + j] = valid ? load_lanes(plane + h * g.in.row + w * g.in.column) : Lanes{};
        }
      for (int64_t j = 0; j < 4; ++j) input_rows(d + j, 4, rows + j, 4);       // B^T d
      for (int64_t i = 0; i < 4; ++i) input_rows(rows + i * 4, 1, d + i * 4, 1);  // (B^T d) B
      float* out = v + t * g.in_channels + b * kBlock;
      for (int64_t k = 0; k < kWinogradPoints; ++k) store_lanes(out + k * point_stride, d[k]);
    }
  }
}

TANDEM_TARGET_CLONES void winograd_output(const WinogradGeometry& g, const float* p, const float* bias,
                                          const std::vector<FusedPostOp>& post, float* y, int64_t first,
                                          int64_t last) {
  const int64_t blocks = g.out_channels / kBlock, tiles = g.tiles(), point_stride = tiles * g.out_channels;
  for (int64_t t = first; t < last; ++t) {
    TilePosition pos = tile_position(g, t);
    for (int64_t b = 0; b < blocks; ++b) {
      const float* in = p + t * g.out_channels + b * kBlock;
      Lanes m[16], rows[8], out[4];
      for (int64_t k = 0; k < kWinogradPoints; ++k) m[k] = load_lanes(in + k * point_stride);
      for (int64_t j = 0; j < 4; ++j) output_rows(m + j, 4, rows + j, 4);       // A^T m: 2 x 4
      for (int64_t i = 0; i < 2; ++i) output_rows(rows + i * 4, 1, out + i * 2, 1);  // (A^T m) A: 2 x 2
      Lanes shift = bias ? load_lanes(bias + b * kBlock) : Lanes{};
      float* plane = y + pos.n * g.out.image + b * g.out.block;
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          int64_t h = 2 * pos.th + i, w = 2 * pos.tw + j;
          if (h >= g.out_h || w >= g.out_w) continue;
          float* dst = plane + h * g.out.row + w * g.out.column;
          Lanes sum = out[i * 2 + j] + shift;
          apply_post_ops(post, &sum, 1, dst, 0);
        }
    }
  }
}

}  // namespace tandem::cpu
