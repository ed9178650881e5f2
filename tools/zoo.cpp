// `tandem zoo list` and `tandem zoo export NAME -o FILE.onnx`.
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "ir/onnx_io.h"
#include "ir/zoo/zoo.h"
#include "ops/op.h"

namespace tandem::cli {

static void list_models() {
  std::vector<std::vector<std::string>> rows = {{"name", "input", "parameters", "description"}};
  for (const ZooModel& m : zoo_models()) {
    Graph g = m.build(0);
    double params = 0;
    for (const Value& v : g.values)
      if (v.is_constant() && v.dtype == DType::f32) params += static_cast<double>(num_elements(v.shape));
    rows.push_back({m.name, shape_str(m.input_shape), fmt::format("{:.2f} M", params / 1e6), m.description});
  }
  print_table(rows);
}

void add_zoo_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("zoo", "Built-in models with seeded random weights");
  cmd->require_subcommand(1);
  cmd->add_subcommand("list", "List the zoo models")->callback(list_models);
  auto* exp = cmd->add_subcommand("export", "Write a zoo model as an ONNX file");
  static std::string name, path;
  static uint64_t seed = 0;
  exp->add_option("NAME", name, "Zoo model name")->required();
  exp->add_option("-o,--output", path, "Output .onnx file")->required();
  exp->add_option("--seed", seed, "Weight seed (default 0)");
  exp->callback([] {
    export_onnx_file(build_zoo_model(name, seed), path);
    fmt::print("wrote {} to {}\n", name, path);
  });
}

}  // namespace tandem::cli
