// `tandem bench MODEL...`: end-to-end latency distribution (median, p10, p90; host
// tensors in and out) over repeated runs after warm-up, per model; optionally as JSON
// for scripts. `--device auto` plans across --devices once (auto_planner.h) and times
// that plan end to end like any device; `--plan FILE` times a given plan on its
// devices. `--compare` is bench_compare.cpp.
#include <chrono>
#include <fstream>
#include <functional>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include "backends/cpu/cpu_device.h"
#include "backends/registry.h"
#include "cli_util.h"
#include "plan_input.h"
#include "commands.h"
#include "runtime/graph_io.h"
#include "runtime/plan_executor.h"

namespace tandem::cli {

namespace {

// The one batch size of plain bench.
int64_t single_batch(const BenchArgs& args) {
  if (args.batches.size() > 1) fail(ErrorKind::InvalidInput, "--batch takes one size without --compare");
  return args.batches.empty() ? 1 : args.batches.front();
}

struct BenchResult {
  std::string model;
  std::string device;  // as the session names it, e.g. "auto(cpu,cuda)", or "plan(cpu:0,cpu:1)"
  int64_t batch = 1;
  std::vector<double> samples;  // µs
};

// Runs `run_once` for the warm-up, then times it until --repeats (or --seconds and at
// least 10 runs, at most 1000); the samples in µs.
std::vector<double> time_runs(const std::function<void()>& run_once, const BenchArgs& args) {
  for (int i = 0; i < args.warmup; ++i) run_once();
  std::vector<double> samples;
  auto begin = std::chrono::steady_clock::now();
  auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count(); };
  while (args.repeats > 0 ? samples.size() < size_t(args.repeats)
                          : (samples.size() < 10 || elapsed() < args.seconds) && samples.size() < 1000) {
    auto start = std::chrono::steady_clock::now();
    run_once();
    samples.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  return samples;
}

// --plan FILE: the plan (or its table's plan for the batch) executed on its devices.
BenchResult bench_plan(const std::string& model, const BenchArgs& args) {
  PlannedModel planned = load_planned_model(model, args.plan, args.batches.empty() ? 0 : single_batch(args), true);
  PlanExecutor executor(planned.graph, planned.plan, plan_device_options(planned.plan, args.threads, args.gpu, args.cores));
  std::vector<Tensor> inputs = random_inputs(executor.inputs());
  return {model, fmt::format("plan({})", fmt::join(planned.plan.devices, ",")), batch_of(planned.graph),
          time_runs([&] { executor.run(inputs); }, args)};
}

BenchResult bench_one(const std::string& model, const BenchArgs& args) {
  if (!args.plan.empty()) return bench_plan(model, args);
  SessionOptions options = session_options(args.device, args.threads, single_batch(args), true, args.gpu);
  options.devices = args.devices;
  options.profile = args.profile;
  options.strategy = args.strategy;
  options.cores = pinned_cores(args.cores, args.device == "auto" ? args.devices : std::vector<std::string>{args.device});
  Session session = Session::open(model, options);
  std::vector<Tensor> inputs = random_inputs(session);
  return {model, args.device == "auto" ? session.device_name() : args.device, single_batch(args),
          time_runs([&] { session.run(inputs); }, args)};
}

std::string device_description(const BenchArgs& args, const std::string& session_device) {
  if (args.device == "auto" || !args.plan.empty()) return session_device;
  DeviceOptions options;
  options.threads = args.threads;
  options.tf32 = args.gpu.tf32;
  options.graphs = !args.gpu.no_cuda_graphs;
  return create_device(args.device, options)->info().description;
}

void bench(const BenchArgs& args) {
  std::vector<std::vector<std::string>> rows = {{"model", "device", "batch", "median", "p10", "p90", "runs"}};
  nlohmann::json results = nlohmann::json::array();
  std::string session_device = args.device;
  for (const std::string& model : args.models) {
    BenchResult r = bench_one(model, args);
    Stats stats = stats_of(r.samples);
    session_device = r.device;
    rows.push_back({model, r.device, std::to_string(r.batch), format_us(stats.median), format_us(stats.p10),
                    format_us(stats.p90), std::to_string(r.samples.size())});
    results.push_back({{"model", model}, {"device", args.plan.empty() ? args.device : r.device}, {"batch", r.batch},
                       {"threads", args.threads},
                       {"tf32", args.gpu.tf32}, {"cuda_graphs", !args.gpu.no_cuda_graphs},
                       {"median_us", stats.median}, {"p10_us", stats.p10}, {"p90_us", stats.p90},
                       {"repeats", r.samples.size()}});
  }
  print_table(rows);
  if (args.json.empty()) return;
  std::ofstream out(args.json);
  if (!out) fail(ErrorKind::Io, "cannot write '" + args.json + "'");
  nlohmann::json report{{"results", results},
                        {"cpu", cpu_model_name()},
                        {"device_description", device_description(args, session_device)}};
  out << report.dump(2) << "\n";
}

}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Median, p10 and p90 latency over repeated runs after warm-up");
  static BenchArgs args;
  cmd->add_option("MODEL", args.models, "ONNX files or zoo model names")->required();
  cmd->add_option("--device", args.device, "reference, cpu, cpu:N, cuda, cuda:N, or auto (planned across --devices)");
  cmd->add_option("--devices", args.devices,
                  "--device auto: devices to plan across (default cpu,cuda); unusable ones are dropped")
      ->delimiter(',');
  cmd->add_option("--profile", args.profile,
                  "--device auto: profile cache file (default $TANDEM_CACHE or ~/.cache/tandem/profile.json)");
  cmd->add_option("--batch", args.batches, "Batch size (default 1); with --compare a list (default 1,4,16,64)")
      ->delimiter(',')
      ->allow_extra_args(false);
  cmd->add_option("--threads", args.threads, "CPU threads (default: all cores)");
  cmd->add_option("--plan", args.plan, "Time this plan (or plan table) on its devices (tandem plan -o)")
      ->excludes(cmd->get_option("--device"));
  cmd->add_option("--strategy", args.strategy,
                  "--device auto: placement strategy: auto, dp, heft, brute-force or single:DEVICE (default auto)");
  cmd->add_option("--warmup", args.warmup, "Warm-up runs (default 3)");
  cmd->add_option("--repeats", args.repeats, "Timed runs (default: at least 10 and 1 s, at most 1000)");
  cmd->add_option("--seconds", args.seconds, "Minimum timed seconds when --repeats is not given");
  cmd->add_option("--json", args.json, "Also write the results as JSON");
  add_gpu_flags(*cmd, args.gpu);
  add_bench_compare_options(*cmd, args);
  cmd->callback([] { args.compare.empty() ? bench(args) : bench_compare(args); });
}

}  // namespace tandem::cli
