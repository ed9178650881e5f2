// Measured costs: for every node of every profiled model, device, batch size and
// injected CPU load, the node's latency (median and spread over repeats after
// warm-up) with its predictor features; and for every link between the host and a
// device, copy time against bytes with a fitted piecewise latency + bytes/bandwidth model.
// A profile is a versioned JSON file keyed by device fingerprints; it is reused as a
// cache until a fingerprint changes. `tandem profile` writes it, `tandem sweep` adds
// synthetic layers to it, `tandem fit` trains predictors from it.
#pragma once
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "predict/features.h"
#include "profile/link_model.h"

namespace tandem {

constexpr int kProfileVersion = 2;

// What identifies a device's speed: if any field changes, old measurements are stale.
struct DeviceFingerprint {
  std::string device;       // "cpu", "cpu:1", "cuda"
  std::string kind;         // "host", "gpu", "remote"
  std::string description;  // CPU model, or GPU name with driver
  int threads = 0;
  std::string tandem_version;
  std::string key() const;  // one string of all fields, compared for cache reuse
};

struct Spread {
  double median = 0, p10 = 0, p90 = 0;
};
// Median and 10th/90th percentiles (linear interpolation); zeros when empty.
Spread spread_of(std::vector<double> samples);

// One node of one run. Nodes fused into the one before report 0 (fused = true);
// their cost is in that node's time.
struct NodeSample {
  std::string name;
  std::string signature;  // op with shapes and attributes: equal signatures are the same work
  bool fused = false;
  Spread us;
  NodeFeatures features;  // threads and load filled in from the run
  // Median µs of the node (with the nodes fused into it) compiled as its own segment,
  // with dense row-major inputs and outputs, while the whole graph runs cut apart at
  // every costed node (0: not measured). Above `us.median` by what a segment boundary
  // costs: layout conversions, lost fusions, dispatch, the cache state after a cut.
  double isolated_us = 0;
};

// One model (or synthetic layer from a sweep) on one device at one batch and load.
struct ProfileRun {
  std::string model;          // zoo name, ONNX path stem, or "sweep/<layer>/<params>"
  std::string device;
  int64_t batch = 1;
  double load = 0;            // injected extra load, 0..1 of the cores
  double measured_load = 0;   // CPU busy share seen in /proc/stat while it ran, 0..1 (-1: unreadable)
  int warmup = 0, repeats = 0;
  // Timed runs the medians come from: at no injected load the quiet ones (quiet_runs.h),
  // else all; files written before read as `repeats`.
  int quiet_repeats = 0;
  Spread total_us;            // whole run, end to end on the device
  std::vector<NodeSample> nodes;
};

constexpr int kMaxLinkSegments = 4;

struct LinkSample {
  double bytes = 0;
  Spread us;
};

// A copy-time model fitted to the samples: one latency + bytes/bandwidth line per
// size regime (link_model.h). latency_us and bytes_per_us are those of the
// largest-copy regime (the last segment), the figures a summary quotes.
struct LinkFit {
  LinkFit() = default;
  LinkFit(double latency, double bandwidth, double max_error = 0, double mean_error = 0,
          std::vector<LinkSegment> regimes = {})
      : latency_us(latency), bytes_per_us(bandwidth), max_rel_error(max_error), mean_rel_error(mean_error),
        segments(std::move(regimes)) {}
  double latency_us = 0;
  double bytes_per_us = 0;
  double max_rel_error = 0;   // over the samples
  double mean_rel_error = 0;
  std::vector<LinkSegment> segments;  // by from_bytes; empty: the single line above (older files)
  double time_us(double bytes) const {
    if (!segments.empty()) return piecewise_time_us(segments, bytes);
    return LinkSegment{0, latency_us, bytes_per_us}.line_us(bytes);
  }
};

struct LinkProfile {
  std::string device;      // the non-host side (or "cpu:1" for host-memory devices)
  std::string direction;   // "to_device" or "to_host"
  std::vector<LinkSample> samples;
  LinkFit fit;
};

struct Profile {
  int version = kProfileVersion;
  std::map<std::string, DeviceFingerprint> devices;  // by device name
  std::vector<ProfileRun> runs;
  std::vector<LinkProfile> links;
  // Node features some node of the file lacked (written before they existed), read
  // as 0. Not written: a profile written by this tandem has them all.
  std::set<std::string> missing_features;
};

// Throws Error(Io) when unreadable, Error(InvalidInput) when not a tandem profile or
// of another version, naming the file and the problem.
Profile read_profile(const std::string& path);
// The format version of the tandem profile at `path`; nullopt when the file cannot be
// read or is not a tandem profile.
std::optional<int64_t> profile_format_version(const std::string& path);
void write_profile(const Profile& profile, const std::string& path);

// Piecewise fit (link_fit.cpp): up to kMaxLinkSegments regimes of consecutive sizes,
// each a least-squares line on the relative error, split where the fewest sizes miss
// by more than ±10% and then the largest error is least; more regimes only where they
// clearly help. The errors reported are relative, over all samples.
LinkFit fit_link(const std::vector<LinkSample>& samples);

}  // namespace tandem
