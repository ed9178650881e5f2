// `tandem devices`: the backends built into this binary and which are usable here.
#include <fmt/format.h>

#include "backends/registry.h"
#include "cli_util.h"
#include "commands.h"

namespace tandem::cli {

void add_devices_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List built backends and usable devices");
  cmd->callback([] {
    std::vector<std::vector<std::string>> rows = {{"backend", "built", "usable", "detail"}};
    for (const BackendStatus& b : list_backends())
      rows.push_back({b.name, b.built ? "yes" : "no", b.usable ? "yes" : "no", b.detail});
    print_table(rows);
  });
}

}  // namespace tandem::cli
