// The piecewise copy-time model shared by link fits (profile.h) and the planner's
// links (plan/plan.h): the size axis splits into regimes (store buffers, caches,
// DRAM or a bus), each with its own latency + bytes / bandwidth line.
#pragma once
#include <algorithm>
#include <utility>
#include <vector>

namespace tandem {

// One regime: time_us(bytes) = latency_us + bytes / bytes_per_us for copies of at
// least from_bytes (up to the next segment's from_bytes). bytes_per_us 0: a fixed cost.
struct LinkSegment {
  double from_bytes = 0;
  double latency_us = 0;
  double bytes_per_us = 0;
  double line_us(double bytes) const { return latency_us + (bytes_per_us > 0 ? bytes / bytes_per_us : 0); }
};

// Time of a copy of `bytes` under segments sorted by from_bytes (the first one
// also covers smaller copies). The result is monotone non-decreasing in bytes: a
// segment never predicts less than the segment before it reached at their boundary.
// Breakpoints are placed where neighbouring lines cross when they cross between two
// measured sizes, so the time is continuous there. 0 when there are no segments.
inline double piecewise_time_us(const std::vector<LinkSegment>& segments, double bytes) {
  double reached_us = 0;  // the previous segments' time at the current segment's start
  for (size_t i = 0; i < segments.size(); ++i) {
    bool last = i + 1 == segments.size();
    if (last || bytes < segments[i + 1].from_bytes) return std::max(reached_us, segments[i].line_us(bytes));
    reached_us = std::max(reached_us, segments[i].line_us(segments[i + 1].from_bytes));
  }
  return 0;
}

}  // namespace tandem
