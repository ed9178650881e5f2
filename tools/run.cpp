// `tandem run MODEL`: one inference on a device with a given or random input;
// prints an output summary and the latency, optionally the per-layer table. With
// --plan FILE the model runs across the plan's devices (PlanExecutor) instead; with
// --device auto across a plan made here from the --profile cache (auto_planner.h).
#include <chrono>
#include <cmath>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "cli_util.h"
#include "plan_input.h"
#include "commands.h"
#include "core/npy.h"
#include "ir/prepare.h"
#include "plan/place.h"
#include "plan/plan_file.h"
#include "runtime/auto_planner.h"
#include "runtime/graph_io.h"
#include "runtime/plan_executor.h"

namespace tandem::cli {

namespace {

struct RunArgs {
  std::string model, device = "cpu", output, plan, profile, strategy = "auto";
  std::vector<std::string> devices{"cpu", "cuda"};  // --device auto
  std::vector<std::string> inputs;
  int64_t batch = 0;
  int threads = 0;
  bool layers = false;
  int layer_runs = 5;
  bool no_optimize = false;
  GpuFlags gpu;
  CoreFlags cores;
};

void print_summary(const TensorSpec& spec, const Tensor& t) {
  if (t.dtype() != DType::f32 || t.numel() == 0) {
    fmt::print("output {} {} {}{}\n", spec.name, dtype_name(t.dtype()), shape_str(t.shape()), t.numel() ? "" : ": empty");
    return;
  }
  const float* p = t.data<float>();
  double sum = 0, lo = INFINITY, hi = -INFINITY;
  int64_t best = 0;
  for (int64_t i = 0; i < t.numel(); ++i) {
    sum += p[i];
    lo = std::min<double>(lo, p[i]);
    if (p[i] > hi) hi = p[i], best = i;
  }
  fmt::print("output {} {}: min {:.5g} max {:.5g} mean {:.5g}", spec.name, shape_str(t.shape()), lo, hi,
             sum / static_cast<double>(t.numel()));
  if (t.rank() == 2) fmt::print(", argmax of row 0: {}", best % t.dim(1));
  fmt::print("\n");
}

std::vector<Tensor> load_inputs(const Session& session, const RunArgs& args) {
  if (args.inputs.empty()) return random_inputs(session);
  std::vector<Tensor> inputs;
  for (const std::string& path : args.inputs) inputs.push_back(read_npy(path));
  return inputs;
}

void print_layers(Session& session, const std::vector<Tensor>& inputs, int runs) {
  std::map<size_t, std::vector<double>> samples;
  std::vector<LayerTime> layers;
  for (int r = 0; r < runs; ++r) {
    session.run_profiled(inputs, layers);
    for (size_t i = 0; i < layers.size(); ++i) samples[i].push_back(layers[i].microseconds);
  }
  std::vector<std::vector<std::string>> rows = {{"#", "layer", "op", "output shape", "FLOPs", "time"}};
  double total = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    double t = stats_of(samples[i]).median;
    total += t;
    rows.push_back({std::to_string(i), layers[i].node, layers[i].op, shape_str(layers[i].output_shape),
                    format_flops(layers[i].flops), t > 0 ? format_us(t) : "(fused)"});
  }
  fmt::print("per-layer times on {} (median of {} runs):\n", session.device_name(), runs);
  print_table(rows);
  fmt::print("sum of layer times: {}\n", format_us(total));
}

void run(const RunArgs& args) {
  SessionOptions options = session_options(args.device, args.threads, args.batch, !args.no_optimize, args.gpu);
  options.cores = pinned_cores(args.cores, {args.device});
  Session session = Session::open(args.model, options);
  std::vector<Tensor> inputs = load_inputs(session, args);
  auto start = std::chrono::steady_clock::now();
  std::vector<Tensor> outputs = session.run(inputs);
  std::chrono::duration<double, std::micro> first = std::chrono::steady_clock::now() - start;
  start = std::chrono::steady_clock::now();
  outputs = session.run(inputs);
  std::chrono::duration<double, std::micro> second = std::chrono::steady_clock::now() - start;
  for (size_t i = 0; i < outputs.size(); ++i) print_summary(session.outputs()[i], outputs[i]);
  fmt::print("latency on {}: {} (first run {})\n", session.device_name(), format_us(second.count()), format_us(first.count()));
  if (args.layers) print_layers(session, inputs, args.layer_runs);
  if (!args.output.empty()) write_npy(args.output, outputs.at(0));
}

// --layers with a plan: each segment's median compute time over `runs` more runs,
// next to the sum of the plan's predicted times for its nodes.
void print_segment_times(const Graph& graph, const Plan& plan, PlanExecutor& executor,
                         const std::vector<Tensor>& inputs, int runs) {
  std::vector<std::vector<double>> times(executor.segments().size()), starts(times.size());
  for (int r = 0; r < runs; ++r) {
    executor.run(inputs);
    for (size_t k = 0; k < times.size(); ++k) {
      times[k].push_back(executor.last_run_times().segment_us.at(k));
      starts[k].push_back(executor.last_run_times().segment_start_us.at(k));
    }
  }
  std::map<int, const PlannedNode*> planned;  // graph node -> its place in the plan's timeline
  for (const PlannedNode& n : plan.nodes) planned[n.node] = &n;
  std::vector<std::vector<std::string>> rows = {
      {"#", "device", "nodes", "first", "last", "predicted start", "start", "predicted time", "time"}};
  std::map<std::string, std::pair<double, double>> busy;  // device -> (predicted, measured) compute
  for (size_t k = 0; k < executor.segments().size(); ++k) {
    const PlanSegment& segment = executor.segments()[k];
    const std::string& device = executor.devices().at(static_cast<size_t>(segment.device));
    double predicted = 0;
    for (int n : segment.nodes) predicted += planned[n]->finish_us - planned[n]->start_us;
    const double measured = stats_of(times[k]).median;
    busy[device].first += predicted;
    busy[device].second += measured;
    rows.push_back({std::to_string(k), device, std::to_string(segment.nodes.size()),
                    graph.nodes.at(static_cast<size_t>(segment.nodes.front())).name,
                    graph.nodes.at(static_cast<size_t>(segment.nodes.back())).name,
                    format_us(planned[segment.nodes.front()]->start_us), format_us(stats_of(starts[k]).median),
                    format_us(predicted), format_us(measured)});
  }
  fmt::print("per-segment compute start and time (median of {} runs) against the plan's timeline:\n", runs);
  print_table(rows);
  for (const auto& [device, us] : busy)
    fmt::print("{} computed {} in all, predicted {} ({:.2f}x)\n", device, format_us(us.second), format_us(us.first),
               us.first > 0 ? us.second / us.first : 0.0);
}

// Runs the plan on its devices twice (the first run warms up) and prints the outputs
// and the latency of the second; `what` names the plan.
void execute_plan(const Graph& graph, const Plan& plan, const RunArgs& args, const std::string& what) {
  PlanExecutor executor(graph, plan, plan_device_options(plan, args.threads, args.gpu, args.cores));
  std::vector<Tensor> inputs;
  for (const std::string& path : args.inputs) inputs.push_back(read_npy(path));
  if (args.inputs.empty()) inputs = random_inputs(executor.inputs());
  std::vector<Tensor> outputs = executor.run(inputs);
  double first = executor.last_run_times().wall_us;
  outputs = executor.run(inputs);
  for (size_t i = 0; i < outputs.size(); ++i) print_summary(executor.outputs()[i], outputs[i]);
  fmt::print("latency with {} (batch {}, {} segments on {}): {} (first run {}; predicted {})\n", what,
             batch_of(graph), executor.segments().size(), fmt::join(executor.devices(), ","),
             format_us(executor.last_run_times().wall_us), format_us(first), format_us(plan.makespan_us));
  if (args.layers) print_segment_times(graph, plan, executor, inputs, args.layer_runs);
  if (!args.output.empty()) write_npy(args.output, outputs.at(0));
}

// --plan FILE: the plan (or the table's plan nearest the run's batch) on its devices.
// Without --batch, a single plan runs at its own batch and a table at the model's.
void run_plan(const RunArgs& args) {
  PlannedModel planned = load_planned_model(args.model, args.plan, args.batch, !args.no_optimize);
  execute_plan(planned.graph, planned.plan, args, "plan " + args.plan);
}

void print_auto_plan(const Graph& graph, const AutoPlan& planned) {
  const Plan& plan = planned.plan;
  std::vector<int> nodes(plan.devices.size(), 0);
  for (const PlannedNode& n : plan.nodes) ++nodes.at(static_cast<size_t>(n.device));
  std::vector<std::string> per_device;
  for (size_t d = 0; d < plan.devices.size(); ++d)
    per_device.push_back(fmt::format("{} {}", plan.devices[d], nodes[d]));
  if (planned.runs_measured + planned.links_measured == 0)
    fmt::print(stderr, "auto: everything needed was in the cache\n");
  else
    fmt::print(stderr, "auto: measured {} run(s) and the links of {} device(s) into the cache\n", planned.runs_measured,
               planned.links_measured);
  fmt::print("auto plan for {} at batch {} across {} ({}): strategy {}; nodes per device: {}; {} device switch(es); "
             "{} copies; predicted makespan {}\n",
             plan.model, plan.batch, fmt::join(planned.devices, ","), planned.predictor_source, plan.strategy,
             fmt::join(per_device, ", "), device_switches(graph, placement_of(plan, graph)), plan.copies.size(),
             format_us(plan.makespan_us));
}

// --device auto: planned across --devices from the --profile cache (measuring only
// what it lacks), then run like --plan.
void run_auto(const RunArgs& args) {
  Graph loaded = load_model(args.model);
  Graph graph = prepared(loaded, args.batch, !args.no_optimize);
  AutoOptions options;
  options.devices = args.devices;
  options.profile_path = args.profile;
  options.place.strategy = args.strategy;
  options.batch = batch_of(graph);
  options.device.threads = args.threads;
  options.device.cores = pinned_cores(args.cores, args.devices);
  AutoPlan planned = plan_auto(loaded, graph, args.model, options);
  print_auto_plan(graph, planned);
  execute_plan(graph, planned.plan, args, "the auto plan");
}

void run_command(const RunArgs& args) {
  if (!args.plan.empty()) run_plan(args);
  else if (args.device == "auto") run_auto(args);
  else run(args);
}

}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a model once and print its output and latency");
  static RunArgs args;
  cmd->add_option("MODEL", args.model, "ONNX file or zoo model name")->required();
  auto* device = cmd->add_option("--device", args.device,
                                 "reference, cpu, cpu:N, cuda, cuda:N, or auto (planned across --devices)");
  cmd->add_option("--devices", args.devices,
                  "--device auto: devices to plan across (default cpu,cuda); unusable ones are dropped")
      ->delimiter(',');
  cmd->add_option("--profile", args.profile,
                  "--device auto: profile cache file (default $TANDEM_CACHE or ~/.cache/tandem/profile.json)");
  cmd->add_option("--plan", args.plan, "Run across devices as this plan or plan table says (tandem plan -o)")
      ->excludes(device);
  cmd->add_option("--batch", args.batch, "Batch size (default: the model's)");
  cmd->add_option("--threads", args.threads, "CPU threads (default: all cores)");
  cmd->add_option("--strategy", args.strategy,
                  "--device auto: placement strategy: auto, dp, heft, brute-force or single:DEVICE (default auto)");
  cmd->add_option("--input", args.inputs, "Input .npy file(s), in the model's input order (default: random)");
  cmd->add_option("--output", args.output, "Write the first output as .npy (float32, C order)");
  cmd->add_flag("--layers", args.layers, "Print the per-layer table (shape, FLOPs, time); with --plan, per segment");
  cmd->add_option("--layer-runs", args.layer_runs, "Profiled runs behind the per-layer medians (default 5)");
  cmd->add_flag("--no-optimize", args.no_optimize, "Skip graph fusion passes");
  add_gpu_flags(*cmd, args.gpu);
  add_core_flags(*cmd, args.cores);
  cmd->callback([] { run_command(args); });
}

}  // namespace tandem::cli
