// Profiling several configurations (model, device, batch) with their timed runs taking
// turns: round after round, each one measuring gets a short turn, so all of them are
// timed across the same stretch of time. A slow or fast phase of the machine (a busy
// neighbour on a shared host, a clock change) then lands on all of them alike, rather
// than on whichever model happened to be measured during it, and the same layer shape
// measures the same in every model.
#pragma once
#include <functional>
#include <memory>
#include <vector>

#include "profile/node_profiler.h"

namespace tandem {

struct ProfilingTurns {
  int window = 16;  // configurations measured together at most; 1: one after another
  int turns = 10;   // each one's min_seconds of timed runs is spread over this many turns
  // A turn starts with an untimed run only for models faster than this: a longer run
  // streams more data than the caches hold, so the model before leaves nothing to undo.
  double settle_below_us = 50000;
};

// Makes a configuration's profiler (compiling its model) when it enters the window, so
// at most `window` are held at once; nullptr when there is nothing to measure.
using ProfilerMaker = std::function<std::unique_ptr<NodeProfiler>()>;
// Called as each configuration finishes, with its run (load and measured load set) and
// the seconds spent on it in all (compile, warm-up, turns, cut-apart pass).
using ProfileDone = std::function<void(size_t config, ProfileRun run, double seconds)>;

// Measures every configuration at injected `load` (share of the cores, 0..1), in the
// order given as the window frees up. Each is warmed up once when it enters; a turn
// begins with an untimed run when others ran since its last turn and the model runs
// faster than turns.settle_below_us.
void profile_interleaved(const std::vector<ProfilerMaker>& configs, double load, const MeasureOptions& measure,
                         const ProfilingTurns& turns, const ProfileDone& done);

}  // namespace tandem
