// The samples latency predictors learn from: one per measured node of a profile
// (device, where it came from, its signature, features and median time), minus the
// nodes no predictor should be judged on: nodes fused into the one before (time 0)
// and nodes faster than a floor, whose times are dominated by timer and scheduling
// noise. Also the deterministic split of samples by signature that held-out
// evaluation and model selection use, so that no shape is both trained and tested.
#pragma once
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "predict/features.h"
#include "profile/profile.h"

namespace tandem {

// Nodes under 2 µs: a per-node timer read and the dispatch around it cost a few
// hundred nanoseconds and vary by about as much, so ±10% cannot be measured there
// (let alone predicted); they are also a negligible share of any model's latency.
constexpr double kDefaultFloorUs = 2.0;

struct LatencySample {
  std::string device;
  std::string source;         // the run's model: zoo name, ONNX stem, or "sweep/..."
  std::string signature;      // equal signatures are the same work
  double injected_load = 0;   // the run's extra load, 0..1
  NodeFeatures features;
  double us = 0;              // median time
};

struct SkippedNodes {
  int fused = 0;              // time 0: their cost is in the node before
  int below_floor = 0;
  double below_floor_us = 0;  // their summed time
  double kept_us = 0;         // summed time of the samples kept
};

struct TrainingSet {
  std::vector<LatencySample> samples;
  SkippedNodes skipped;
};

// Samples of every run of the profile. A node's features take threads from the
// device's fingerprint when the profile left them 0.
TrainingSet training_set(const Profile& profile, double floor_us = kDefaultFloorUs);

// Per device, the signatures the device always fused into the node before (time 0
// in every run they appeared in): a prediction for such a node is 0.
std::map<std::string, std::set<std::string>> fused_signatures(const Profile& profile);

// Whether a sample source is a synthetic layer from a sweep ("sweep/...").
bool is_sweep_source(const std::string& source);

// A stable 64-bit hash (FNV-1a) mixed with `seed`; the same on every platform.
uint64_t stable_hash(const std::string& text, uint64_t seed);

// The signatures (per device: "device|signature") drawn for a held-out share
// (0..1) of the distinct signatures of `samples`, deterministically from `seed`.
std::set<std::string> held_out_signatures(const std::vector<LatencySample>& samples, double share, uint64_t seed);
std::string signature_key(const LatencySample& sample);

// A training/validation split in which no validation signature is trained on: a
// seeded share of whole sources (models) when the samples come from at least four,
// so that validation asks what held-out evaluation asks; else a share of signatures.
struct SampleSplit {
  std::vector<LatencySample> training, validation;
};
SampleSplit validation_split(const std::vector<LatencySample>& samples, double share, uint64_t seed);

}  // namespace tandem
