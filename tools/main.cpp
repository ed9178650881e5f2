// tandem CLI entry point: parses the subcommand and turns every tandem::Error into
// a one-line message and exit code 1; a usage error (unknown option, missing or
// conflicting arguments) prints the parser's message and exits with code 2.
#include <cstdio>

#include "commands.h"
#include "tandem/error.h"

int main(int argc, char** argv) {
  CLI::App app{"tandem: CNN inference across heterogeneous processors"};
  app.require_subcommand(1);
  tandem::cli::add_inspect_command(app);
  tandem::cli::add_run_command(app);
  tandem::cli::add_bench_command(app);
  tandem::cli::add_devices_command(app);
  tandem::cli::add_zoo_command(app);
  tandem::cli::add_profile_command(app);
  tandem::cli::add_fit_command(app);
  tandem::cli::add_predict_command(app);
  tandem::cli::add_sweep_command(app);
  tandem::cli::add_crossover_command(app);
  tandem::cli::add_plan_command(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is not an error
  } catch (const tandem::Error& e) {
    std::fprintf(stderr, "tandem: %s: %s\n", tandem::error_kind_name(e.kind()), e.what());
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "tandem: error: %s\n", e.what());
    return 1;
  }
  return 0;
}
