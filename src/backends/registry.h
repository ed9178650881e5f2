// The backends built into this binary and the devices usable on this machine.
// registry.cpp is the only file that knows which backends were compiled in.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/device.h"

namespace tandem {

struct BackendStatus {
  std::string name;     // "reference", "cpu", "cuda"
  bool built = false;
  bool usable = false;  // a device of this kind can be created here
  std::string detail;   // CPU model, GPU name, or why it is unusable
};

std::vector<BackendStatus> list_backends();

// "reference", "cpu", "cpu:N" (an independent CPU device instance with its own
// memory and threads), "cuda" or "cuda:N" (a GPU). Throws Error(InvalidInput) for an unknown
// or unusable device, saying why.
// Whether the named device computes on the host's cores ("reference", "cpu", "cpu:N").
bool is_host_device_name(const std::string& name);

std::unique_ptr<Device> create_device(const std::string& name, const DeviceOptions& options = {});

}  // namespace tandem
