// Device fingerprints from a created device's DeviceInfo and the tandem version.
#include "profile/fingerprint.h"

namespace tandem {

DeviceFingerprint fingerprint_of(const Device& device) {
  const DeviceInfo& info = device.info();
  DeviceFingerprint fp;
  fp.device = info.name;
  fp.kind = device_kind_name(info.kind);
  fp.description = info.description;
  fp.threads = info.threads;
  fp.tandem_version = TANDEM_VERSION;
  return fp;
}

std::string DeviceFingerprint::key() const {
  return device + " | " + kind + " | " + description + " | " + std::to_string(threads) + " threads | tandem " +
         tandem_version;
}

}  // namespace tandem
