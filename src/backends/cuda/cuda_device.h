// The cuda device's entry points for the registry: no CUDA types, so that the
// registry compiles without vendor headers.
#pragma once
#include <memory>
#include <string>

#include "backends/device.h"

namespace tandem {

struct CudaAvailability {
  int devices = 0;       // GPUs usable here
  std::string summary;   // their names, or why there are none ("no CUDA device: ...")
};

CudaAvailability cuda_availability();

// The GPU with this ordinal (index -1: "cuda", ordinal 0). Throws Error(InvalidInput)
// when there is no such GPU, saying why.
std::unique_ptr<Device> make_cuda_device(int index, const DeviceOptions& options);

}  // namespace tandem
