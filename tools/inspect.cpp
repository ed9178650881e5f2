// `tandem inspect MODEL`: every layer with its output shape, FLOPs, parameters and
// activation memory, and the model's totals.
#include <fmt/format.h>

#include "cli_util.h"
#include "commands.h"
#include "core/memory_plan.h"
#include "ir/prepare.h"
#include "ops/op.h"

namespace tandem::cli {

// Peak bytes of activations alive at once, with buffers reused after their last read.
static double peak_activation_bytes(const Graph& graph) {
  std::vector<BufferLifetime> buffers;
  std::vector<int> index(graph.values.size(), -1);
  for (size_t step = 0; step < graph.nodes.size(); ++step) {
    const Node& node = graph.nodes[step];
    for (int id : node.inputs)
      if (id != kNoValue && index[static_cast<size_t>(id)] >= 0)
        buffers[static_cast<size_t>(index[static_cast<size_t>(id)])].last_step = static_cast<int>(step);
    for (int id : node.outputs) {
      if (id == kNoValue) continue;
      const Value& v = graph.value(id);
      index[static_cast<size_t>(id)] = static_cast<int>(buffers.size());
      buffers.push_back({static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype), int(step), int(step)});
    }
  }
  for (int id : graph.outputs)
    if (index[static_cast<size_t>(id)] >= 0) buffers[static_cast<size_t>(index[static_cast<size_t>(id)])].last_step = int(graph.nodes.size());
  return static_cast<double>(plan_memory(buffers).total_bytes);
}

static void inspect(const std::string& model, int64_t batch, bool optimize) {
  Graph graph = load_model(model);
  prepare_graph(graph, PrepareOptions{batch, {}, optimize});
  std::vector<std::vector<std::string>> rows = {{"#", "layer", "op", "output shape", "FLOPs", "params", "activations"}};
  double flops = 0, params = 0, activations = 0;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    NodeCost cost = node_cost(node, graph);
    rows.push_back({std::to_string(i), node.name, op_label(node), shape_str(graph.output(node, 0).shape), format_flops(cost.flops),
                    fmt::format("{:.0f}", cost.params), format_bytes(cost.output_bytes)});
    flops += cost.flops;
    params += cost.params;
    activations += cost.output_bytes;
  }
  fmt::print("model {} ({} layers, batch {})\n", graph.name.empty() ? model : graph.name, graph.nodes.size(),
             graph.inputs.empty() ? 0 : graph.value(graph.inputs[0]).shape.at(0));
  for (int id : graph.inputs) fmt::print("input  {} {} {}\n", graph.value(id).name, dtype_name(graph.value(id).dtype), shape_str(graph.value(id).shape));
  for (int id : graph.outputs) fmt::print("output {} {} {}\n", graph.value(id).name, dtype_name(graph.value(id).dtype), shape_str(graph.value(id).shape));
  print_table(rows);
  fmt::print("total: {}, {:.0f} parameters ({}), activations {} written, peak {} live\n", format_flops(flops), params,
             format_bytes(params * 4), format_bytes(activations), format_bytes(peak_activation_bytes(graph)));
}

void add_inspect_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("inspect", "Layers with output shapes, FLOPs, parameters and activation memory");
  static std::string model;
  static int64_t batch = 0;
  static bool raw = false;
  cmd->add_option("MODEL", model, "ONNX file or zoo model name")->required();
  cmd->add_option("--batch", batch, "Batch size (default: the model's)");
  cmd->add_flag("--no-optimize", raw, "Show the graph before fusion passes");
  cmd->callback([] { inspect(model, batch, !raw); });
}

}  // namespace tandem::cli
