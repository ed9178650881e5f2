// Device fingerprints: what identifies a device's speed (name, kind, CPU model or GPU
// name with driver, threads, tandem version). A profile's measurements of a device
// stay valid while its fingerprint key is unchanged.
#pragma once
#include <string>

#include "backends/device.h"
#include "profile/profile.h"

namespace tandem {

DeviceFingerprint fingerprint_of(const Device& device);

}  // namespace tandem
