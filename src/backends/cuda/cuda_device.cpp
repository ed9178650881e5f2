// The cuda device: a GPU behind the Device contract. Memory is cudaMalloc'd, copies
// are queued on the device's lanes (compute, host-to-device, device-to-host streams)
// and ordered by events; compile() goes through the SegmentCompiler.
#include "backends/cuda/cuda_device.h"

#include <algorithm>

#include "backends/cuda/lowering.h"
#include "backends/cuda/segment_compiler.h"
#include "tandem/error.h"

namespace tandem {
namespace cuda {
namespace {

// An event recorded on one of a cuda device's lanes.
class CudaEvent : public DeviceEvent {
 public:
  CudaEvent(std::shared_ptr<CudaContext> context, cudaStream_t stream) : context_(std::move(context)) {
    context_->activate();
    TANDEM_CUDA_CHECK(context_->name(), cudaEventCreateWithFlags(&event_, cudaEventDisableTiming));
    TANDEM_CUDA_CHECK(context_->name(), cudaEventRecord(event_, stream));
  }
  ~CudaEvent() override {
    if (event_) cudaEventDestroy(event_);
  }
  void wait() override { TANDEM_CUDA_CHECK(context_->name(), cudaEventSynchronize(event_)); }
  bool done() override {
    cudaError_t status = cudaEventQuery(event_);
    if (status == cudaErrorNotReady) return false;
    TANDEM_CUDA_CHECK(context_->name(), status);
    return true;
  }
  cudaEvent_t get() const { return event_; }

 private:
  std::shared_ptr<CudaContext> context_;
  cudaEvent_t event_ = nullptr;
};

std::string describe_gpu(int ordinal, const cudaDeviceProp& prop) {
  int driver = 0;
  cudaDriverGetVersion(&driver);
  return std::string(prop.name) + ", sm_" + std::to_string(prop.major) + std::to_string(prop.minor) + ", " +
         std::to_string(prop.totalGlobalMem >> 30) + " GiB, driver " + std::to_string(driver / 1000) + "." +
         std::to_string(driver % 1000 / 10) + ", ordinal " + std::to_string(ordinal);
}

class CudaDevice : public Device {
 public:
  CudaDevice(std::string name, int ordinal, const DeviceOptions& options) {
    cudaDeviceProp prop{};
    TANDEM_CUDA_CHECK(name, cudaGetDeviceProperties(&prop, ordinal));
    info_.name = name;
    info_.kind = DeviceKind::Gpu;
    info_.description = describe_gpu(ordinal, prop);
    info_.threads = prop.multiProcessorCount;
    info_.memory_bytes = static_cast<double>(prop.totalGlobalMem);
    info_.transfer = {true, prop.asyncEngineCount, true,
                      "compute, host-to-device and device-to-host streams; events order them; CUDA graphs replay "
                      "compiled segments"};
    context_ = std::make_shared<CudaContext>(ordinal, name, options);
  }

  const DeviceInfo& info() const override { return info_; }

  // Nodes with empty tensors stay on host devices (cuDNN and the own kernels assume
  // elements to work on), so the planner places them there.
  bool supports(const Node& node, const Graph& graph) const override {
    return find_lowering(node.op) != nullptr && !touches_empty_value(node, graph);
  }

  std::unique_ptr<Executable> compile(const Segment& segment) override {
    check_compilable(*this, segment);
    return SegmentCompiler(segment, context_).compile();
  }

  void* allocate(size_t bytes) override {
    context_->activate();
    void* p = nullptr;
    TANDEM_CUDA_CHECK(info_.name + ", allocating " + std::to_string(bytes) + " bytes", cudaMalloc(&p, std::max<size_t>(bytes, 1)));
    return p;
  }

  void release(void* ptr) override {
    if (!ptr) return;
    context_->activate();
    TANDEM_CUDA_CHECK(info_.name, cudaFree(ptr));
  }

  // Synchronous copies are ordered after everything queued on the compute lane.
  void copy_from_host(void* dst, const void* src, size_t bytes) override {
    copy_from_host_async(dst, src, bytes, Lane::Compute);
    wait_lane(Lane::Compute);
  }

  void copy_to_host(void* dst, const void* src, size_t bytes) override {
    copy_to_host_async(dst, src, bytes, Lane::Compute);
    wait_lane(Lane::Compute);
  }

  void synchronize() override {
    for (Lane lane : {Lane::Compute, Lane::ToDevice, Lane::ToHost}) wait_lane(lane);
  }

  void copy_from_host_async(void* dst, const void* src, size_t bytes, Lane lane) override {
    if (bytes == 0) return;
    context_->activate();
    TANDEM_CUDA_CHECK(info_.name + ", copying " + std::to_string(bytes) + " bytes to the device",
                      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyHostToDevice, context_->stream(lane)));
  }

  void copy_to_host_async(void* dst, const void* src, size_t bytes, Lane lane) override {
    if (bytes == 0) return;
    context_->activate();
    TANDEM_CUDA_CHECK(info_.name + ", copying " + std::to_string(bytes) + " bytes to the host",
                      cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToHost, context_->stream(lane)));
  }

  std::shared_ptr<DeviceEvent> record(Lane lane) override {
    return std::make_shared<CudaEvent>(context_, context_->stream(lane));
  }

  void wait_for(const std::shared_ptr<DeviceEvent>& event, Lane lane) override {
    if (!event) return;
    if (auto* mine = dynamic_cast<CudaEvent*>(event.get())) {
      context_->activate();
      TANDEM_CUDA_CHECK(info_.name, cudaStreamWaitEvent(context_->stream(lane), mine->get(), 0));
      return;
    }
    event->wait();  // another device's event: the host waits before queuing more here
  }

  void* allocate_host(size_t bytes) override {
    context_->activate();
    void* p = nullptr;
    TANDEM_CUDA_CHECK(info_.name + ", allocating " + std::to_string(bytes) + " pinned host bytes",
                      cudaHostAlloc(&p, std::max<size_t>(bytes, 1), cudaHostAllocDefault));
    return p;
  }

  void release_host(void* ptr) override {
    if (ptr) TANDEM_CUDA_CHECK(info_.name, cudaFreeHost(ptr));
  }

 private:
  void wait_lane(Lane lane) {
    context_->activate();
    TANDEM_CUDA_CHECK(info_.name, cudaStreamSynchronize(context_->stream(lane)));
  }

  DeviceInfo info_;
  std::shared_ptr<CudaContext> context_;
};

}  // namespace
}  // namespace cuda

CudaAvailability cuda_availability() {
  CudaAvailability result;
  int count = 0;
  cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    cudaGetLastError();
    result.summary = std::string("no CUDA device: cudaGetDeviceCount returned ") + cudaGetErrorName(status) + " (" +
                     cudaGetErrorString(status) + ")";
    return result;
  }
  if (count == 0) {
    result.summary = "no CUDA device: cudaGetDeviceCount found none";
    return result;
  }
  result.devices = count;
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp prop{};
    if (cudaGetDeviceProperties(&prop, i) != cudaSuccess) continue;
    if (!result.summary.empty()) result.summary += "; ";
    result.summary += cuda::describe_gpu(i, prop);
  }
  return result;
}

std::unique_ptr<Device> make_cuda_device(int index, const DeviceOptions& options) {
  std::string name = index < 0 ? "cuda" : "cuda:" + std::to_string(index);
  CudaAvailability available = cuda_availability();
  int ordinal = std::max(index, 0);
  if (available.devices == 0) fail(ErrorKind::InvalidInput, "device '" + name + "' is not usable here: " + available.summary);
  if (ordinal >= available.devices)
    fail(ErrorKind::InvalidInput, "device '" + name + "' does not exist: " + std::to_string(available.devices) +
                                      " GPU(s) here (" + available.summary + ")");
  return std::make_unique<cuda::CudaDevice>(name, ordinal, options);
}

}  // namespace tandem
