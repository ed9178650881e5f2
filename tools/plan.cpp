// `tandem plan MODEL --devices cpu,cuda -p PREDICTOR [--batch 1 | --batch 1,2,4,...]
// [--load L] [--threads N] [--strategy auto|dp|heft|brute-force|single:D] [-o plan.json]
// [--svg FILE] [--explain]`: predicts every layer on every device, places the layers
// (copies included) and prints a summary against each single device; one batch size
// writes a plan, several a plan table. --svg draws the timeline and the placed graph,
// --explain says per layer why it runs where it does (or, for several batch sizes,
// which layers change device with batch size).
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>

#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "core/files.h"
#include "ir/prepare.h"
#include "plan/cost_table.h"
#include "plan/explain.h"
#include "plan/place.h"
#include "plan/plan_file.h"
#include "plan/plan_svg.h"
#include "profile/node_profiler.h"

namespace tandem::cli {

namespace {

struct PlanArgs {
  std::string model, predictor, profile, strategy = "auto", output, svg;
  std::vector<std::string> devices{"cpu"};
  std::vector<int64_t> batches{1};
  double load_percent = 0;
  int threads = 0;
  bool explain = false;
  CoreFlags cores;
};

// One batch size: its prepared graph, costs and plan.
struct BatchPlan {
  Graph graph;
  CostTable costs;
  Plan plan;
};

std::string svg_path(const std::string& path, int64_t batch, bool several) {
  if (!several) return path;
  std::filesystem::path p(path);
  return (p.parent_path() / fmt::format("{}-b{}{}", p.stem().string(), batch, p.extension().string())).string();
}

void check_args(PlanArgs& args) {
  std::sort(args.batches.begin(), args.batches.end());
  args.batches.erase(std::unique(args.batches.begin(), args.batches.end()), args.batches.end());
  if (args.batches.empty() || args.batches.front() < 1) fail(ErrorKind::InvalidInput, "--batch sizes must be at least 1");
  if (!(args.load_percent >= 0 && args.load_percent <= 100))
    fail(ErrorKind::InvalidInput, fmt::format("--load is a percentage 0..100, got {}", args.load_percent));
  if (!args.output.empty()) check_writable(args.output, "plan");
  if (!args.svg.empty()) check_writable(svg_path(args.svg, args.batches.front(), args.batches.size() > 1), "SVG");
}

void note_unprofiled_devices(const PlanArgs& args, const Predictor& predictor) {
  for (const std::string& d : args.devices)
    if (!predictor.device(d))
      fmt::print(stderr, "note: {} has no measurements of {}; its times are conservative defaults\n", args.predictor, d);
}

// `profile` (may be empty) holds measured node times to use instead of predictions.
BatchPlan plan_batch(const PlanArgs& args, const Graph& loaded, const Predictor& predictor, const Profile& profile,
                     int64_t batch) {
  BatchPlan b{loaded, {}, {}};
  prepare_graph(b.graph, PrepareOptions{batch, {}, true});
  CostOptions cost_options;
  cost_options.threads = args.threads;
  cost_options.load = args.load_percent / 100;
  cost_options.predictor_path = args.predictor;
  cost_options.cores = pinned_cores(args.cores, args.devices);
  cost_options.measured = measured_times(profile, model_key(args.model), batch, cost_options.load, args.devices);
  b.costs = cost_table(b.graph, predictor, args.devices, cost_options);
  PlaceOptions options;
  options.strategy = args.strategy;
  b.plan = place_layers(b.graph, b.costs, options);
  b.plan.model = args.model;
  b.plan.batch = batch;
  b.plan.cores = cost_options.cores;
  return b;
}

// " (the plan is 8.3% faster)", " (the plan is 4.0% slower)" or " (the same)".
std::string plan_against_single(double plan_us, double single_us) {
  double share = 100 * (single_us - plan_us) / single_us;
  if (std::abs(share) < 0.05) return " (the same)";
  return fmt::format(" (the plan is {:.1f}% {})", std::abs(share), share > 0 ? "faster" : "slower");
}

// "cpu alone: 1.20 ms (the plan is 8.3% faster)" for each device that runs every node.
std::string single_device_comparison(const BatchPlan& b) {
  std::string out;
  for (const std::string& d : b.costs.devices) {
    PlaceOptions single;
    single.strategy = "single:" + d;
    std::string line;
    try {
      double us = place_layers(b.graph, b.costs, single).makespan_us;
      line = fmt::format("{} alone: {}", d, format_microseconds(us));
      if (us > 0) line += plan_against_single(b.plan.makespan_us, us);
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::Unsupported) throw;
      line = d + " alone: cannot run every node";
    }
    out += "  " + line + "\n";
  }
  return out;
}

void print_summary(const BatchPlan& b) {
  const Plan& plan = b.plan;
  Placement placement = placement_of(plan, b.graph);
  std::vector<int> counts(plan.devices.size(), 0);
  for (int d : placement) ++counts[static_cast<size_t>(d)];
  std::string per_device;
  for (size_t d = 0; d < counts.size(); ++d)
    per_device += (per_device.empty() ? "" : ", ") + fmt::format("{} {} nodes", plan.devices[d], counts[d]);
  fmt::print("batch {}: predicted {} ({}); {}; {} device switches, {} copies\n", plan.batch,
             format_microseconds(plan.makespan_us), plan.strategy, per_device, device_switches(b.graph, placement),
             plan.copies.size());
  fmt::print("{}", single_device_comparison(b));
}

// Every batch's graph has the same nodes (prepare_graph is deterministic), so one
// graph names the nodes of every plan in a table.
void check_same_nodes(const std::vector<BatchPlan>& plans) {
  for (const BatchPlan& b : plans) {
    bool same = b.graph.nodes.size() == plans.front().graph.nodes.size() &&
                b.graph.values.size() == plans.front().graph.values.size();
    for (size_t n = 0; same && n < b.graph.nodes.size(); ++n) same = b.graph.nodes[n].name == plans.front().graph.nodes[n].name;
    if (!same)
      fail(ErrorKind::Unsupported, fmt::format("the prepared graph of batch {} differs from batch {}: plan them separately",
                                               b.plan.batch, plans.front().plan.batch));
  }
}

void write_outputs(const PlanArgs& args, const std::vector<BatchPlan>& plans) {
  bool several = plans.size() > 1;
  for (const BatchPlan& b : plans)
    if (!args.svg.empty()) {
      write_plan_svg(b.graph, b.plan, svg_path(args.svg, b.plan.batch, several));
      fmt::print("timeline written to {}\n", svg_path(args.svg, b.plan.batch, several));
    }
  if (args.output.empty()) return;
  if (several) {
    PlanTable table{args.model, {}};
    for (const BatchPlan& b : plans) table.plans.push_back(b.plan);
    write_plan_table(table, plans.front().graph, args.output);
    fmt::print("plan table ({} batch sizes) written to {}\n", plans.size(), args.output);
  } else {
    write_plan(plans.front().plan, plans.front().graph, args.output);
    fmt::print("plan written to {}\n", args.output);
  }
}

void print_explanation(const std::vector<BatchPlan>& plans) {
  fmt::print("\n");
  if (plans.size() == 1) {
    fmt::print("{}", explain_text(plans.front().graph, plans.front().costs, plans.front().plan));
    return;
  }
  PlanTable table{plans.front().plan.model, {}};
  for (const BatchPlan& b : plans) table.plans.push_back(b.plan);
  fmt::print("{}", explain_batch_changes(plans.front().graph, table));
}

void run(PlanArgs& args) {
  check_args(args);
  Predictor predictor = Predictor::load(args.predictor);
  Profile profile = args.profile.empty() ? Profile{} : read_profile(args.profile);
  Graph loaded = load_model(args.model);
  std::vector<BatchPlan> plans;
  for (int64_t batch : args.batches) plans.push_back(plan_batch(args, loaded, predictor, profile, batch));
  check_same_nodes(plans);
  note_unprofiled_devices(args, predictor);
  for (const BatchPlan& b : plans) print_summary(b);
  write_outputs(args, plans);
  if (args.explain) print_explanation(plans);
}

}  // namespace

void add_plan_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("plan", "Place every layer on a device from predicted costs; write the plan");
  static PlanArgs args;
  cmd->add_option("MODEL", args.model, "ONNX file or zoo model name")->required();
  cmd->add_option("--devices", args.devices, "Devices, comma-separated (default cpu), e.g. cpu,cuda or cpu:0,cpu:1")
      ->delimiter(',');
  cmd->add_option("-p,--predictor", args.predictor, "Predictor file from tandem fit")->required();
  cmd->add_option("--profile", args.profile,
                  "Profile whose measured node times of this model replace predictions (same batch, load and threads)");
  cmd->add_option("--batch", args.batches, "Batch sizes, comma-separated (default 1); several give a plan table")
      ->delimiter(',');
  cmd->add_option("--load", args.load_percent, "Extra CPU load to plan for, in % of the cores (default 0)");
  cmd->add_option("--threads", args.threads, "CPU threads of the devices (default: as profiled)");
  cmd->add_option("--strategy", args.strategy, "auto, dp, heft, brute-force or single:DEVICE (default auto)");
  cmd->add_option("-o,--output", args.output, "Plan file to write (a plan table for several batch sizes)");
  cmd->add_option("--svg", args.svg, "Timeline and placed graph as SVG (FILE-bN.svg per batch for several)");
  cmd->add_flag("--explain", args.explain, "Per layer: device, predicted time on each device, copies and why");
  add_core_flags(*cmd, args.cores);
  cmd->callback([] { run(args); });
}

}  // namespace tandem::cli
