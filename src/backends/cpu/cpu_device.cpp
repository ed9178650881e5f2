// The cpu device: one oneDNN engine, stream and thread pool per device instance
// ("cpu", "cpu:N"), host memory, and compile() through the SegmentCompiler.
#include "backends/cpu/cpu_device.h"

#include <omp.h>

#include <fstream>

#include "backends/cpu/lowering.h"
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/segment_compiler.h"
#include "core/cores.h"
#include "tandem/error.h"

namespace tandem {

std::string cpu_model_name() {
  std::ifstream cpuinfo("/proc/cpuinfo");
  std::string line;
  while (std::getline(cpuinfo, line)) {
    if (line.rfind("model name", 0) != 0) continue;
    size_t colon = line.find(':');
    if (colon == std::string::npos) break;
    size_t start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "unknown CPU" : line.substr(start);
  }
  return "unknown CPU";
}

namespace {

std::vector<int> cores_of(const std::string& name, const DeviceOptions& options) {
  auto found = options.cores.find(name);
  if (found == options.cores.end()) return {};
  check_cores(found->second, name);
  return found->second;
}

class CpuDevice : public HostDevice {
 public:
  CpuDevice(int index, const DeviceOptions& options)
      : engine_(dnnl::engine::kind::cpu, 0), stream_(engine_) {
    std::string name = index < 0 ? "cpu" : "cpu:" + std::to_string(index);
    std::vector<int> cores = cores_of(name, options);
    int threads = options.threads > 0 ? options.threads : cores.empty() ? omp_get_num_procs() : int(cores.size());
    std::string description = cpu_model_name() + (cores.empty() ? "" : ", pinned to cores " + format_core_list(cores));
    info_.name = name;
    info_.kind = DeviceKind::Host;
    info_.description = description;
    info_.threads = threads;
    info_.transfer.streams = "one thread pool; run() and copies finish before they return";
    info_.cores = cores;
    info_.channels_last = cpu::convs_prefer_channels_last(engine_);
    info_.memory_bytes = host_memory_bytes();
    pool_ = std::make_shared<cpu::ThreadPool>(threads, cores);
  }

  const DeviceInfo& info() const override { return info_; }

  bool supports(const Node& node, const Graph&) const override {
    return cpu::find_lowering(node.op) != nullptr;
  }

  std::unique_ptr<Executable> compile(const Segment& segment) override {
    check_compilable(*this, segment);
    cpu::SingleThreadedOneDnn single_threaded;
    return cpu::SegmentCompiler(segment, engine_, stream_, info_.name, pool_).compile();
  }

 private:
  DeviceInfo info_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::shared_ptr<cpu::ThreadPool> pool_;
};

}  // namespace

std::unique_ptr<Device> make_cpu_device(int index, const DeviceOptions& options) {
  if (options.threads < 0)
    fail(ErrorKind::InvalidInput, "cpu: thread count " + std::to_string(options.threads) + " must be 0 (all cores) or more");
  try {
    return std::make_unique<CpuDevice>(index, options);
  } catch (const dnnl::error& e) {
    fail(ErrorKind::Device, std::string("cpu: oneDNN could not create an engine: ") + e.what());
  }
}

}  // namespace tandem
