// Least-squares fit of the segment-boundary cost (boundary_fit.h).
#include "predict/boundary_fit.h"

#include <algorithm>
#include <cmath>

namespace tandem {

namespace {

// Calls f(run, node, extra µs) for every node timed cut apart in a run at load 0.
template <typename F>
void for_each_cut_node(const Profile& profile, F f) {
  for (const ProfileRun& run : profile.runs) {
    if (run.load != 0) continue;
    for (const NodeSample& n : run.nodes)
      if (n.isolated_us > 0 && !n.fused) f(run, n, std::max(0.0, n.isolated_us - n.us.median));
  }
}

}  // namespace

std::map<std::string, std::vector<BoundarySample>> boundary_samples(const Profile& profile) {
  std::map<std::string, std::vector<BoundarySample>> by_device;
  for_each_cut_node(profile, [&](const ProfileRun& run, const NodeSample& n, double extra) {
    by_device[run.device].push_back({n.features.input_bytes + n.features.output_bytes, extra});
  });
  return by_device;
}

std::map<std::string, std::map<std::string, double>> boundary_extras(const Profile& profile) {
  std::map<std::string, std::map<std::string, std::vector<double>>> samples;
  for_each_cut_node(profile, [&](const ProfileRun& run, const NodeSample& n, double extra) {
    samples[run.device][n.signature].push_back(extra);
  });
  std::map<std::string, std::map<std::string, double>> extras;
  for (auto& [device, by_signature] : samples)
    for (auto& [signature, values] : by_signature) extras[device][signature] = spread_of(std::move(values)).median;
  return extras;
}

namespace {

// Relative errors of the fit over samples of at least 1 µs.
void set_errors(LinkFit& fit, const std::vector<BoundarySample>& samples) {
  double sum = 0, worst = 0;
  int count = 0;
  for (const BoundarySample& s : samples) {
    if (s.extra_us < 1) continue;
    double error = std::abs(2 * fit.latency_us + (fit.bytes_per_us > 0 ? s.bytes / fit.bytes_per_us : 0) - s.extra_us) /
                   s.extra_us;
    sum += error;
    worst = std::max(worst, error);
    ++count;
  }
  fit.max_rel_error = worst;
  fit.mean_rel_error = count ? sum / count : 0;
}

}  // namespace

LinkFit fit_boundary(const std::vector<BoundarySample>& samples) {
  LinkFit fit;
  if (samples.empty()) return fit;
  double n = static_cast<double>(samples.size()), sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (const BoundarySample& s : samples) {
    sx += s.bytes;
    sy += s.extra_us;
    sxx += s.bytes * s.bytes;
    sxy += s.bytes * s.extra_us;
  }
  double det = n * sxx - sx * sx;
  double slope = det > 0 ? (n * sxy - sx * sy) / det : 0;  // µs per byte
  double intercept = (sy - slope * sx) / n;
  if (slope <= 0) {
    slope = 0;
    intercept = sy / n;
  } else if (intercept < 0) {
    intercept = 0;
    slope = sxx > 0 ? sxy / sxx : 0;
  }
  fit.latency_us = std::max(0.0, intercept) / 2;
  fit.bytes_per_us = slope > 0 ? 1 / slope : 0;
  set_errors(fit, samples);
  return fit;
}

}  // namespace tandem
