// The cuBLAS products planned for Gemm and MatMul nodes (see blas_plan.h).
#include "backends/cuda/blas_plan.h"

#include <algorithm>
#include <optional>

#include "backends/cuda/cudnn_util.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

// C's shape padded to rank 2 with leading ones.
Shape c_matrix_shape(const Shape& c) {
  Shape padded(2 - std::min<size_t>(c.size(), 2), 1);
  padded.insert(padded.end(), c.begin(), c.end());
  return padded;
}

// Element strides of an operand's matrices along each batch dim (0 where it is broadcast).
Shape batch_strides(const Shape& operand, int64_t matrix) {
  Shape strides(operand.size(), 0);
  int64_t step = matrix;
  for (size_t i = operand.size(); i-- > 0;) {
    strides[i] = operand[i] == 1 ? 0 : step;
    step *= operand[i];
  }
  return strides;
}

// How an operand is read across batch dims [first, rank): 0 when every matrix is the
// same one, `matrix` when they are contiguous, nullopt when neither.
std::optional<int64_t> run_stride(const Shape& operand, const Shape& batch, size_t first, int64_t matrix) {
  bool shared = false, contiguous = false;
  for (size_t i = first; i < batch.size(); ++i) {
    if (batch[i] == 1) continue;
    (operand[i] == 1 ? shared : contiguous) = true;
  }
  if (shared && contiguous) return std::nullopt;
  return contiguous ? matrix : 0;
}

// The first batch dim of the longest inner run both operands read uniformly.
size_t inner_run_start(const MatMulShapes& s) {
  size_t first = s.batch.size();
  while (first > 0 && run_stride(s.batch_a, s.batch, first - 1, s.m * s.k) &&
         run_stride(s.batch_b, s.batch, first - 1, s.k * s.n))
    --first;
  return first;
}

}  // namespace

// ---- Gemm ----

GemmSpec gemm_spec(const Node& node, const Shape& a, const Shape& b) {
  GemmSpec s;
  s.trans_a = int_attr(node, "transA", 0) != 0;
  s.trans_b = int_attr(node, "transB", 0) != 0;
  s.m = s.trans_a ? a[1] : a[0];
  s.k = s.trans_a ? a[0] : a[1];
  s.n = s.trans_b ? b[0] : b[1];
  s.alpha = float_attr(node, "alpha", 1.0f);
  s.beta = float_attr(node, "beta", 1.0f);
  return s;
}

bool gemm_fits_cublas(const GemmSpec& s) {
  return fits_int(s.m) && fits_int(s.n) && fits_int(s.k) && s.m > 0 && s.n > 0 && s.k > 0;
}

// B stored (K, N) row-major is B^T column-major with leading dim N; stored (N, K)
// (transB) it is column-major (K, N), transposed back with leading dim K. Likewise A.
BlasCall gemm_call(const GemmSpec& s) {
  BlasCall call;
  call.trans_a = s.trans_b;
  call.trans_b = s.trans_a;
  call.m = static_cast<int>(s.n);
  call.n = static_cast<int>(s.m);
  call.k = static_cast<int>(s.k);
  call.lda = static_cast<int>(s.trans_b ? s.k : s.n);
  call.ldb = static_cast<int>(s.trans_a ? s.m : s.k);
  call.ldc = static_cast<int>(s.n);
  return call;
}

GemmCMode gemm_c_mode(const GemmSpec& s, const Value* c) {
  if (!c || s.beta == 0) return GemmCMode::None;
  Shape padded = c_matrix_shape(c->shape);
  return padded[0] == 1 && padded[1] == s.n && s.beta == 1 ? GemmCMode::RowBias : GemmCMode::Prefill;
}

GemmCStrides gemm_c_strides(const Shape& c) {
  Shape padded = c_matrix_shape(c);
  return {padded[0] == 1 ? 0 : padded[1], padded[1] == 1 ? 0 : 1};
}

// ---- MatMul ----

MatMulShapes matmul_shapes(const Shape& a, const Shape& b) {
  MatMulShapes s;
  s.m = a.size() == 1 ? 1 : a[a.size() - 2];
  s.k = a.back();
  s.n = b.size() == 1 ? 1 : b.back();
  Shape batch_a(a.begin(), a.end() - std::min<long>(2, long(a.size())));
  Shape batch_b(b.begin(), b.end() - std::min<long>(2, long(b.size())));
  size_t rank = std::max(batch_a.size(), batch_b.size());
  s.batch_a = Shape(rank - batch_a.size(), 1);
  s.batch_a.insert(s.batch_a.end(), batch_a.begin(), batch_a.end());
  s.batch_b = Shape(rank - batch_b.size(), 1);
  s.batch_b.insert(s.batch_b.end(), batch_b.begin(), batch_b.end());
  s.batch.resize(rank);
  for (size_t i = 0; i < rank; ++i) s.batch[i] = s.batch_a[i] == 1 ? s.batch_b[i] : s.batch_a[i];  // 1 with 0 is 0
  return s;
}

bool matmul_fits_cublas(const MatMulShapes& s) {
  int64_t total = num_elements(s.batch);
  return total > 0 && s.m > 0 && s.n > 0 && s.k > 0 && fits_int(total * s.m) && fits_int(s.n) && fits_int(s.k);
}

std::vector<BlasCall> matmul_calls(const MatMulShapes& s) {
  const size_t first = inner_run_start(s);
  const int64_t a_matrix = s.m * s.k, b_matrix = s.k * s.n, y_matrix = s.m * s.n;
  const int64_t run = num_elements(Shape(s.batch.begin() + long(first), s.batch.end()));
  const int64_t a_stride = *run_stride(s.batch_a, s.batch, first, a_matrix);
  const int64_t b_stride = *run_stride(s.batch_b, s.batch, first, b_matrix);
  const bool fold = b_stride == 0 && a_stride == a_matrix;  // A's matrices as the rows of one product
  BlasCall base;
  base.m = static_cast<int>(s.n);
  base.n = static_cast<int>(fold ? run * s.m : s.m);
  base.k = static_cast<int>(s.k);
  base.lda = static_cast<int>(s.n);
  base.ldb = static_cast<int>(s.k);
  base.ldc = static_cast<int>(s.n);
  base.batch = static_cast<int>(fold ? 1 : run);
  base.stride_a = b_stride;
  base.stride_b = a_stride;
  base.stride_c = y_matrix;
  const Shape outer(s.batch.begin(), s.batch.begin() + long(first));
  const Shape a_strides = batch_strides(s.batch_a, a_matrix), b_strides = batch_strides(s.batch_b, b_matrix);
  std::vector<BlasCall> calls;
  Shape index(outer.size(), 0);
  for (int64_t i = 0, count = num_elements(outer); i < count; ++i) {
    BlasCall call = base;
    for (size_t d = 0; d < outer.size(); ++d) {
      call.offset_a += index[d] * b_strides[d];
      call.offset_b += index[d] * a_strides[d];
    }
    call.offset_c = i * run * y_matrix;
    calls.push_back(call);
    for (size_t d = outer.size(); d-- > 0;) {  // next outer index, last dim fastest
      if (++index[d] < outer[d]) break;
      index[d] = 0;
    }
  }
  return calls;
}

}  // namespace tandem::cuda
