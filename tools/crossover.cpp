// `tandem crossover`: for each layer and each studied parameter (the others held at
// their defaults), searches where two devices' latencies cross by bisection on
// measurements; prints the crossover table, and optionally draws one SVG per search
// and writes everything as JSON.
#include <algorithm>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "core/files.h"
#include "commands.h"
#include "profile/crossover_study.h"

namespace tandem::cli {

namespace {

struct CrossoverArgs {
  std::string layers = "conv,dwconv,pool,lrn,bn,fc";
  std::vector<std::string> devices = {"cpu", "cuda"};
  std::vector<std::string> params;  // empty: each layer's studied parameters
  std::vector<int> threads;
  bool quick = false;
  double min_seconds = 0.05;
  int coarse_points = 6;
  double tie_band = 0.03;
  std::string svg_dir, json;
  GpuFlags gpu;
};

std::string winner_label(Winner w, const std::vector<StudyDevice>& devices) {
  return w == Winner::A ? devices[0].label : w == Winner::B ? devices[1].label : "equal";
}

// A line for a search without a clear crossing; "" when it found one.
std::string note_on(const CrossoverStudy& s, const CrossoverOptions& search, const std::vector<StudyDevice>& devices) {
  const CrossoverResult& r = s.result;
  std::string what = fmt::format("{} over {}", layer_name(s.fixed.kind), s.param);
  double gap = largest_gap(r);
  if (gap < search.close_band)
    return fmt::format("{}: the devices stay within {:.0f}% of each other over [{}, {}]; any crossing there is noise",
                       what, 100 * gap, r.lo, r.hi);
  if (!r.crossings.empty()) return "";
  auto decided = std::find_if(r.points.begin(), r.points.end(), [](const MeasuredPoint& p) { return p.winner != Winner::Tie; });
  bool some_ties = std::any_of(r.points.begin(), r.points.end(), [](const MeasuredPoint& p) { return p.winner == Winner::Tie; });
  std::string within = fmt::format("within {:.0f}%", 100 * search.tie_band);
  if (decided == r.points.end())
    return fmt::format("{}: no crossover in [{}, {}]; the devices are equal ({}) at every measured value", what, r.lo,
                       r.hi, within);
  return fmt::format("{}: no crossover in [{}, {}]; {} is faster{} over the whole range", what, r.lo, r.hi,
                     winner_label(decided->winner, devices), some_ties ? " or equal (" + within + ")" : "");
}

nlohmann::json study_json(const CrossoverStudy& s, const std::vector<StudyDevice>& devices) {
  nlohmann::json crossings = nlohmann::json::array(), points = nlohmann::json::array(), fixed = nlohmann::json::object();
  for (const Crossing& c : s.result.crossings)
    crossings.push_back({{"value", c.value}, {"below", c.below}, {"above", c.above},
                         {"winner_below", winner_label(c.winner_below, devices)},
                         {"winner_above", winner_label(c.winner_above, devices)}});
  for (const MeasuredPoint& p : s.result.points)
    points.push_back({{"value", p.value}, {"a_us", p.a_us}, {"b_us", p.b_us}, {"measurements", p.measurements}});
  for (const auto& [name, value] : layer_params(s.fixed)) fixed[name] = value;
  return {{"layer", layer_name(s.fixed.kind)}, {"param", s.param}, {"fixed", fixed}, {"lo", s.result.lo},
          {"hi", s.result.hi}, {"crossings", crossings}, {"points", points},
          {"winner_at_lo", winner_label(s.result.winner_at_lo, devices)},
          {"winner_at_hi", winner_label(s.result.winner_at_hi, devices)}};
}

std::vector<std::string> row_of(const CrossoverStudy& s, const std::vector<StudyDevice>& devices) {
  const CrossoverResult& r = s.result;
  Winner below = r.crossings.empty() ? r.winner_at_lo : r.crossings.front().winner_below;
  Winner above = r.crossings.empty() ? r.winner_at_hi : r.crossings.back().winner_above;
  return {layer_name(s.fixed.kind), s.param, fixed_label(s), crossings_label(s), winner_label(below, devices),
          winner_label(above, devices), std::to_string(r.points.size())};
}

void write_json(const nlohmann::json& studies, const std::vector<StudyDevice>& devices, const std::string& path) {
  std::ofstream out(path);
  if (!out) fail(ErrorKind::Io, "cannot write '" + path + "'");
  nlohmann::json report{{"device_a", devices[0].label}, {"device_b", devices[1].label},
                        {"description_a", devices[0].device->info().description},
                        {"description_b", devices[1].device->info().description}, {"studies", studies}};
  out << report.dump(2) << "\n";
}

void crossover(const CrossoverArgs& args) {
  if (args.devices.size() != 2)
    fail(ErrorKind::InvalidInput, fmt::format("--devices takes exactly two devices, {} given", args.devices.size()));
  DeviceOptions base;
  base.tf32 = args.gpu.tf32;
  base.graphs = !args.gpu.no_cuda_graphs;
  std::vector<StudyDevice> devices = open_study_devices(args.devices, args.threads, base);
  TimerOptions timer;
  timer.min_repeats = 3;
  timer.min_seconds = args.quick ? std::min(args.min_seconds, 0.02) : args.min_seconds;
  CrossoverOptions search;
  search.coarse_points = args.quick ? std::min(args.coarse_points, 5) : args.coarse_points;
  search.relative_width = args.quick ? 0.10 : 0.05;
  search.tie_band = args.tie_band;
  if (!args.json.empty()) check_writable(args.json, "crossover report");
  if (!args.svg_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(args.svg_dir, error);
    if (error) fail(ErrorKind::Io, "cannot create plot folder '" + args.svg_dir + "': " + error.message());
  }

  std::vector<std::vector<std::string>> table = {
      {"layer", "parameter", "fixed", "crossover", "faster below", "faster above", "points"}};
  std::vector<std::string> notes;  // searches without a clear crossing
  nlohmann::json studies = nlohmann::json::array();
  for (LayerKind layer : parse_layers(args.layers)) {
    for (const std::string& param : args.params.empty() ? crossover_params(layer) : args.params) {
      fmt::print(stderr, "searching {} over {}...\n", layer_name(layer), param);
      CrossoverStudy s = study_crossover(layer, param, devices[0], devices[1], timer, search);
      table.push_back(row_of(s, devices));
      studies.push_back(study_json(s, devices));
      std::string note = note_on(s, search, devices);
      if (!note.empty()) notes.push_back(note);
      if (!args.svg_dir.empty())
        write_svg(crossover_plot(s, devices[0].label, devices[1].label),
                  (std::filesystem::path(args.svg_dir) / (layer_name(layer) + "_" + param + ".svg")).string());
    }
  }
  fmt::print("{} vs {}\n", devices[0].label, devices[1].label);
  print_table(table);
  for (const std::string& line : notes) fmt::print("{}\n", line);
  if (!args.json.empty()) write_json(studies, devices, args.json);
}

}  // namespace

void add_crossover_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("crossover", "Search where two devices' layer latencies cross, by bisection");
  static CrossoverArgs args;
  cmd->add_option("--layers", args.layers, "conv, dwconv, pool (maxpool and avgpool), maxpool, avgpool, lrn, bn, fc, concat, all (default: all but concat)");
  cmd->add_option("--devices", args.devices, "The two devices compared (default cpu,cuda), e.g. cpu:0,cpu:1")
      ->delimiter(',');
  cmd->add_option("--threads", args.threads, "CPU threads per device, or one count for both (0: all cores)")
      ->delimiter(',');
  cmd->add_option("--params", args.params,
                  "Parameters to search (default per layer: conv channels,size,batch; pooling, LRN, BN size,channels; "
                  "fc f_in,batch)")
      ->delimiter(',');
  cmd->add_flag("--quick", args.quick, "Fewer coarse points, shorter timing, stop at 10% bracket width");
  cmd->add_option("--min-time", args.min_seconds, "Minimum timed seconds per point and device (default 0.05)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("--coarse", args.coarse_points, "Log-spaced points of the coarse bracket (default 6)")
      ->check(CLI::Range(2, 100));
  cmd->add_option("--tie-band", args.tie_band,
                  "Relative gap under which two latencies count as equal (default 0.03)")
      ->check(CLI::Range(0.0, 1.0));
  cmd->add_option("--svg-dir", args.svg_dir, "Write one plot per layer and parameter here");
  cmd->add_option("--json", args.json, "Also write the results as JSON");
  add_gpu_flags(*cmd, args.gpu);
  cmd->callback([] { crossover(args); });
}

}  // namespace tandem::cli
