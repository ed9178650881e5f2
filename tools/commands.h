// The tandem subcommands; each file in tools/ registers one on the CLI11 app.
#pragma once
#include <CLI/CLI.hpp>

namespace tandem::cli {

void add_inspect_command(CLI::App& app);
void add_run_command(CLI::App& app);
void add_bench_command(CLI::App& app);
void add_devices_command(CLI::App& app);
void add_zoo_command(CLI::App& app);

}  // namespace tandem::cli
