// Per-device streams, library handles, the convolution-choice cache, and owned
// device and pinned host memory.
#include "backends/cuda/cuda_context.h"

#include <utility>

namespace tandem::cuda {

namespace {
constexpr size_t kCublasWorkspaceBytes = size_t{32} << 20;  // fixed, so cuBLAS never allocates inside a graph capture
}

CudaContext::CudaContext(int ordinal, std::string name, const DeviceOptions& options)
    : ordinal_(ordinal), name_(std::move(name)), options_(options) {
  try {
    create_streams_and_handles();
  } catch (...) {
    release();
    throw;
  }
}

void CudaContext::create_streams_and_handles() {
  activate();
  TANDEM_CUDA_CHECK(name_, cudaStreamCreateWithFlags(&compute_, cudaStreamNonBlocking));
  TANDEM_CUDA_CHECK(name_, cudaStreamCreateWithFlags(&to_device_, cudaStreamNonBlocking));
  TANDEM_CUDA_CHECK(name_, cudaStreamCreateWithFlags(&to_host_, cudaStreamNonBlocking));
  TANDEM_CUDA_CHECK(name_, cudnnCreate(&cudnn_));
  TANDEM_CUDA_CHECK(name_, cudnnSetStream(cudnn_, compute_));
  TANDEM_CUDA_CHECK(name_, cublasCreate(&cublas_));
  TANDEM_CUDA_CHECK(name_, cublasSetStream(cublas_, compute_));
  TANDEM_CUDA_CHECK(name_, cudaMalloc(&cublas_workspace_, kCublasWorkspaceBytes));
  TANDEM_CUDA_CHECK(name_, cublasSetWorkspace(cublas_, cublas_workspace_, kCublasWorkspaceBytes));
  // Strict float32 unless TF32 was asked for; lowerings also pick compute types per call.
  TANDEM_CUDA_CHECK(name_, cublasSetMathMode(cublas_, options_.tf32 ? CUBLAS_TF32_TENSOR_OP_MATH : CUBLAS_DEFAULT_MATH));
}

CudaContext::~CudaContext() { release(); }

void CudaContext::release() {
  cudaSetDevice(ordinal_);
  if (compute_) cudaStreamSynchronize(compute_);
  if (cublas_) cublasDestroy(std::exchange(cublas_, nullptr));
  if (cublas_workspace_) cudaFree(std::exchange(cublas_workspace_, nullptr));
  if (cudnn_) cudnnDestroy(std::exchange(cudnn_, nullptr));
  for (cudaStream_t* s : {&compute_, &to_device_, &to_host_})
    if (*s) cudaStreamDestroy(std::exchange(*s, nullptr));
}

void CudaContext::activate() const { TANDEM_CUDA_CHECK(name_, cudaSetDevice(ordinal_)); }

cudaStream_t CudaContext::stream(Lane lane) const {
  switch (lane) {
    case Lane::ToDevice: return to_device_;
    case Lane::ToHost: return to_host_;
    case Lane::Compute: break;
  }
  return compute_;
}

const ConvChoice* CudaContext::find_conv_choice(const std::string& signature) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = conv_choices_.find(signature);
  return it == conv_choices_.end() ? nullptr : &it->second;
}

void CudaContext::remember_conv_choice(const std::string& signature, const ConvChoice& choice) {
  std::lock_guard<std::mutex> lock(mutex_);
  conv_choices_[signature] = choice;
}

DeviceMemory::DeviceMemory(const CudaContext& context, size_t bytes, const std::string& what)
    : bytes_(bytes), ordinal_(context.ordinal()) {
  if (bytes == 0) return;
  context.activate();
  void* p = nullptr;
  TANDEM_CUDA_CHECK(context.name() + ", " + what + " (" + std::to_string(bytes) + " bytes)", cudaMalloc(&p, bytes));
  ptr_ = static_cast<std::byte*>(p);
}

DeviceMemory::~DeviceMemory() {
  if (!ptr_) return;
  cudaSetDevice(ordinal_);
  cudaFree(ptr_);
}

DeviceMemory::DeviceMemory(DeviceMemory&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)), ordinal_(other.ordinal_) {}

DeviceMemory& DeviceMemory::operator=(DeviceMemory&& other) noexcept {
  if (this != &other) {
    DeviceMemory old(std::move(*this));
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
    ordinal_ = other.ordinal_;
  }
  return *this;
}

PinnedMemory::PinnedMemory(const CudaContext& context, size_t bytes, const std::string& what) : bytes_(bytes) {
  if (bytes == 0) return;
  context.activate();
  void* p = nullptr;
  TANDEM_CUDA_CHECK(context.name() + ", " + what + " (" + std::to_string(bytes) + " pinned host bytes)",
                    cudaHostAlloc(&p, bytes, cudaHostAllocDefault));
  ptr_ = static_cast<std::byte*>(p);
}

PinnedMemory::~PinnedMemory() {
  if (ptr_) cudaFreeHost(ptr_);
}

PinnedMemory::PinnedMemory(PinnedMemory&& other) noexcept
    : ptr_(std::exchange(other.ptr_, nullptr)), bytes_(std::exchange(other.bytes_, 0)) {}

PinnedMemory& PinnedMemory::operator=(PinnedMemory&& other) noexcept {
  if (this != &other) {
    PinnedMemory old(std::move(*this));
    ptr_ = std::exchange(other.ptr_, nullptr);
    bytes_ = std::exchange(other.bytes_, 0);
  }
  return *this;
}

}  // namespace tandem::cuda
