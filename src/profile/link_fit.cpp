// The link model: time_us(bytes) = latency_us + bytes / bytes_per_us, fitted to
// measured copy times by least squares on the relative error (each sample weighted
// by 1 / time^2), so that 1 KB copies count as much as 64 MB ones. Times under
// kWeightFloorUs are weighted as that floor: below a microsecond an error matters in
// microseconds, not as a share, and a sub-microsecond copy (a small memcpy absorbed by
// the store buffers) must not bend the line that the larger copies follow.
#include <algorithm>
#include <cmath>

#include "profile/profile.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr double kWeightFloorUs = 1.0;

double weight_of(double t) { return 1.0 / std::pow(std::max(t, kWeightFloorUs), 2); }

struct Point {
  double x = 0;  // bytes, scaled to at most 1
  double t = 0;  // median microseconds
};

// Weighted sums for the normal equations of t ~ a + b x.
struct Sums {
  double w = 0, wx = 0, wxx = 0, wt = 0, wxt = 0;
  explicit Sums(const std::vector<Point>& points) {
    for (const Point& p : points) {
      double weight = weight_of(p.t);
      w += weight;
      wx += weight * p.x;
      wxx += weight * p.x * p.x;
      wt += weight * p.t;
      wxt += weight * p.x * p.t;
    }
  }
};

// Intercept a and slope b, both kept non-negative (a copy never takes negative time).
std::pair<double, double> solve(const std::vector<Point>& points) {
  Sums s(points);
  double det = s.w * s.wxx - s.wx * s.wx;
  if (det > 1e-12 * s.w * s.wxx) {
    double a = (s.wt * s.wxx - s.wx * s.wxt) / det;
    double b = (s.w * s.wxt - s.wx * s.wt) / det;
    if (a >= 0 && b > 0) return {a, b};
  }
  // The unconstrained optimum is outside a >= 0, b > 0: the best fit lies on an edge.
  auto relative_cost = [&](double a, double b) {
    double cost = 0;
    for (const Point& p : points) cost += weight_of(p.t) * std::pow(a + b * p.x - p.t, 2);
    return cost;
  };
  std::pair<double, double> bandwidth_only{0.0, s.wxx > 0 ? s.wxt / s.wxx : 0.0};
  std::pair<double, double> latency_only{s.wt / s.w, 0.0};
  if (bandwidth_only.second > 0 &&
      relative_cost(bandwidth_only.first, bandwidth_only.second) <= relative_cost(latency_only.first, 0))
    return bandwidth_only;
  return latency_only;
}

}  // namespace

LinkFit fit_link(const std::vector<LinkSample>& samples) {
  double max_bytes = 0;
  for (const LinkSample& s : samples) max_bytes = std::max(max_bytes, s.bytes);
  std::vector<Point> points;
  for (const LinkSample& s : samples)
    if (s.us.median > 0 && s.bytes >= 0 && std::isfinite(s.us.median))
      points.push_back({max_bytes > 0 ? s.bytes / max_bytes : 0.0, s.us.median});
  if (points.empty()) fail(ErrorKind::InvalidInput, "fit_link: no sample with a positive time to fit");
  auto [a, b] = solve(points);
  LinkFit fit;
  fit.latency_us = a;
  fit.bytes_per_us = b > 0 ? max_bytes / b : 0.0;
  double sum = 0;
  for (const Point& p : points) {
    double error = std::abs(a + b * p.x - p.t) / p.t;
    fit.max_rel_error = std::max(fit.max_rel_error, error);
    sum += error;
  }
  fit.mean_rel_error = sum / static_cast<double>(points.size());
  return fit;
}

}  // namespace tandem
