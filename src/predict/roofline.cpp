// Roofline evaluation, fitting by pattern search in log space, defaults and JSON.
#include "predict/roofline.h"

#include <algorithm>
#include <array>
#include <cmath>

#include <nlohmann/json.hpp>

#include "tandem/error.h"

namespace tandem {

double moved_bytes(const NodeFeatures& f) { return f.input_bytes + f.output_bytes + f.weight_bytes; }

double Roofline::time_us(const NodeFeatures& f) const {
  double peak = flops_per_us;
  if (ref_threads > 0 && f.threads > 0) peak *= f.threads / ref_threads;
  double work = std::max(f.flops / peak, moved_bytes(f) / bytes_per_us);
  return (overhead_us + work) * (1 + load_slope * std::max(0.0, f.load));
}

Roofline Roofline::defaults(DeviceKind kind, int threads) {
  if (kind == DeviceKind::Gpu) return {20, 2e6, 1e5, 0.1, 0};
  double cores = std::max(1, threads);
  double overhead = kind == DeviceKind::Remote ? 2005 : 5;
  return {overhead, 5e3 * cores, 5e3, 1.0, cores};
}

namespace {

// Parameters searched: log overhead, log peak, log bandwidth, load slope.
using Params = std::array<double, 4>;
constexpr Params kLower = {-4.6, 0.0, 0.0, 0.0};  // 0.01 µs, 1 FLOP/µs, 1 B/µs
constexpr Params kUpper = {13.8, 20.7, 20.7, 10.0};

Roofline roofline_of(const Params& p, double ref_threads) {
  return {std::exp(p[0]), std::exp(p[1]), std::exp(p[2]), p[3], ref_threads};
}

// Mean pseudo-Huber loss of the log error: smooth, and robust to noisy outliers.
double loss(const Params& p, const std::vector<LatencySample>& samples, double ref_threads) {
  Roofline r = roofline_of(p, ref_threads);
  constexpr double delta = 0.05;
  double sum = 0;
  for (const LatencySample& s : samples) {
    double e = std::log(r.time_us(s.features) / s.us);
    sum += std::sqrt(e * e + delta * delta) - delta;
  }
  return sum / static_cast<double>(samples.size());
}

double quantile(std::vector<double> values, double q, double fallback) {
  if (values.empty()) return fallback;
  size_t k = static_cast<size_t>(q * static_cast<double>(values.size() - 1));
  std::nth_element(values.begin(), values.begin() + static_cast<long>(k), values.end());
  return values[k];
}

// Quantile estimates: overhead under the fastest times, rates the busiest nodes reach.
Params starting_point(const std::vector<LatencySample>& samples, double ref_threads) {
  std::vector<double> rates, bandwidths, times;
  for (const LatencySample& s : samples) {
    double scale = ref_threads > 0 && s.features.threads > 0 ? s.features.threads / ref_threads : 1;
    if (s.features.flops > 0) rates.push_back(s.features.flops / scale / s.us);
    if (moved_bytes(s.features) > 0) bandwidths.push_back(moved_bytes(s.features) / s.us);
    times.push_back(s.us);
  }
  return {std::log(0.5 * quantile(times, 0.1, 1.0)), std::log(quantile(rates, 0.9, 1e4)),
          std::log(quantile(bandwidths, 0.9, 1e4)), 0.5};
}

// The search box: kLower..kUpper, the overhead at most the caller's limit.
Params upper_bounds(double max_overhead_us) {
  Params upper = kUpper;
  upper[0] = std::clamp(std::log(max_overhead_us), kLower[0], kUpper[0]);
  return upper;
}

Params clamped(Params p, const Params& upper) {
  for (size_t i = 0; i < p.size(); ++i) p[i] = std::clamp(p[i], kLower[i], upper[i]);
  return p;
}

// Coordinate pattern search from `p`: try ± step on each parameter, halve the steps
// when nothing improves.
Params pattern_search(Params p, Params step, const Params& upper, const std::vector<LatencySample>& samples,
                      double ref_threads) {
  double best = loss(p, samples, ref_threads);
  for (int sweep = 0; sweep < 400 && *std::max_element(step.begin(), step.end()) > 1e-4; ++sweep) {
    bool improved = false;
    for (size_t i = 0; i < p.size(); ++i) {
      for (double direction : {1.0, -1.0}) {
        if (step[i] == 0) continue;
        Params trial = p;
        trial[i] = std::clamp(p[i] + direction * step[i], kLower[i], upper[i]);
        double value = loss(trial, samples, ref_threads);
        if (value < best) best = value, p = trial, improved = true;
      }
    }
    if (!improved)
      for (double& s : step) s *= 0.5;
  }
  return p;
}

// The max() makes the loss multi-modal (compute- or memory-bound explanations of the
// same times), so a coarse grid around the quantile estimates, on a subsample, picks
// the starting points of the pattern searches.
std::vector<Params> grid_starts(const std::vector<LatencySample>& samples, const Params& estimate, const Params& upper,
                                double ref_threads) {
  std::vector<LatencySample> coarse;
  size_t stride = std::max<size_t>(1, samples.size() / 400);
  for (size_t i = 0; i < samples.size(); i += stride) coarse.push_back(samples[i]);
  std::vector<std::pair<double, Params>> ranked;
  for (double o = -4; o <= 0.6; o += 0.4)          // overhead: e^-4 .. e^0.6 of the estimate
    for (double peak = -1; peak <= 4.1; peak += 0.6)   // peak: e^-1 .. e^4 of the estimate
      for (double bw = -1; bw <= 8.1; bw += 0.7) {     // bandwidth: e^-1 .. e^8 (never memory-bound)
        Params p = clamped({estimate[0] + o, estimate[1] + peak, estimate[2] + bw, estimate[3]}, upper);
        ranked.emplace_back(loss(p, coarse, ref_threads), p);
      }
  std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<Params> starts;
  for (size_t i = 0; i < ranked.size() && i < 3; ++i) starts.push_back(ranked[i].second);
  return starts;
}

}  // namespace

Roofline Roofline::fit(const std::vector<LatencySample>& samples, double ref_threads, double unfitted_load_slope,
                       double max_overhead_us) {
  if (samples.empty()) fail(ErrorKind::Internal, "roofline fit needs at least one sample");
  bool loaded = std::any_of(samples.begin(), samples.end(), [](const LatencySample& s) { return s.features.load > 0.01; });
  Params estimate = starting_point(samples, ref_threads);
  if (!loaded) estimate[3] = 0;
  Params step = {std::log(2.0), std::log(2.0), std::log(2.0), loaded ? 0.25 : 0.0};
  Params upper = upper_bounds(max_overhead_us);
  Params best = clamped(estimate, upper);
  double best_loss = loss(best, samples, ref_threads);
  for (const Params& start : grid_starts(samples, estimate, upper, ref_threads)) {
    Params p = pattern_search(start, step, upper, samples, ref_threads);
    double value = loss(p, samples, ref_threads);
    if (value < best_loss) best_loss = value, best = p;
  }
  Roofline r = roofline_of(best, ref_threads);
  if (!loaded) r.load_slope = unfitted_load_slope;
  return r;
}

nlohmann::json roofline_json(const Roofline& r) {
  return {{"overhead_us", r.overhead_us}, {"flops_per_us", r.flops_per_us}, {"bytes_per_us", r.bytes_per_us},
          {"load_slope", r.load_slope},   {"ref_threads", r.ref_threads}};
}

static double number_field(const nlohmann::json& j, const char* name, const std::string& where, bool positive) {
  if (!j.is_object() || !j.contains(name) || !j[name].is_number())
    fail(ErrorKind::InvalidInput, where + ": missing number '" + name + "'");
  double value = j[name].get<double>();
  if (!std::isfinite(value) || value < 0 || (positive && value <= 0))
    fail(ErrorKind::InvalidInput, where + ": '" + name + "' must be " + (positive ? "positive" : "non-negative"));
  return value;
}

Roofline roofline_from_json(const nlohmann::json& j, const std::string& where) {
  return {number_field(j, "overhead_us", where, false), number_field(j, "flops_per_us", where, true),
          number_field(j, "bytes_per_us", where, true), number_field(j, "load_slope", where, false),
          number_field(j, "ref_threads", where, false)};
}

}  // namespace tandem
