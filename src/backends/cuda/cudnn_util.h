// Helpers shared by the cuDNN and cuBLAS lowerings: owners of cuDNN descriptors (a
// lowering creates them once at compile time and keeps them alive with
// SegmentCompiler::keep), descriptors of dense row-major float tensors, the
// convolution math type and cuBLAS compute type that follow the context's precision
// setting, running the cuBLAS products planned as plain data (BlasCall, blas_plan.h),
// and conversions from tandem's shapes and fused activations to the kernels' types.
#pragma once
#include <climits>
#include <string>

#include "backends/cuda/blas_plan.h"
#include "backends/cuda/cuda_check.h"
#include "backends/cuda/cuda_context.h"
#include "backends/cuda/kernels/kernels.h"
#include "ops/activation.h"
#include "tandem/tensor.h"

namespace tandem::cuda {

// One cuDNN descriptor, created on construction and destroyed with the object.
template <class Handle, cudnnStatus_t (*Create)(Handle*), cudnnStatus_t (*Destroy)(Handle)>
class CudnnDescriptor {
 public:
  explicit CudnnDescriptor(const std::string& where) { TANDEM_CUDA_CHECK(where, Create(&handle_)); }
  ~CudnnDescriptor() {
    if (handle_) Destroy(handle_);
  }
  CudnnDescriptor(const CudnnDescriptor&) = delete;
  CudnnDescriptor& operator=(const CudnnDescriptor&) = delete;
  Handle get() const { return handle_; }

 private:
  Handle handle_ = nullptr;
};

using TensorDescriptor =
    CudnnDescriptor<cudnnTensorDescriptor_t, cudnnCreateTensorDescriptor, cudnnDestroyTensorDescriptor>;
using FilterDescriptor =
    CudnnDescriptor<cudnnFilterDescriptor_t, cudnnCreateFilterDescriptor, cudnnDestroyFilterDescriptor>;
using ConvolutionDescriptor = CudnnDescriptor<cudnnConvolutionDescriptor_t, cudnnCreateConvolutionDescriptor,
                                              cudnnDestroyConvolutionDescriptor>;
using PoolingDescriptor =
    CudnnDescriptor<cudnnPoolingDescriptor_t, cudnnCreatePoolingDescriptor, cudnnDestroyPoolingDescriptor>;
using LrnDescriptor = CudnnDescriptor<cudnnLRNDescriptor_t, cudnnCreateLRNDescriptor, cudnnDestroyLRNDescriptor>;
using ActivationDescriptor = CudnnDescriptor<cudnnActivationDescriptor_t, cudnnCreateActivationDescriptor,
                                             cudnnDestroyActivationDescriptor>;

// Host scaling factors for cuDNN and cuBLAS calls (read when the call is enqueued).
inline const float kOne = 1.0f;
inline const float kZero = 0.0f;

// Whether `n` fits the int parameters of cuDNN's and cuBLAS's legacy APIs.
inline bool fits_int(int64_t n) { return n >= 0 && n <= INT_MAX; }

// Whether cuDNN's descriptor API can describe a dense tensor of this shape (rank 3 to
// 8, every dim and the element count below 2^31) holding at least one element.
bool fits_cudnn(const Shape& shape);

// Whether a cuDNN call refused the problem it was given (a bad or unsupported
// parameter combination) rather than failing on the device; such a problem runs
// elsewhere (own kernel or host fallback).
inline bool cudnn_refused(cudnnStatus_t status) {
  return CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_BAD_PARAM ||
         CUDNN_STATUS_CATEGORY(status) == CUDNN_STATUS_NOT_SUPPORTED;
}

// Sets `descriptor` to a dense row-major (NCHW) float tensor of `shape` (rank 4 to 8).
void describe_tensor(const TensorDescriptor& descriptor, const Shape& shape, const std::string& where);

// Sets `descriptor` to float NCHW filters of `shape`: (M, C/group, K...), rank 4 or 5.
void describe_filter(const FilterDescriptor& descriptor, const Shape& shape, const std::string& where);

// The math type convolutions are searched and run with: FMA only in strict float32,
// tensor-op math (TF32 on Ampere and later) when the context allows TF32.
cudnnMathType_t conv_math_type(const CudaContext& context);

// The cuBLAS compute type for float products: strict float32, or TF32 tensor cores
// when the context allows them.
cublasComputeType_t blas_compute_type(const CudaContext& context);

// Enqueues `call` on the handle's stream (cublasGemmEx, or cublasGemmStridedBatchedEx
// for a batch); alpha and beta are read before it returns.
void run_blas_call(cublasHandle_t handle, const BlasCall& call, float alpha, const float* a, const float* b,
                   float beta, float* c, cublasComputeType_t compute, const std::string& where);

// The kernels' description of a tandem activation (None stays None).
kernels::ActivationParams kernel_activation(const Activation& activation);

// The dims of `shape` for kernels (rank at most kernels::kMaxRank).
kernels::Dims kernel_dims(const Shape& shape);

}  // namespace tandem::cuda
