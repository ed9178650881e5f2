// LRN across channels, ONNX's formula (ops/lrn.cpp), in the layout the input is held
// in: plain, blocked by 8 channels or channels last. The positions (batch item and
// spatial point) are split across the device's threads; each position gathers its C
// channels, sums the squares in every channel's window and scatters the results.
// oneDNN 2.6's LRN, used before, runs on one thread: AlexNet's first LRN (96 x 55 x
// 55) took 612 µs there and 151-158 µs here on the 2-core AVX-512 development VM
// (`tandem run alexnet_lrn --layers`, 2026-12-07, commits 7071bf4 and 7dfb9f7).
#include <algorithm>
#include <cmath>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backends/cpu/lowering.h"
#include "backends/cpu/vector_isa.h"

namespace tandem::cpu {

namespace {

// Where channel c of position p lives, in floats from the tensor's start, for the
// three layouts: item(p) + point(p) + (c / 8) * block_stride + (c % 8) * lane_stride.
struct ChannelLayout {
  int64_t points = 1;         // spatial points per batch item
  int64_t item_stride = 0;    // between batch items
  int64_t point_stride = 0;   // between spatial points
  int64_t block_stride = 0;   // between blocks of 8 channels
  int64_t lane_stride = 0;    // between channels of one block
  int64_t channels = 0, padded_channels = 0;  // blocked8 pads C to a multiple of 8 (zeros)

  int64_t position(int64_t p) const { return p / points * item_stride + p % points * point_stride; }
};

ChannelLayout channel_layout(DenseLayout layout, const Shape& shape) {
  ChannelLayout l;
  l.channels = l.padded_channels = shape[1];
  for (size_t d = 2; d < shape.size(); ++d) l.points *= shape[d];
  switch (layout) {
    case DenseLayout::Plain:
      l.item_stride = l.channels * l.points, l.point_stride = 1, l.lane_stride = l.points;
      l.block_stride = 8 * l.points;
      break;
    case DenseLayout::Blocked8:
      l.padded_channels = (l.channels + 7) / 8 * 8;
      l.item_stride = l.padded_channels * l.points, l.point_stride = 8, l.lane_stride = 1;
      l.block_stride = 8 * l.points;
      break;
    case DenseLayout::ChannelsLast:
      l.item_stride = l.channels * l.points, l.point_stride = l.channels, l.lane_stride = 1, l.block_stride = 8;
      break;
  }
  return l;
}

struct LrnFormula {
  int64_t before = 0, after = 0;  // window: channels [c - before, c + after]
  float bias = 1, scale = 1, beta = 0.75f;  // scale = alpha / size
};

// values[c] *= (bias + scale * sums[c])^-beta, in plain C++.
struct ScalarFactors {
  const LrnFormula& f;
  void operator()(const float* sums, float* values, int64_t count) const {
    for (int64_t c = 0; c < count; ++c) values[c] *= std::pow(f.bias + f.scale * sums[c], -f.beta);
  }
};

#if defined(__x86_64__)
// The same with AVX2 for beta 0.75 (AlexNet's, ONNX's default): b^-0.75 = r^2 / sqrt(r)
// with r = 1 / sqrt(b), both reciprocal roots by rsqrt and one Newton step (relative
// error about 1e-7, as the division and roots it replaces).
struct Avx2Factors {
  const LrnFormula& f;
  __attribute__((target("avx2,fma"), always_inline)) static inline __m256 reciprocal_root(__m256 b) {
    const __m256 r = _mm256_rsqrt_ps(b);  // r * (1.5 - 0.5 * b * r * r)
    const __m256 half_b_r = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), b), r);
    return _mm256_mul_ps(r, _mm256_fnmadd_ps(half_b_r, r, _mm256_set1_ps(1.5f)));
  }
  __attribute__((target("avx2,fma"))) void operator()(const float* sums, float* values, int64_t count) const {
    if (f.beta != 0.75f) return ScalarFactors{f}(sums, values, count);
    int64_t c = 0;
    for (; c + 8 <= count; c += 8) {
      const __m256 b = _mm256_fmadd_ps(_mm256_set1_ps(f.scale), _mm256_loadu_ps(sums + c), _mm256_set1_ps(f.bias));
      const __m256 r = reciprocal_root(b);
      const __m256 factor = _mm256_mul_ps(_mm256_mul_ps(r, r), reciprocal_root(r));
      _mm256_storeu_ps(values + c, _mm256_mul_ps(_mm256_loadu_ps(values + c), factor));
    }
    ScalarFactors{f}(sums + c, values + c, count - c);
  }
};
#endif

// Positions [first, last). Per position its C channels are gathered into `values`,
// their squares into `squares` between `before` and `after` zeros (so that every
// window has the same taps), the window sums into `sums`; `factors` scales the values,
// which are scattered back.
template <class Factors>
__attribute__((always_inline)) inline void lrn_positions_with(const Factors& factors, const ChannelLayout& l,
                                                             const float* x, float* y, int64_t first, int64_t last) {
  const LrnFormula& f = factors.f;
  const int64_t count = l.channels, window = f.before + f.after + 1;
  const bool contiguous = l.lane_stride == 1 && l.block_stride == 8;  // channels last
  std::vector<float> values(static_cast<size_t>(count)), sums(values.size());
  std::vector<float> squares(static_cast<size_t>(count + window - 1), 0.0f);
  float* padded = squares.data() + f.before;
  for (int64_t p = first; p < last; ++p) {
    const float* in = x + l.position(p);
    float* out = y + l.position(p);
    if (contiguous) {
      std::copy(in, in + count, values.begin());
    } else {
      for (int64_t c = 0; c < count; ++c) values[size_t(c)] = in[c / 8 * l.block_stride + c % 8 * l.lane_stride];
    }
    for (int64_t c = 0; c < count; ++c) padded[c] = values[size_t(c)] * values[size_t(c)];
    std::fill(sums.begin(), sums.end(), 0.0f);
    for (int64_t k = 0; k < window; ++k)
      for (int64_t c = 0; c < count; ++c) sums[size_t(c)] += squares[size_t(c + k)];
    factors(sums.data(), values.data(), count);
    if (contiguous) {
      std::copy(values.begin(), values.end(), out);
      continue;
    }
    for (int64_t c = 0; c < l.padded_channels; ++c)
      out[c / 8 * l.block_stride + c % 8 * l.lane_stride] = c < count ? values[size_t(c)] : 0.0f;
  }
}

void lrn_positions_generic(const LrnFormula& f, const ChannelLayout& l, const float* x, float* y, int64_t first,
                           int64_t last) {
  lrn_positions_with(ScalarFactors{f}, l, x, y, first, last);
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) void lrn_positions_avx2(const LrnFormula& f, const ChannelLayout& l,
                                                           const float* x, float* y, int64_t first, int64_t last) {
  lrn_positions_with(Avx2Factors{f}, l, x, y, first, last);
}
#endif

using LrnPositions = void (*)(const LrnFormula& f, const ChannelLayout& l, const float* x, float* y, int64_t first,
                              int64_t last);

LrnPositions lrn_positions(VectorIsa isa) {
#if defined(__x86_64__)
  if (isa >= VectorIsa::Avx2) return lrn_positions_avx2;
#endif
  return lrn_positions_generic;
}

}  // namespace

void lower_lrn(SegmentCompiler& c, const Node& node) {
  const Shape& shape = c.graph().value(node.inputs[0]).shape;  // x, y: (N, C, D1..Dk), k = 1..3
  int64_t size = node.attrs.get_int("size", 1);
  LrnFormula f;
  // Taps beyond the channels add nothing: a window wider than C is cut to C - 1 each
  // side (the scale keeps the real size), so a huge size costs no memory.
  f.before = std::min((size - 1) / 2, shape[1] - 1), f.after = std::min(size - 1 - (size - 1) / 2, shape[1] - 1);
  f.scale = node.attrs.get_float("alpha", 1e-4f) / static_cast<float>(size);
  f.beta = node.attrs.get_float("beta", 0.75f), f.bias = node.attrs.get_float("bias", 1.0f);
  TensorRef src = c.input(node.inputs[0]);
  std::optional<DenseLayout> layout = dense_layout(src.md);
  if (!layout) src = c.plain(node.inputs[0]), layout = DenseLayout::Plain;
  const ChannelLayout l = channel_layout(*layout, shape);
  TensorRef dst = c.output(node.outputs[0], *same_layout(src.md, shape));
  const int64_t positions = shape[0] * l.points;
  const int tasks = c.tasks();
  const LrnPositions run = lrn_positions(kernel_isa());
  c.push_kernel(
      [run, f, l, src, dst, positions, tasks](const RunContext& ctx) {
        const float* x = ctx.data<float>(src);
        float* y = ctx.data<float>(dst);
        run_ranges(ctx.pool, tasks, positions, [&](int64_t first, int64_t last) { run(f, l, x, y, first, last); });
      },
      {src, dst});
}

}  // namespace tandem::cpu
