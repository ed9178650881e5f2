// Device fingerprints: what identifies a device's speed (name, kind, CPU model or GPU
// name with driver, threads, tandem version with a hash of its kernel code, e.g.
// "0.1.0+kernels.3f9c0a1b2c4d"). A profile's measurements of a device stay valid while
// its fingerprint key is unchanged.
#pragma once
#include <string>

#include "backends/device.h"
#include "profile/profile.h"

namespace tandem {

DeviceFingerprint fingerprint_of(const Device& device);

}  // namespace tandem
