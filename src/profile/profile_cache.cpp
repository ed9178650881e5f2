// Cache rules of profile files: fingerprint checks, run keys, replacing entries.
#include "profile/profile_cache.h"

#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "tandem/error.h"

namespace tandem {

static bool same_key(const ProfileRun& run, const std::string& model, const std::string& device, int64_t batch,
                     double load) {
  return run.model == model && run.device == device && run.batch == batch && std::abs(run.load - load) < 1e-6;
}

// Drops the runs of a profile that predates some node features (they would read as
// 0, which predictors take for measured values); its links stay valid.
static void drop_runs_missing_features(Profile& profile, const std::string& path, std::vector<std::string>& notes) {
  if (profile.missing_features.empty()) return;
  notes.push_back(fmt::format("profile '{}' was written before the node feature(s) {}: dropped its {} run(s) to "
                              "measure them again",
                              path, fmt::join(profile.missing_features, ", "), profile.runs.size()));
  profile.runs.clear();
  profile.missing_features.clear();
}

Profile open_profile_cache(const std::string& path, bool start_over, std::vector<std::string>& notes) {
  if (!std::filesystem::exists(path)) return Profile{};
  try {
    Profile profile = read_profile(path);
    drop_runs_missing_features(profile, path, notes);
    return profile;
  } catch (const Error& e) {
    // Only a file read_profile refuses is looked at again, for its format version.
    std::optional<int64_t> version = profile_format_version(path);
    if (version && *version < kProfileVersion) {
      notes.push_back("profile '" + path + "' was written by an older tandem (format " + std::to_string(*version) +
                      ", now " + std::to_string(kProfileVersion) + "); measuring again into a new profile");
      return Profile{};
    }
    if (!start_over) throw;
    notes.push_back(std::string(e.what()) + "; starting a new profile");
    return Profile{};
  }
}

std::string refresh_fingerprint(Profile& profile, const DeviceFingerprint& current) {
  auto known = profile.devices.find(current.device);
  std::string message;
  if (known != profile.devices.end() && known->second.key() != current.key()) {
    const std::string& name = current.device;
    auto runs_before = profile.runs.size();
    std::erase_if(profile.runs, [&](const ProfileRun& r) { return r.device == name; });
    std::erase_if(profile.links, [&](const LinkProfile& l) { return l.device == name; });
    message = name + " changed (was: " + known->second.key() + "; now: " + current.key() + "): dropped its " +
              std::to_string(runs_before - profile.runs.size()) + " cached run(s) and its links";
  }
  profile.devices[current.device] = current;
  return message;
}

const ProfileRun* find_run(const Profile& profile, const std::string& model, const std::string& device,
                           int64_t batch, double load) {
  for (const ProfileRun& run : profile.runs)
    if (same_key(run, model, device, batch, load)) return &run;
  return nullptr;
}

void put_run(Profile& profile, ProfileRun run) {
  std::erase_if(profile.runs,
                [&](const ProfileRun& r) { return same_key(r, run.model, run.device, run.batch, run.load); });
  profile.runs.push_back(std::move(run));
}

bool has_links(const Profile& profile, const std::string& device) {
  return std::any_of(profile.links.begin(), profile.links.end(),
                     [&](const LinkProfile& l) { return l.device == device; });
}

void put_links(Profile& profile, const std::string& device, std::vector<LinkProfile> links) {
  std::erase_if(profile.links, [&](const LinkProfile& l) { return l.device == device; });
  for (LinkProfile& link : links) profile.links.push_back(std::move(link));
}

}  // namespace tandem
