// Checked CUDA, cuDNN and cuBLAS calls. Every vendor call in the cuda backend goes
// through one of the macros below; a failure throws Error(Device) whose message names
// the call, the device and the op and node it was working for (`where`), e.g.
//   "cuda:0, Conv node 'conv1': cudnnConvolutionForward failed: CUDNN_STATUS_BAD_PARAM".
// Running out of GPU memory is such an error, never a crash.
#pragma once
#include <cublas_v2.h>
#include <cuda_runtime.h>
#include <cudnn.h>

#include <string>

namespace tandem::cuda {

[[noreturn]] void throw_cuda_error(const std::string& where, const char* call, const std::string& cause);

void check(cudaError_t status, const char* call, const std::string& where);
void check(cudnnStatus_t status, const char* call, const std::string& where);
void check(cublasStatus_t status, const char* call, const std::string& where);

// The error of the last kernel launch on this thread, if any.
void check_launch(const char* kernel, const std::string& where);

}  // namespace tandem::cuda

// `where` is a std::string naming the device and, inside a step, the op and node.
#define TANDEM_CUDA_CHECK(where, call) ::tandem::cuda::check((call), #call, (where))
