// The tandem subcommands; each file in tools/ registers one on the CLI11 app.
#pragma once
#include <CLI/CLI.hpp>

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

}  // namespace tandem::cli
