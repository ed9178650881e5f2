// Fully connected layers (Gemm with constant weights) with a few rows, on the cpu
// backend's own kernel (kernels_fc.cpp) instead of oneDNN's matmul: from
// kSmallBatchFcMinRows to small_batch_fc_max_rows() rows, where the layer is bound by
// reading its weights and oneDNN 2.6 reads them slowly.
#pragma once
#include <cstdint>
#include <optional>

#include "backends/cpu/segment_compiler.h"
#include "ops/activation.h"
#include "tandem/tensor.h"

namespace tandem::cpu {

// Up to 3 rows oneDNN's matrix-vector path is as fast (dnnl_gemm.cpp; at 2 and 3 rows
// the AVX-512 kernel measured the same). Beyond the maximum oneDNN's blocked matmul is
// the better one: with the AVX2 kernel beyond 16 rows, with the AVX-512 one beyond 24
// (a temporary build that ran up to 64 rows here was level with oneDNN at 32 rows on
// AlexNet's fc6 and far slower at 64).
constexpr int64_t kSmallBatchFcMinRows = 4;
int64_t small_batch_fc_max_rows();

// Y (M, N) = act(A (M, K) W^T + bias).
struct FcGeometry {
  int64_t m = 0, n = 0, k = 0;
  Activation activation;
};

struct SmallBatchFc {
  FcGeometry geometry;
  Tensor weights;              // W (N, K), alpha folded in
  std::optional<Tensor> bias;  // (N)
};

// Adds the kernel computing Y (plain (M, N)) from A (plain (M, K)).
void push_small_batch_fc(SegmentCompiler& c, const SmallBatchFc& fc, const TensorRef& a, const TensorRef& y);

}  // namespace tandem::cpu
