// One crossover search on two devices: one-layer graphs timed on both at each value
// the search asks for, then the table cells and the plot of the result.
#include "profile/crossover_study.h"

#include <algorithm>

#include <fmt/format.h>

namespace tandem {

namespace {

// The axis label of a swept parameter.
std::string param_description(LayerKind layer, const std::string& param) {
  if (param == "channels") return layer == LayerKind::Conv ? "channels (C_in = C_out)" : "channels (C)";
  if (param == "size") return "feature size (H = W)";
  if (param == "batch") return "batch (N)";
  if (param == "f_in") return "input features (F_in)";
  if (param == "f_out") return "output features (F_out)";
  if (param == "c_in") return "input channels (C_in)";
  if (param == "c_out") return "output channels (C_out)";
  return param;
}

// The two devices take turns over kInterleaveRounds rounds, each timed for a share of
// the minimum time, so that a change in background load during the measurement
// affects both alike; each device's latency is the median of its round medians.
constexpr int kInterleaveRounds = 3;

std::pair<double, double> interleaved_medians(LayerTimer& a, LayerTimer& b, const TimerOptions& timer) {
  TimerOptions round = timer;
  round.min_seconds = timer.min_seconds / kInterleaveRounds;
  round.min_repeats = std::max(1, timer.min_repeats / kInterleaveRounds);
  std::vector<double> a_us, b_us;
  for (int i = 0; i < kInterleaveRounds; ++i) {
    a_us.push_back(a.time(round).us.median);
    b_us.push_back(b.time(round).us.median);
    round.warmup = 0;
  }
  return {spread_of(a_us).median, spread_of(b_us).median};
}

}  // namespace

CrossoverStudy study_crossover(LayerKind layer, const std::string& param, StudyDevice& a, StudyDevice& b,
                               const TimerOptions& timer, const CrossoverOptions& search,
                               std::optional<ParamRange> range) {
  CrossoverStudy study;
  study.fixed = default_spec(layer);
  study.param = param;
  get_param(study.fixed, param);  // throws when the parameter does not apply to the layer
  ParamRange r = range.value_or(crossover_range(layer, param));
  // The timers of the latest value: a near-tie is re-measured at once, without recompiling.
  int64_t timed_value = 0;
  std::unique_ptr<LayerTimer> timer_a, timer_b;
  auto measure = [&](int64_t value) {
    if (!timer_a || value != timed_value) {
      timer_a.reset();
      timer_b.reset();
      LayerSpec spec = study.fixed;
      set_param(spec, param, value);
      Graph graph = build_layer_graph(spec);
      timer_a = std::make_unique<LayerTimer>(*a.device, graph);
      timer_b = std::make_unique<LayerTimer>(*b.device, graph);
      timed_value = value;
    }
    return interleaved_medians(*timer_a, *timer_b, timer);
  };
  study.result = find_crossovers(r.lo, r.hi, measure, search);
  return study;
}

std::string fixed_label(const CrossoverStudy& study) {
  std::string label;
  for (const auto& [name, value] : layer_params(study.fixed)) {
    bool varied = name == study.param || (study.param == "channels" && (name == "c_in" || name == "c_out"));
    if (!varied) label += (label.empty() ? "" : ",") + name + "=" + std::to_string(value);
  }
  return label;
}

std::string crossings_label(const CrossoverStudy& study) {
  const CrossoverResult& r = study.result;
  if (r.crossings.empty()) return fmt::format("none in [{}, {}]", r.lo, r.hi);
  std::string label;
  for (const Crossing& c : r.crossings) {
    if (!label.empty()) label += "; ";
    label += c.below == c.above ? fmt::format("{} (tie)", c.below)
                                : fmt::format("{:.0f} ({}..{})", c.value, c.below, c.above);
  }
  return label;
}

LogLogPlot crossover_plot(const CrossoverStudy& study, const std::string& label_a, const std::string& label_b) {
  LayerKind layer = study.fixed.kind;
  LogLogPlot plot;
  plot.title = fmt::format("{} over {}: {} vs {}", layer_name(layer), study.param, label_a, label_b);
  plot.subtitle = "held: " + fixed_label(study);
  plot.x_label = param_description(layer, study.param);
  plot.y_label = "latency (µs, median)";
  PlotSeries a{label_a, "#1f77b4", {}}, b{label_b, "#ff7f0e", {}};
  for (const MeasuredPoint& p : study.result.points) {
    a.points.emplace_back(static_cast<double>(p.value), p.a_us);
    b.points.emplace_back(static_cast<double>(p.value), p.b_us);
  }
  plot.series = {a, b};
  for (const Crossing& c : study.result.crossings)
    plot.markers.push_back({c.value, fmt::format("crossover ≈ {:.0f}", c.value)});
  return plot;
}

}  // namespace tandem
