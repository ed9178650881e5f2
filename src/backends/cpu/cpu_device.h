// The cpu backend: oneDNN primitives (created once at compile time, executed in the
// hot path), blocked layouts kept between oneDNN ops inside a segment, planned
// intermediate memory, and own vectorised kernels for ops oneDNN lacks.
#pragma once
#include <memory>
#include <string>

#include "backends/device.h"

namespace tandem {

// index < 0: the default "cpu" device; otherwise "cpu:<index>", an independent
// instance with its own memory and threads.
std::unique_ptr<Device> make_cpu_device(int index, const DeviceOptions& options);
// "Intel(R) Xeon(R) ..." from /proc/cpuinfo.
std::string cpu_model_name();

}  // namespace tandem
