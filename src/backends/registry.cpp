// The only file that knows which backends were built into this binary.
#include "backends/registry.h"

#include <thread>

#include "backends/cpu/cpu_device.h"
#include "backends/reference/reference_device.h"
#include "tandem/error.h"
#if TANDEM_CUDA
#include "backends/cuda/cuda_device.h"
#endif

namespace tandem {

std::vector<BackendStatus> list_backends() {
  std::vector<BackendStatus> all;
  all.push_back({"reference", true, true, "plain loops (oracle)"});
  all.push_back({"cpu", true, true,
                 cpu_model_name() + ", " + std::to_string(std::thread::hardware_concurrency()) + " threads"});
#if TANDEM_CUDA
  CudaAvailability gpus = cuda_availability();
  all.push_back({"cuda", true, gpus.devices > 0, gpus.summary});
#else
  all.push_back({"cuda", false, false, "not built (TANDEM_CUDA=OFF or no CUDA toolkit/cuDNN)"});
#endif
  return all;
}

static int parse_index(const std::string& name, size_t colon) {
  std::string digits = name.substr(colon + 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 4)
    fail(ErrorKind::InvalidInput, "bad device index in '" + name + "'");
  return std::stoi(digits);
}

bool is_host_device_name(const std::string& name) {
  return name == "reference" || name == "cpu" || name.rfind("cpu:", 0) == 0;
}

std::unique_ptr<Device> create_device(const std::string& name, const DeviceOptions& options) {
  if (name == "reference") return make_reference_device(options);
  if (name == "cpu") return make_cpu_device(-1, options);
  if (name.rfind("cpu:", 0) == 0) return make_cpu_device(parse_index(name, 3), options);
#if TANDEM_CUDA
  if (name == "cuda") return make_cuda_device(-1, options);
  if (name.rfind("cuda:", 0) == 0) return make_cuda_device(parse_index(name, 4), options);
#else
  if (name == "cuda" || name.rfind("cuda:", 0) == 0)
    fail(ErrorKind::InvalidInput, "device '" + name + "' is not usable here: " + list_backends()[2].detail);
#endif
  fail(ErrorKind::InvalidInput, "unknown device '" + name + "' (known: reference, cpu, cpu:N, cuda:N)");
}

}  // namespace tandem
