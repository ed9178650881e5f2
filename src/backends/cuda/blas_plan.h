// The plans of the cuBLAS lowerings (cublas_gemm.cpp, cublas_matmul.cpp) as plain
// data: which cuBLAS products compute a Gemm or MatMul node, with what transposes,
// leading dims, offsets and batch strides, and how Gemm's C joins the product. Free
// of CUDA types so that host tests can check the plans against the reference ops.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/graph.h"
#include "tandem/tensor.h"

namespace tandem::cuda {

// One cuBLAS product in cuBLAS's column-major terms, for `batch` matrices at once:
//   C (m x n) = alpha * op(A) (m x k) * op(B) (k x n) + beta * C
// op(X) is X transposed when trans_* is set. A, B and C start `offset_*` elements
// into their buffers and matrix i at i * stride_* further (stride 0: every product
// reads the same matrix). A row-major product Y = P Q is run as Y^T = Q^T P^T:
// cuBLAS's A is Q and its B is P.
struct BlasCall {
  bool trans_a = false, trans_b = false;
  int m = 0, n = 0, k = 0, lda = 1, ldb = 1, ldc = 1;
  int64_t offset_a = 0, offset_b = 0, offset_c = 0;
  int64_t stride_a = 0, stride_b = 0, stride_c = 0;
  int batch = 1;
};

// ---- Gemm ----

// A: (M, K), or (K, M) with transA; B: (K, N), or (N, K) with transB.
struct GemmSpec {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
};

// The Gemm node's sizes and attributes (ONNX defaults: no transposes, alpha and beta 1).
GemmSpec gemm_spec(const Node& node, const Shape& a, const Shape& b);

// Whether cuBLAS's int sizes hold the product and it is not empty (K = 0 included).
bool gemm_fits_cublas(const GemmSpec& s);

// Y^T (N x M, column-major) = op(B)^T (N x K) * op(A)^T (K x M): cuBLAS's A is the
// node's B and cuBLAS's B the node's A.
BlasCall gemm_call(const GemmSpec& s);

// How Gemm's C joins the product:
//   None:    no C, or beta 0;
//   RowBias: C is one row of N (shape (N) or (1, N)) and beta is 1, added with the
//            activation after the product;
//   Prefill: any other C, broadcast into Y first and accumulated onto with beta.
enum class GemmCMode { None, RowBias, Prefill };

GemmCMode gemm_c_mode(const GemmSpec& s, const Value* c);

// Element strides reading C broadcast to (M, N): {row stride, column stride}.
struct GemmCStrides {
  int64_t row = 0, col = 0;
};

// c: a scalar, (N), (1, N), (M, 1) or (M, N).
GemmCStrides gemm_c_strides(const Shape& c);

// ---- MatMul ----

// a: (batch_a..., M, K), b: (batch_b..., K, N) with numpy's 1-D rules (a 1-D a is a
// row (1, K), a 1-D b a column (K, 1)); batch dims right-aligned and padded with ones
// to the broadcast batch's rank.
struct MatMulShapes {
  int64_t m = 1, n = 1, k = 1;
  Shape batch, batch_a, batch_b;
};

// a and b: rank 1 or more.
MatMulShapes matmul_shapes(const Shape& a, const Shape& b);

// Whether cuBLAS's int sizes hold every product and none is empty.
bool matmul_fits_cublas(const MatMulShapes& s);

// The calls computing y: (batch..., M, N), in column-major terms Y^T = B^T A^T
// (cuBLAS's A is the node's B, its B the node's A), all with alpha 1 and beta 0. The
// broadcast batch dims split into an inner run over which each operand is either
// contiguous or one shared matrix (one strided batched call, stride 0 for the shared
// one) and outer dims with one call per index. When B is shared by a contiguous run
// of A's matrices, they fold into the rows of one plain product.
std::vector<BlasCall> matmul_calls(const MatMulShapes& s);

}  // namespace tandem::cuda
