// Fully connected layers (Gemm with constant weights) with a few rows, on the cpu
// backend's own kernel (kernels_fc.cpp) instead of oneDNN's matmul: between
// kSmallBatchFcMinRows and kSmallBatchFcMaxRows rows, where the layer is bound by
// reading its weights and oneDNN 2.6 reads them slowly.
#pragma once
#include <cstdint>
#include <optional>

#include "backends/cpu/segment_compiler.h"
#include "ops/activation.h"
#include "tandem/tensor.h"

namespace tandem::cpu {

// Up to 3 rows oneDNN's matrix-vector path is as fast (dnnl_gemm.cpp); at 16 rows the
// two take about the same time, beyond it oneDNN's blocked matmul is the better one.
constexpr int64_t kSmallBatchFcMinRows = 4, kSmallBatchFcMaxRows = 16;

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
