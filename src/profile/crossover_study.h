// The crossover search of one layer parameter between two real devices (design.md,
// method item 2): the pure search of crossover.h driven by timing one-layer graphs on
// both devices, its table cells and its plot.
#pragma once
#include <optional>
#include <string>

#include "profile/crossover.h"
#include "profile/layer_sweep.h"
#include "profile/svg_plot.h"

namespace tandem {

// One crossover search: `param` of `layer` (the others at default_spec) between
// devices A and B.
struct CrossoverStudy {
  LayerSpec fixed;     // the held values
  std::string param;
  CrossoverResult result;
};

// Runs the search on [crossover_range] (or `range` when given). At every value both
// devices are timed in turns (three rounds of a third of `timer`'s minimum time each,
// so that a change in background load hits both alike); a device's latency is the
// median of its round medians.
CrossoverStudy study_crossover(LayerKind layer, const std::string& param, StudyDevice& a, StudyDevice& b,
                               const TimerOptions& timer, const CrossoverOptions& search,
                               std::optional<ParamRange> range = std::nullopt);

// The held parameters in words, e.g. "batch=1,size=28,kernel=3" (param left out).
std::string fixed_label(const CrossoverStudy& study);
// "53 (52..54)" for each crossing, or "none in [4, 512]".
std::string crossings_label(const CrossoverStudy& study);
// Both devices' measured curves (log x, log y in µs) with each crossing marked.
LogLogPlot crossover_plot(const CrossoverStudy& study, const std::string& label_a, const std::string& label_b);

}  // namespace tandem
