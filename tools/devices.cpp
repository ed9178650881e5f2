// `tandem devices`: the backends built into this binary, which are usable here, and
// for each usable one how its default device moves data and orders work (transfer model).
#include <fmt/format.h>

#include "backends/registry.h"
#include "cli_util.h"
#include "commands.h"
#include "tandem/error.h"

namespace tandem::cli {

namespace {

const char* yes_no(bool value) { return value ? "yes" : "no"; }

// One row of the transfer table for the default device of a usable backend; a
// device that fails to open shows why instead.
std::vector<std::string> transfer_row(const BackendStatus& backend) {
  try {
    std::unique_ptr<Device> device = create_device(backend.name);
    const DeviceInfo& info = device->info();
    const TransferModel& t = info.transfer;
    return {info.name, device_kind_name(info.kind), yes_no(t.async), std::to_string(t.copy_engines),
            yes_no(t.pinned_staging), t.streams.empty() ? "-" : t.streams};
  } catch (const Error& e) {
    return {backend.name, "-", "-", "-", "-", fmt::format("cannot open: {}", e.what())};
  }
}

void list_devices() {
  std::vector<std::vector<std::string>> backends = {{"backend", "built", "usable", "detail"}};
  std::vector<std::vector<std::string>> transfers = {
      {"device", "kind", "async", "copy engines", "pinned staging", "streams"}};
  for (const BackendStatus& b : list_backends()) {
    backends.push_back({b.name, yes_no(b.built), yes_no(b.usable), b.detail});
    if (b.usable) transfers.push_back(transfer_row(b));
  }
  print_table(backends);
  fmt::print("\ntransfer model of each usable device:\n");
  print_table(transfers);
}

}  // namespace

void add_devices_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("devices", "List built backends, usable devices and their transfer models");
  cmd->callback(list_devices);
}

}  // namespace tandem::cli
