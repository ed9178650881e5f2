// Winograd F(2x2, 3x3) for stride-1 3x3 convolutions on tensors read as vectors of 8
// channels (blocked by 8 channels, or channels last): Y = A^T [(G g G^T) . (B^T d B)] A per 2x2 output tile, so a 3x3 conv
// becomes 16 matrix products (one per point of the 4x4 transformed tile) with 2.25x
// fewer multiply-adds than the direct method. oneDNN 2.6 has Winograd only for
// AVX-512; these transforms are the parts around the products (done by oneDNN matmul).
//   V[16][T][C]  transformed input tiles (T tiles)
//   U[16][C][M]  transformed weights
//   P[16][T][M]  products V[k] x U[k]
#pragma once
#include <cstdint>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/vector_conv.h"
#include "tandem/tensor.h"

namespace tandem::cpu {

inline constexpr int64_t kWinogradPoints = 16;

// Tiles of 2x2 outputs covering (N, OH, OW), the input window they read, and the
// layouts of input and output.
struct WinogradGeometry {
  int64_t batch = 0, in_channels = 0, out_channels = 0;
  int64_t in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t pad_top = 0, pad_left = 0;
  VectorStrides in, out;
  int64_t tiles_h() const { return (out_h + 1) / 2; }
  int64_t tiles_w() const { return (out_w + 1) / 2; }
  int64_t tiles() const { return batch * tiles_h() * tiles_w(); }
};

// w: (M, C, 3, 3) -> U: (16, C, M).
Tensor winograd_weights(const Tensor& w);

// Tiles [first, last) of x (N, C, H, W, laid out as g.in says) into V.
void winograd_input(const WinogradGeometry& g, const float* x, float* v, int64_t first, int64_t last);

// Tiles [first, last) of P into y (N, M, OH, OW, laid out as g.out says), adding `bias` (M floats or
// null) and applying `post` in order (AddResidual reads y's previous contents).
void winograd_output(const WinogradGeometry& g, const float* p, const float* bias,
                     const std::vector<FusedPostOp>& post, float* y, int64_t first, int64_t last);

}  // namespace tandem::cpu
