// `tandem sweep`: times one-layer graphs (conv, pooling, LRN, BN, FC) over grids of
// batch, channels, feature size and kernel, or over random draws of them (--sample), on
// each device, writes the table as CSV and
// optionally adds the measurements to a profile so that predictors train on them.
#include <map>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "profile/layer_sampling.h"
#include "profile/layer_sweep.h"

namespace tandem::cli {

namespace {

struct SweepArgs {
  std::string layers = "all";
  std::vector<std::string> devices;
  std::vector<int> threads;
  bool quick = false;
  int sample = 0;  // > 0: this many random layers per kind instead of the grid
  uint64_t seed = 1;
  double min_seconds = 0.2;
  std::string table, profile;
  GpuFlags gpu;
};

// One line per layer: its parameters and the median on each device side by side.
void print_summary(const std::vector<SweepRow>& rows, const std::vector<StudyDevice>& devices) {
  std::vector<std::vector<std::string>> table = {{"layer", "parameters"}};
  for (const StudyDevice& d : devices) table[0].push_back(d.label);
  std::map<std::string, size_t> line_of;
  for (const SweepRow& r : rows) {
    std::string key = layer_name(r.spec.kind) + " " + params_label(r.spec);
    auto [it, fresh] = line_of.emplace(key, table.size());
    if (fresh) {
      table.push_back({layer_name(r.spec.kind), params_label(r.spec)});
      table.back().resize(devices.size() + 2);
    }
    for (size_t i = 0; i < devices.size(); ++i)
      if (devices[i].name == r.device) table[it->second][i + 2] = format_us(r.timing.us.median);
  }
  print_table(table);
}

void sweep(const SweepArgs& args) {
  DeviceOptions base;
  base.tf32 = args.gpu.tf32;
  base.graphs = !args.gpu.no_cuda_graphs;
  std::vector<StudyDevice> devices =
      open_study_devices(args.devices.empty() ? default_study_devices() : args.devices, args.threads, base);
  check_sweep_outputs(args.table, args.profile);
  std::vector<LayerKind> layers = parse_layers(args.layers);
  std::vector<LayerSpec> specs =
      args.sample > 0 ? sampled_specs(layers, args.sample, args.seed) : sweep_specs(layers, args.quick);
  TimerOptions timer;
  timer.min_seconds = args.min_seconds;
  size_t total = specs.size() * devices.size(), done = 0;
  std::vector<SweepRow> rows = run_sweep(specs, devices, timer, [&](const SweepRow& r) {
    fmt::print(stderr, "[{}/{}] {} {} on {}: {}\n", ++done, total, layer_name(r.spec.kind), params_label(r.spec),
               r.device, format_us(r.timing.us.median));
  });
  print_summary(rows, devices);
  write_sweep_csv(rows, args.table);
  fmt::print("wrote {} rows to {}\n", rows.size(), args.table);
  if (args.profile.empty()) return;
  for (const std::string& note : add_sweep_to_profile(rows, devices, args.profile)) fmt::print("{}\n", note);
  fmt::print("added {} sweep runs to {}\n", rows.size(), args.profile);
}

}  // namespace

void add_sweep_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Time conv, pooling, LRN, BN, FC and Concat layers over parameter grids per device");
  static SweepArgs args;
  cmd->add_option("--layers", args.layers, "conv, dwconv, pool (maxpool and avgpool), maxpool, avgpool, lrn, bn, fc, concat, all (default: all)");
  cmd->add_option("--devices", args.devices, "Devices, e.g. cpu,cuda or cpu:0,cpu:1 (default: cpu, and cuda if usable)")
      ->delimiter(',');
  cmd->add_option("--threads", args.threads, "CPU threads per device, or one count for all (0: all cores)")
      ->delimiter(',');
  auto* quick = cmd->add_flag("--quick", args.quick, "Three values per parameter instead of the full grid");
  cmd->add_option("--sample", args.sample,
                  "Random layers per kind, all parameters drawn at once, instead of the grid (for training predictors)")
      ->check(CLI::Range(1, 100000))
      ->excludes(quick);
  cmd->add_option("--seed", args.seed, "Seed of --sample's draw (default 1)");
  cmd->add_option("--min-time", args.min_seconds, "Minimum timed seconds per layer and device (default 0.2)")
      ->check(CLI::PositiveNumber);
  cmd->add_option("-o,--output", args.table, "CSV table to write")->required();
  cmd->add_option("--profile", args.profile, "Profile file to add the runs to (created if absent)");
  add_gpu_flags(*cmd, args.gpu);
  cmd->callback([] { sweep(args); });
}

}  // namespace tandem::cli
