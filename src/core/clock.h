// The monotonic clock tandem times with, and the elapsed time since a reading.
#pragma once
#include <chrono>

namespace tandem {

using Clock = std::chrono::steady_clock;

inline double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace tandem
