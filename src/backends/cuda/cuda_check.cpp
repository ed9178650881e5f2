// Turns CUDA runtime, cuDNN and cuBLAS status codes into tandem errors.
#include "backends/cuda/cuda_check.h"

#include "tandem/error.h"

namespace tandem::cuda {

void throw_cuda_error(const std::string& where, const char* call, const std::string& cause) {
  fail(ErrorKind::Device, where + ": " + call + " failed: " + cause);
}

void check(cudaError_t status, const char* call, const std::string& where) {
  if (status == cudaSuccess) return;
  cudaGetLastError();  // clear a sticky-free error so the next call starts clean
  std::string cause = std::string(cudaGetErrorName(status)) + " (" + cudaGetErrorString(status) + ")";
  if (status == cudaErrorMemoryAllocation) {
    size_t free_bytes = 0, total_bytes = 0;
    if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess)
      cause += ": out of GPU memory, " + std::to_string(free_bytes >> 20) + " MiB free of " +
               std::to_string(total_bytes >> 20) + " MiB";
    cudaGetLastError();
  }
  throw_cuda_error(where, call, cause);
}

void check(cudnnStatus_t status, const char* call, const std::string& where) {
  if (status == CUDNN_STATUS_SUCCESS) return;
  throw_cuda_error(where, call, cudnnGetErrorString(status));
}

void check(cublasStatus_t status, const char* call, const std::string& where) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  std::string cause = std::string(cublasGetStatusName(status)) + " (" + cublasGetStatusString(status) + ")";
  throw_cuda_error(where, call, cause);
}

void check_launch(const char* kernel, const std::string& where) { check(cudaGetLastError(), kernel, where); }

}  // namespace tandem::cuda
