// Crossover search: coarse log-spaced bracket, then integer bisection per sign change,
// with near-tie points re-measured and every value measured at most once.
#include "profile/crossover.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "tandem/error.h"

namespace tandem {

namespace {

double median_of(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t n = xs.size();
  return n % 2 ? xs[n / 2] : 0.5 * (xs[n / 2 - 1] + xs[n / 2]);
}

// -1 where A is faster, +1 where B is faster, 0 on an exact tie.
int sign_of(const MeasuredPoint& p) { return p.a_us < p.b_us ? -1 : p.a_us > p.b_us ? 1 : 0; }

// |t_A - t_B| / min(t_A, t_B); infinite when only one time is positive.
double relative_gap(double a, double b) {
  if (a == b) return 0;
  double smaller = std::min(a, b);
  return smaller > 0 ? std::fabs(a - b) / smaller : INFINITY;
}

// log(t_A / t_B), or 0 when a time is not positive.
double log_ratio(const MeasuredPoint& p) { return p.a_us > 0 && p.b_us > 0 ? std::log(p.a_us / p.b_us) : 0; }

class Search {
 public:
  Search(const MeasurePair& measure, const CrossoverOptions& options) : measure_(measure), options_(options) {}

  const MeasuredPoint& point(int64_t value) {
    auto found = points_.find(value);
    if (found != points_.end()) return found->second;
    auto [a, b] = measure_(value);
    MeasuredPoint p{value, a, b, 1};
    if (relative_gap(a, b) < options_.close_band && options_.remeasure > 1) p = remeasured(value, a, b);
    if (relative_gap(p.a_us, p.b_us) >= options_.tie_band) p.winner = p.a_us < p.b_us ? Winner::A : Winner::B;
    return points_.emplace(value, p).first->second;
  }

  // Bisects [lo, hi], whose ends differ in sign, down to the final bracket.
  Crossing bisect(int64_t lo, int64_t hi) {
    const int sign_lo = sign_of(point(lo));
    Crossing crossing;
    crossing.winner_below = point(lo).winner;
    crossing.winner_above = point(hi).winner;
    while (hi - lo > 1 && static_cast<double>(hi) / static_cast<double>(lo) - 1 > options_.relative_width) {
      int64_t mid = geometric_mid(lo, hi);
      int sign = sign_of(point(mid));
      if (sign == 0) {
        crossing.below = crossing.above = mid;
        crossing.value = static_cast<double>(mid);
        return crossing;
      }
      (sign == sign_lo ? lo : hi) = mid;
    }
    crossing.below = lo;
    crossing.above = hi;
    crossing.value = interpolate(point(lo), point(hi));
    return crossing;
  }

  std::vector<MeasuredPoint> all_points() const {
    std::vector<MeasuredPoint> all;
    for (const auto& [value, p] : points_) all.push_back(p);
    return all;
  }

 private:
  MeasuredPoint remeasured(int64_t value, double a, double b) {
    std::vector<double> as = {a}, bs = {b};
    for (int i = 1; i < options_.remeasure; ++i) {
      auto [a_more, b_more] = measure_(value);
      as.push_back(a_more);
      bs.push_back(b_more);
    }
    return {value, median_of(as), median_of(bs), options_.remeasure};
  }

  static int64_t geometric_mid(int64_t lo, int64_t hi) {
    auto mid = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(lo) * static_cast<double>(hi))));
    return std::clamp(mid, lo + 1, hi - 1);
  }

  // Where log(t_A / t_B) reaches 0 on a straight line in log(value).
  static double interpolate(const MeasuredPoint& lo, const MeasuredPoint& hi) {
    double d_lo = log_ratio(lo), d_hi = log_ratio(hi);
    if (d_lo == d_hi) return std::sqrt(static_cast<double>(lo.value) * static_cast<double>(hi.value));
    double t = d_lo / (d_lo - d_hi);
    double log_lo = std::log(static_cast<double>(lo.value)), log_hi = std::log(static_cast<double>(hi.value));
    return std::exp(log_lo + t * (log_hi - log_lo));
  }

  const MeasurePair& measure_;
  const CrossoverOptions& options_;
  std::map<int64_t, MeasuredPoint> points_;
};

void check_arguments(int64_t lo, int64_t hi, const CrossoverOptions& options) {
  if (lo < 1 || hi <= lo)
    fail(ErrorKind::InvalidInput, "crossover range [" + std::to_string(lo) + ", " + std::to_string(hi) +
                                      "] must satisfy 1 <= lo < hi");
  if (options.coarse_points < 2) fail(ErrorKind::InvalidInput, "crossover search needs at least 2 coarse points");
  if (options.remeasure < 1) fail(ErrorKind::InvalidInput, "crossover re-measure count must be at least 1");
  if (!(options.relative_width >= 0) || !(options.close_band >= 0) || !(options.tie_band >= 0))
    fail(ErrorKind::InvalidInput, "crossover relative width, close band and tie band must be >= 0");
}

}  // namespace

std::vector<int64_t> log_spaced(int64_t lo, int64_t hi, int count) {
  std::vector<int64_t> values;
  const double log_lo = std::log(static_cast<double>(lo)), log_hi = std::log(static_cast<double>(hi));
  for (int i = 0; i < count; ++i) {
    double t = count > 1 ? static_cast<double>(i) / (count - 1) : 0.0;
    int64_t v = i == count - 1 ? hi : static_cast<int64_t>(std::llround(std::exp(log_lo + t * (log_hi - log_lo))));
    v = std::clamp(v, lo, hi);
    if (values.empty() || v > values.back()) values.push_back(v);
  }
  return values;
}

double largest_gap(const CrossoverResult& result) {
  double gap = 0;
  for (const MeasuredPoint& p : result.points) {
    double smaller = std::min(p.a_us, p.b_us);
    if (smaller > 0) gap = std::max(gap, std::max(p.a_us, p.b_us) / smaller - 1);
  }
  return gap;
}

CrossoverResult find_crossovers(int64_t lo, int64_t hi, const MeasurePair& measure, const CrossoverOptions& options) {
  check_arguments(lo, hi, options);
  Search search(measure, options);
  CrossoverResult result;
  result.lo = lo;
  result.hi = hi;
  // Coarse points with a winner; ties are skipped so that the decided points either
  // side of them form the bracket.
  std::vector<int64_t> decided;
  for (int64_t v : log_spaced(lo, hi, options.coarse_points))
    if (search.point(v).winner != Winner::Tie) decided.push_back(v);
  for (size_t i = 0; i + 1 < decided.size(); ++i)
    if (search.point(decided[i]).winner != search.point(decided[i + 1]).winner)
      result.crossings.push_back(search.bisect(decided[i], decided[i + 1]));
  result.winner_at_lo = search.point(lo).winner;
  result.winner_at_hi = search.point(hi).winner;
  result.points = search.all_points();
  return result;
}

}  // namespace tandem
