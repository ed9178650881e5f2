// Timing a device alone and beside another (co_run.h).
#include "profile/co_run.h"

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

#include "profile/profile.h"
#include "profile/whole_run.h"

namespace tandem {

namespace {

double median_of(WholeRun& run, int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) samples.push_back(run.run_us());
  return spread_of(samples).median;
}

}  // namespace

double measure_co_run_slowdown(const Graph& graph, Device& device, Device& other, const CoRunOptions& options) {
  WholeRun mine(graph, device), theirs(graph, other);
  if (mine.run_us() > options.max_run_s * 1e6) return 1;
  theirs.run_us();
  std::vector<double> ratios;  // together / alone, per round
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    double alone = median_of(mine, options.runs);
    std::atomic<bool> stop{false};
    std::thread busy([&] {
      while (!stop.load()) theirs.run_us();
    });
    double together = median_of(mine, options.runs);
    stop.store(true);
    busy.join();
    if (alone > 0) ratios.push_back(together / alone);
  }
  return ratios.empty() ? 1 : std::max(1.0, spread_of(ratios).median);
}

}  // namespace tandem
