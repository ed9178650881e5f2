// The tandem subcommands; each file in tools/ registers one on the CLI11 app.
#pragma once
#include <CLI/CLI.hpp>
#include <string>
#include <vector>

#include "cli_util.h"

namespace tandem::cli {

void add_inspect_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_devices_command(CLI::App& app);
void add_zoo_command(CLI::App& app);
void add_profile_command(CLI::App& app);    // profile.cpp
void add_fit_command(CLI::App& app);        // fit.cpp
void add_predict_command(CLI::App& app);    // predict.cpp
void add_sweep_command(CLI::App& app);      // sweep.cpp
void add_crossover_command(CLI::App& app);  // crossover.cpp
void add_plan_command(CLI::App& app);       // plan.cpp

// The options of `tandem bench` (bench.cpp), its --compare mode (bench_compare.cpp) included.
struct BenchArgs {
  std::vector<std::string> models;
  std::string device = "cpu", json, profile;
  std::string plan;                                 // --plan FILE: time a given plan
  std::string strategy = "auto";                    // --device auto: placement strategy
  std::vector<std::string> devices{"cpu", "cuda"};  // --device auto
  std::vector<int64_t> batches;  // plain bench: at most one (default 1); --compare: default 1,4,16,64
  int threads = 0, warmup = 3, repeats = 0;
  double seconds = 1.0;
  GpuFlags gpu;
  CoreFlags cores;                   // --split-cores, --cores
  std::vector<std::string> compare;  // --compare: single devices and "auto"
  double oracle_budget = 20;         // --oracle-budget: seconds per model and batch
  std::string markdown;              // --markdown
};
// bench_compare.cpp: adds --compare, --oracle-budget, --markdown and the core flags
// (add_core_flags) to `bench`, and
// runs the comparison when --compare was given.
void add_bench_compare_options(CLI::App& bench, BenchArgs& args);
void bench_compare(const BenchArgs& args);

}  // namespace tandem::cli
