// The reference backend: every op with plain loops, one node at a time. It is the
// oracle the other backends are checked against, not a fast path.
#pragma once
#include <memory>

#include "backends/device.h"

namespace tandem {

std::unique_ptr<Device> make_reference_device(const DeviceOptions& options);

}  // namespace tandem
