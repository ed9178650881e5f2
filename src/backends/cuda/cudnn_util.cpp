// Tensor and filter descriptors, the convolution math type, cuBLAS products and the
// conversions to the kernels' types shared by the cuDNN and cuBLAS lowerings.
#include "backends/cuda/cudnn_util.h"

#include <cassert>
#include <vector>

namespace tandem::cuda {

namespace {

constexpr size_t kCudnnMaxRank = CUDNN_DIM_MAX;

std::vector<int> int_dims(const Shape& shape) { return std::vector<int>(shape.begin(), shape.end()); }

}  // namespace

bool fits_cudnn(const Shape& shape) {
  if (shape.size() < 3 || shape.size() > kCudnnMaxRank) return false;
  for (int64_t d : shape)
    if (d < 1 || !fits_int(d)) return false;
  return fits_int(num_elements(shape));
}

void describe_tensor(const TensorDescriptor& descriptor, const Shape& shape, const std::string& where) {
  assert(shape.size() >= 4 && shape.size() <= kCudnnMaxRank);
  std::vector<int> dims = int_dims(shape), strides = int_dims(dense_strides(shape));
  TANDEM_CUDA_CHECK(where, cudnnSetTensorNdDescriptor(descriptor.get(), CUDNN_DATA_FLOAT, static_cast<int>(dims.size()),
                                                      dims.data(), strides.data()));
}

void describe_filter(const FilterDescriptor& descriptor, const Shape& shape, const std::string& where) {
  assert(shape.size() == 4 || shape.size() == 5);
  std::vector<int> dims = int_dims(shape);
  TANDEM_CUDA_CHECK(where, cudnnSetFilterNdDescriptor(descriptor.get(), CUDNN_DATA_FLOAT, CUDNN_TENSOR_NCHW,
                                                      static_cast<int>(dims.size()), dims.data()));
}

cudnnMathType_t conv_math_type(const CudaContext& context) {
  return context.tf32() ? CUDNN_TENSOR_OP_MATH : CUDNN_FMA_MATH;
}

cublasComputeType_t blas_compute_type(const CudaContext& context) {
  return context.tf32() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
}

void run_blas_call(cublasHandle_t handle, const BlasCall& call, float alpha, const float* a, const float* b,
                   float beta, float* c, cublasComputeType_t compute, const std::string& where) {
  a += call.offset_a;
  b += call.offset_b;
  c += call.offset_c;
  const cublasOperation_t trans_a = call.trans_a ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t trans_b = call.trans_b ? CUBLAS_OP_T : CUBLAS_OP_N;
  if (call.batch == 1) {
    TANDEM_CUDA_CHECK(where, cublasGemmEx(handle, trans_a, trans_b, call.m, call.n, call.k, &alpha, a,
                                          CUDA_R_32F, call.lda, b, CUDA_R_32F, call.ldb, &beta, c, CUDA_R_32F, call.ldc,
                                          compute, CUBLAS_GEMM_DEFAULT));
    return;
  }
  TANDEM_CUDA_CHECK(where, cublasGemmStridedBatchedEx(handle, trans_a, trans_b, call.m, call.n, call.k,
                                                      &alpha, a, CUDA_R_32F, call.lda, call.stride_a, b, CUDA_R_32F,
                                                      call.ldb, call.stride_b, &beta, c, CUDA_R_32F, call.ldc,
                                                      call.stride_c, call.batch, compute, CUBLAS_GEMM_DEFAULT));
}

kernels::ActivationParams kernel_activation(const Activation& activation) {
  kernels::ActivationParams params;
  params.alpha = activation.alpha;
  params.beta = activation.beta;
  switch (activation.kind) {
    case ActivationKind::None: params.kind = kernels::Activation::None; break;
    case ActivationKind::Relu: params.kind = kernels::Activation::Relu; break;
    case ActivationKind::LeakyRelu: params.kind = kernels::Activation::LeakyRelu; break;
    case ActivationKind::Clip: params.kind = kernels::Activation::Clip; break;
    case ActivationKind::Sigmoid: params.kind = kernels::Activation::Sigmoid; break;
    case ActivationKind::Tanh: params.kind = kernels::Activation::Tanh; break;
  }
  return params;
}

kernels::Dims kernel_dims(const Shape& shape) {
  assert(shape.size() <= static_cast<size_t>(kernels::kMaxRank));
  kernels::Dims dims;
  dims.rank = static_cast<int>(shape.size());
  for (size_t i = 0; i < shape.size(); ++i) dims.d[i] = shape[i];
  return dims;
}

}  // namespace tandem::cuda
