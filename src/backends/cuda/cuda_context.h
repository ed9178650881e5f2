// Per-device state of the cuda backend, shared by the device and every executable
// compiled for it: the ordinal, options (precision, graphs, workspace limit), the
// three streams (compute, host-to-device, device-to-host), cuDNN and cuBLAS handles
// bound to the compute stream, and the convolution algorithms found so far, cached
// per shape signature so that each is searched once.
#pragma once
#include <map>
#include <mutex>
#include <string>

#include "backends/cuda/cuda_check.h"
#include "backends/device.h"

namespace tandem::cuda {

// A convolution algorithm chosen by cuDNN's measured search for one shape signature.
struct ConvChoice {
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  cudnnMathType_t math = CUDNN_FMA_MATH;
  size_t workspace = 0;
  float milliseconds = 0;  // as measured by the search
};

class CudaContext {
 public:
  CudaContext(int ordinal, std::string name, const DeviceOptions& options);
  ~CudaContext();
  CudaContext(const CudaContext&) = delete;
  CudaContext& operator=(const CudaContext&) = delete;

  // Makes this GPU current on the calling thread (before any runtime call).
  void activate() const;

  int ordinal() const { return ordinal_; }
  const std::string& name() const { return name_; }
  const DeviceOptions& options() const { return options_; }
  bool tf32() const { return options_.tf32; }

  cudaStream_t stream(Lane lane) const;
  cudaStream_t compute() const { return compute_; }
  cudnnHandle_t cudnn() const { return cudnn_; }
  cublasHandle_t cublas() const { return cublas_; }

  // The cached choice for `signature`, or nullptr.
  const ConvChoice* find_conv_choice(const std::string& signature) const;
  void remember_conv_choice(const std::string& signature, const ConvChoice& choice);

 private:
  void create_streams_and_handles();
  void release();

  int ordinal_;
  std::string name_;
  DeviceOptions options_;
  cudaStream_t compute_ = nullptr, to_device_ = nullptr, to_host_ = nullptr;
  cudnnHandle_t cudnn_ = nullptr;
  cublasHandle_t cublas_ = nullptr;
  void* cublas_workspace_ = nullptr;
  mutable std::mutex mutex_;
  std::map<std::string, ConvChoice> conv_choices_;
};

// Device memory owned by one object (constants, arenas, workspaces).
class DeviceMemory {
 public:
  DeviceMemory() = default;
  // Allocates on `context`'s GPU; `what` names the use in an out-of-memory error.
  DeviceMemory(const CudaContext& context, size_t bytes, const std::string& what);
  ~DeviceMemory();
  DeviceMemory(DeviceMemory&& other) noexcept;
  DeviceMemory& operator=(DeviceMemory&& other) noexcept;
  std::byte* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  std::byte* ptr_ = nullptr;
  size_t bytes_ = 0;
  int ordinal_ = 0;
};

// Page-locked host memory (staging for asynchronous copies).
class PinnedMemory {
 public:
  PinnedMemory() = default;
  PinnedMemory(const CudaContext& context, size_t bytes, const std::string& what);
  ~PinnedMemory();
  PinnedMemory(PinnedMemory&& other) noexcept;
  PinnedMemory& operator=(PinnedMemory&& other) noexcept;
  std::byte* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  std::byte* ptr_ = nullptr;
  size_t bytes_ = 0;
};

}  // namespace tandem::cuda
