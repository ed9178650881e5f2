// A profile file as a cache: measurements of a device are reused while its
// fingerprint is unchanged; when it changes, all of that device's runs and links are
// dropped. Runs are keyed by (model, device, batch, load).
#pragma once
#include <string>
#include <vector>

#include "profile/profile.h"

namespace tandem {

// The profile at `path`; an empty one when no file exists there, or when an older
// tandem wrote it in an older format (a stale cache: said in `notes`); without its
// runs (kept: its links) when they predate some node features (also said in `notes`). An unreadable
// or foreign file, or one of a newer format, is an error unless `start_over` is set,
// which gives an empty profile and says why in `notes`.
Profile open_profile_cache(const std::string& path, bool start_over, std::vector<std::string>& notes);

// Records `current` as its device's fingerprint. When the profile held a different
// one, drops the device's runs and links first and returns a message saying so;
// otherwise returns "".
std::string refresh_fingerprint(Profile& profile, const DeviceFingerprint& current);

// The run with this key, or nullptr.
const ProfileRun* find_run(const Profile& profile, const std::string& model, const std::string& device,
                           int64_t batch, double load);
// Adds `run`, replacing any run with the same key.
void put_run(Profile& profile, ProfileRun run);

bool has_links(const Profile& profile, const std::string& device);
// Replaces all links of `device` with `links`.
void put_links(Profile& profile, const std::string& device, std::vector<LinkProfile> links);

}  // namespace tandem
