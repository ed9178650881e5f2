// Device fingerprints from a created device's DeviceInfo, the tandem version and a
// hash of the code that runs nodes (cmake/kernel_code_hash.cmake): a profile taken
// with other kernels is re-measured rather than trusted.
#include "profile/fingerprint.h"

#include "kernel_code.h"

namespace tandem {

DeviceFingerprint fingerprint_of(const Device& device) {
  const DeviceInfo& info = device.info();
  DeviceFingerprint fp;
  fp.device = info.name;
  fp.kind = device_kind_name(info.kind);
  fp.description = info.description;
  fp.threads = info.threads;
  fp.tandem_version = std::string(TANDEM_VERSION) + "+kernels." + TANDEM_KERNEL_CODE;
  return fp;
}

std::string DeviceFingerprint::key() const {
  return device + " | " + kind + " | " + description + " | " + std::to_string(threads) + " threads | tandem " +
         tandem_version;
}

}  // namespace tandem
