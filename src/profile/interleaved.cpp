// Round-robin turns over a sliding window of node profilers (interleaved.h).
#include "profile/interleaved.h"

#include <algorithm>

#include "core/clock.h"
#include "profile/cpu_load.h"
#include "profile/load_generator.h"

namespace tandem {

namespace {

struct Measuring {
  size_t config = 0;
  std::unique_ptr<NodeProfiler> profiler;
  CpuLoadMeter meter;
  double timed_seconds = 0;  // in timed pairs
  double spent_seconds = 0;  // in all
};

}  // namespace

void profile_interleaved(const std::vector<ProfilerMaker>& configs, double load, const MeasureOptions& measure,
                         const ProfilingTurns& turns, const ProfileDone& done) {
  BackgroundLoad background(load);
  const size_t window = static_cast<size_t>(std::max(1, turns.window));
  const double turn_seconds = measure.min_seconds / std::max(1, turns.turns);
  const int most_pairs = std::max(measure.repeats, measure.max_repeats);
  std::vector<Measuring> measuring;
  size_t next = 0;
  auto fill_window = [&] {
    while (measuring.size() < window && next < configs.size()) {
      Clock::time_point start = Clock::now();
      size_t config = next++;
      std::unique_ptr<NodeProfiler> profiler = configs[config]();
      if (!profiler) continue;
      profiler->warm_up(measure.warmup);
      measuring.push_back({config, std::move(profiler), CpuLoadMeter{}, 0, seconds_since(start)});
    }
  };
  fill_window();
  while (!measuring.empty()) {
    for (size_t k = 0; k < measuring.size();) {
      Measuring& m = measuring[k];
      Clock::time_point start = Clock::now();
      bool settle = measuring.size() > 1 && m.profiler->last_run_us() < turns.settle_below_us;
      m.timed_seconds += m.profiler->take_turn(turn_seconds, most_pairs - m.profiler->timed_pairs(), settle);
      if (!m.profiler->enough(measure, m.timed_seconds)) {
        m.spent_seconds += seconds_since(start);
        ++k;
        continue;
      }
      ProfileRun run = m.profiler->finish(background.share(), measure);
      run.load = load;
      run.measured_load = m.meter.busy_share().value_or(-1.0);
      double seconds = m.spent_seconds + seconds_since(start);
      size_t config = m.config;
      measuring.erase(measuring.begin() + static_cast<std::ptrdiff_t>(k));
      done(config, std::move(run), seconds);
      fill_window();
    }
  }
}

}  // namespace tandem
