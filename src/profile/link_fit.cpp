// The link model: copy time against bytes as up to kMaxLinkSegments regimes of
// consecutive measured sizes (three or more; two at either end), each a line
// time = latency + bytes / bandwidth fitted by least squares on the relative error
// (each sample weighted by 1 / time^2), so that 1 KB copies count as much as 64 MB
// ones. The split is chosen by dynamic programming over the sorted sizes to minimise
// first the number of samples missed by more than ±10%, then the largest relative
// error; more segments are used only when they clearly help (fewer misses, or the
// largest error cut by a third). Between two regimes the breakpoint is where their
// lines cross when they cross between the two measured sizes (the time is continuous
// there); otherwise the time is kept monotone non-decreasing by piecewise_time_us
// (link_model.h).
#include <algorithm>
#include <cmath>
#include <limits>

#include "profile/profile.h"
#include "tandem/error.h"

namespace tandem {

namespace {

// Below this a time is too short to be resolved as a share (a few clock ticks):
// errors and weights treat it as this long, so noise on a 20 ns copy cannot decide
// where the regimes split.
constexpr double kTimeFloorUs = 0.05;
// A line through two points always fits, so an inner regime needs three. The first
// and last may have two: the smallest and largest sizes measured can be the only ones
// in their regime (e.g. DRAM copies, seen only at the two largest sizes).
constexpr size_t kMinPointsPerSegment = 3;
constexpr size_t kMinPointsPerEdgeSegment = 2;
constexpr double kTargetError = 0.10;       // the accuracy a link model is meant to reach
constexpr double kClearGain = 2.0 / 3;      // more segments must bring the max error to this share
constexpr double kGoodEnough = kTargetError / 2;  // a single line this close needs no regimes

double floored(double t) { return std::max(t, kTimeFloorUs); }
double weight_of(double t) { return 1.0 / std::pow(floored(t), 2); }

struct Point {
  double bytes = 0;
  double t = 0;  // median microseconds
};
using Points = std::vector<Point>;

// Weighted sums for the normal equations of t ~ a + b x, with x = bytes / scale.
struct Sums {
  double w = 0, wx = 0, wxx = 0, wt = 0, wxt = 0;
  Sums(const Points& points, double scale) {
    for (const Point& p : points) {
      double weight = weight_of(p.t), x = p.bytes / scale;
      w += weight;
      wx += weight * x;
      wxx += weight * x * x;
      wt += weight * p.t;
      wxt += weight * x * p.t;
    }
  }
};

// Intercept a and slope b of t ~ a + b x, both kept non-negative (a copy never takes
// negative time).
std::pair<double, double> solve(const Points& points, double scale) {
  Sums s(points, scale);
  double det = s.w * s.wxx - s.wx * s.wx;
  if (det > 1e-12 * s.w * s.wxx) {
    double a = (s.wt * s.wxx - s.wx * s.wxt) / det;
    double b = (s.w * s.wxt - s.wx * s.wt) / det;
    if (a >= 0 && b > 0) return {a, b};
  }
  // The unconstrained optimum is outside a >= 0, b > 0: the best fit lies on an edge.
  auto relative_cost = [&](double a, double b) {
    double cost = 0;
    for (const Point& p : points) cost += weight_of(p.t) * std::pow(a + b * p.bytes / scale - p.t, 2);
    return cost;
  };
  std::pair<double, double> bandwidth_only{0.0, s.wxx > 0 ? s.wxt / s.wxx : 0.0};
  std::pair<double, double> latency_only{s.wt / s.w, 0.0};
  if (bandwidth_only.second > 0 &&
      relative_cost(bandwidth_only.first, bandwidth_only.second) <= relative_cost(latency_only.first, 0))
    return bandwidth_only;
  return latency_only;
}

// The line of points [begin, end), from_bytes left 0.
LinkSegment fit_line(const Points& points, size_t begin, size_t end) {
  Points part(points.begin() + static_cast<std::ptrdiff_t>(begin), points.begin() + static_cast<std::ptrdiff_t>(end));
  double scale = std::max(part.back().bytes, 1.0);
  auto [a, b] = solve(part, scale);
  return {0, a, b > 0 ? scale / b : 0.0};
}

double error_of(double predicted, const Point& p) { return std::abs(predicted - p.t) / floored(p.t); }

// How well a line (or a split) fits: first the samples it misses by more than the
// ±10% target, then the largest relative error. Compared in that order.
struct FitCost {
  int outside = std::numeric_limits<int>::max() / 8;  // the default: no line fitted (too few points)
  double max_error = std::numeric_limits<double>::infinity();
  FitCost plus(const FitCost& other) const { return {outside + other.outside, std::max(max_error, other.max_error)}; }
  bool operator<(const FitCost& other) const {
    return outside != other.outside ? outside < other.outside : max_error < other.max_error;
  }
  // Worth the extra segments: fewer samples outside the target, or the largest
  // error cut by at least a third.
  bool clearly_better_than(const FitCost& other) const {
    return outside < other.outside || (outside == other.outside && max_error <= kClearGain * other.max_error);
  }
};

FitCost cost_of(const LinkSegment& line, const Points& points, size_t begin, size_t end) {
  FitCost cost{0, 0};
  for (size_t i = begin; i < end; ++i) {
    double error = error_of(line.line_us(points[i].bytes), points[i]);
    cost.outside += error > kTargetError ? 1 : 0;
    cost.max_error = std::max(cost.max_error, error);
  }
  return cost;
}

// A split of the sorted points into segments: their start indices and its cost.
struct Split {
  std::vector<size_t> starts;
  FitCost cost;
};

// The best split into k segments by dynamic programming over the sorted points.
class Splitter {
 public:
  explicit Splitter(const Points& points) : n_(points.size()) {
    cost_.assign(n_ + 1, std::vector<FitCost>(n_ + 1));  // cost_[i][j]: one line over points [i, j)
    for (size_t i = 0; i < n_; ++i)
      for (size_t j = i + std::min(kMinPointsPerEdgeSegment, n_); j <= n_; ++j)
        if (j - i >= std::min(kMinPointsPerSegment, n_) || i == 0 || j == n_)
          cost_[i][j] = cost_of(fit_line(points, i, j), points, i, j);
  }

  Split best(int segments) const {
    std::vector<Split> best(n_ + 1);  // best[j]: points [0, j) in the current number of segments
    for (size_t j = 1; j <= n_; ++j) best[j] = {{0}, cost_[0][j]};
    for (int k = 2; k <= segments; ++k) {
      std::vector<Split> next(n_ + 1);
      for (size_t j = 1; j <= n_; ++j)
        for (size_t i = 1; i < j; ++i) {
          FitCost cost = best[i].cost.plus(cost_[i][j]);
          if (cost < next[j].cost) {
            next[j] = best[i];
            next[j].starts.push_back(i);
            next[j].cost = cost;
          }
        }
      best = std::move(next);
    }
    return best[n_];
  }

 private:
  size_t n_;
  std::vector<std::vector<FitCost>> cost_;
};

// The fewest segments such that no split into more is clearly better; a single
// line within kGoodEnough is kept as it is.
Split choose_split(const Points& points) {
  Splitter splitter(points);
  Split chosen = splitter.best(1);
  if (chosen.cost.max_error <= kGoodEnough) return chosen;
  for (int k = 2; k <= kMaxLinkSegments; ++k) {
    Split more = splitter.best(k);
    if (more.cost.clearly_better_than(chosen.cost)) chosen = std::move(more);
  }
  return chosen;
}

// Where `next` takes over from `previous` between the sizes last_bytes and
// first_bytes: where their lines cross, else at the end that keeps the time
// from dropping.
double breakpoint(const LinkSegment& previous, const LinkSegment& next, double last_bytes, double first_bytes) {
  double gap_last = previous.line_us(last_bytes) - next.line_us(last_bytes);
  double gap_first = previous.line_us(first_bytes) - next.line_us(first_bytes);
  if (gap_last >= 0 && gap_first >= 0) return last_bytes;
  if (gap_last <= 0 && gap_first <= 0) return first_bytes;
  return last_bytes + (first_bytes - last_bytes) * gap_last / (gap_last - gap_first);
}

std::vector<LinkSegment> segments_of(const Points& points, const Split& split) {
  std::vector<LinkSegment> segments;
  for (size_t s = 0; s < split.starts.size(); ++s) {
    size_t begin = split.starts[s], end = s + 1 < split.starts.size() ? split.starts[s + 1] : points.size();
    LinkSegment line = fit_line(points, begin, end);
    if (s > 0) line.from_bytes = breakpoint(segments.back(), line, points[begin - 1].bytes, points[begin].bytes);
    segments.push_back(line);
  }
  return segments;
}

}  // namespace

LinkFit fit_link(const std::vector<LinkSample>& samples) {
  Points points;
  for (const LinkSample& s : samples)
    if (s.us.median > 0 && s.bytes >= 0 && std::isfinite(s.us.median)) points.push_back({s.bytes, s.us.median});
  if (points.empty()) fail(ErrorKind::InvalidInput, "fit_link: no sample with a positive time to fit");
  std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.bytes < b.bytes; });
  LinkFit fit;
  fit.segments = segments_of(points, choose_split(points));
  fit.latency_us = fit.segments.back().latency_us;
  fit.bytes_per_us = fit.segments.back().bytes_per_us;
  double sum = 0;
  for (const Point& p : points) {
    double error = std::abs(fit.time_us(p.bytes) - p.t) / p.t;
    fit.max_rel_error = std::max(fit.max_rel_error, error);
    sum += error;
  }
  fit.mean_rel_error = sum / static_cast<double>(points.size());
  return fit;
}

}  // namespace tandem
