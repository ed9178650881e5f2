// Samples for predictors from a profile, and the seeded splits by signature and source.
#include "predict/training_set.h"

#include <algorithm>

namespace tandem {

bool is_sweep_source(const std::string& source) { return source.rfind("sweep/", 0) == 0; }

uint64_t stable_hash(const std::string& text, uint64_t seed) {
  uint64_t h = 1469598103934665603ull ^ (seed * 0x9E3779B97F4A7C15ull);
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ull;
  }
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

std::string signature_key(const LatencySample& sample) { return sample.device + "|" + sample.signature; }

TrainingSet training_set(const Profile& profile, double floor_us) {
  TrainingSet set;
  for (const ProfileRun& run : profile.runs) {
    auto fingerprint = profile.devices.find(run.device);
    double device_threads = fingerprint == profile.devices.end() ? 0 : fingerprint->second.threads;
    for (const NodeSample& node : run.nodes) {
      if (node.fused || node.us.median <= 0) {
        ++set.skipped.fused;
        continue;
      }
      if (node.us.median < floor_us) {
        ++set.skipped.below_floor;
        set.skipped.below_floor_us += node.us.median;
        continue;
      }
      LatencySample sample{run.device, run.model, node.signature, run.load, node.features, node.us.median};
      if (sample.features.threads <= 0) sample.features.threads = device_threads > 0 ? device_threads : 1;
      if (sample.signature.empty()) sample.signature = node.name;
      set.skipped.kept_us += sample.us;
      set.samples.push_back(std::move(sample));
    }
  }
  return set;
}

std::map<std::string, std::set<std::string>> fused_signatures(const Profile& profile) {
  std::map<std::string, std::set<std::string>> fused, timed;
  for (const ProfileRun& run : profile.runs)
    for (const NodeSample& node : run.nodes) (node.fused ? fused : timed)[run.device].insert(node.signature);
  for (auto& [device, signatures] : fused)
    for (const std::string& signature : timed[device]) signatures.erase(signature);
  return fused;
}

// A seeded share of `names` (at least `minimum`), the same for the same names and seed.
static std::set<std::string> seeded_share(const std::set<std::string>& names, double share, uint64_t seed,
                                          size_t minimum) {
  std::vector<std::pair<uint64_t, std::string>> order;
  for (const std::string& name : names) order.emplace_back(stable_hash(name, seed), name);
  std::sort(order.begin(), order.end());
  size_t count = std::max(minimum, static_cast<size_t>(share * static_cast<double>(order.size()) + 0.5));
  std::set<std::string> chosen;
  for (size_t i = 0; i < count && i < order.size(); ++i) chosen.insert(order[i].second);
  return chosen;
}

std::set<std::string> held_out_signatures(const std::vector<LatencySample>& samples, double share, uint64_t seed) {
  std::set<std::string> keys;
  for (const LatencySample& s : samples) keys.insert(signature_key(s));
  return seeded_share(keys, share, seed, 0);
}

SampleSplit validation_split(const std::vector<LatencySample>& samples, double share, uint64_t seed) {
  std::set<std::string> sources;
  for (const LatencySample& s : samples) sources.insert(s.source);
  std::set<std::string> keys;
  if (sources.size() >= 4) {
    std::set<std::string> held = seeded_share(sources, share, seed, 1);
    for (const LatencySample& s : samples)
      if (held.count(s.source)) keys.insert(signature_key(s));
  } else {
    keys = held_out_signatures(samples, share, seed);
  }
  SampleSplit split;
  for (const LatencySample& s : samples) (keys.count(signature_key(s)) ? split.validation : split.training).push_back(s);
  return split;
}

}  // namespace tandem
