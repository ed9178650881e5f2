// The crossover search (design.md, method item 2): for one integer parameter of a
// layer on [lo, hi], where do two devices' latencies cross? A pure function over a
// measure(value) -> (t_A, t_B) callback, so that it works on any hardware and is
// tested on synthetic curves.
//
// 1. Coarse bracket: `coarse_points` log-spaced integers from lo to hi (both included).
//    A point where the devices are within `tie_band` of each other is a tie: it has no
//    winner and is skipped. Each pair of neighbouring decided points with different
//    winners brackets a crossover.
// 2. Bisection on each bracket at the integer geometric midpoint, keeping the half
//    whose ends differ in the sign of t_A - t_B, until the ends are adjacent integers
//    or their relative width (hi / lo - 1) is at most `relative_width`.
// Every point is measured once; when the two latencies are within `close_band` of each
// other (a near-tie, where noise could flip the sign) it is measured `remeasure` times
// in all and the per-device medians are used. A value is never measured twice over.
// Two crossings inside one coarse interval cancel out and are not seen; more coarse
// points find them. Curves that are equal (within the tie band) over a stretch and
// then part do not cross: one device is faster or equal throughout.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace tandem {

// Latencies (µs) of device A and device B at a parameter value.
using MeasurePair = std::function<std::pair<double, double>(int64_t value)>;

struct CrossoverOptions {
  int coarse_points = 6;
  double relative_width = 0.05;
  double close_band = 0.10;  // |t_A - t_B| / min(t_A, t_B) below this is a near-tie
  int remeasure = 3;         // measurements of a near-tie point, the median is kept
  double tie_band = 0.03;    // after re-measuring, a gap below this is a tie (no winner)
};

enum class Winner { A, B, Tie };

struct MeasuredPoint {
  int64_t value = 0;
  double a_us = 0, b_us = 0;  // medians when re-measured
  int measurements = 1;
  Winner winner = Winner::Tie;  // Tie within the tie band
};

struct Crossing {
  int64_t below = 0, above = 0;  // the final bracket: adjacent measured values
  double value = 0;              // log-linear interpolation of where t_A = t_B
  Winner winner_below = Winner::Tie, winner_above = Winner::Tie;
};

struct CrossoverResult {
  int64_t lo = 0, hi = 0;
  std::vector<Crossing> crossings;     // in increasing value; empty when none
  std::vector<MeasuredPoint> points;   // every measured value, in increasing value
  // Who wins at lo and at hi (Tie within the tie band).
  Winner winner_at_lo = Winner::Tie, winner_at_hi = Winner::Tie;
};

// The largest gap between the devices over the measured points: max(t_A, t_B) /
// min(t_A, t_B) - 1. Below the close band everywhere, crossings are likely noise.
double largest_gap(const CrossoverResult& result);

// Throws Error(InvalidInput) unless 1 <= lo < hi and the options are sane.
CrossoverResult find_crossovers(int64_t lo, int64_t hi, const MeasurePair& measure,
                                const CrossoverOptions& options = {});

// The log-spaced integers of the coarse bracket (deduplicated, lo and hi included).
std::vector<int64_t> log_spaced(int64_t lo, int64_t hi, int count);

}  // namespace tandem
