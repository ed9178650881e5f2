// The table of every op tandem implements, and shape inference / cost over a graph.
#include <algorithm>
#include <map>

#include "ops/op.h"
#include "ops/op_lists.h"
#include "tandem/error.h"

namespace tandem {

static const std::map<std::string_view, const OpDef*>& op_table() {
  static const auto table = [] {
    std::map<std::string_view, const OpDef*> t;
    std::vector<const OpDef*> defs;
    append_nn_ops(defs);
    append_tensor_ops(defs);
    for (const OpDef* def : defs) t[def->type] = def;
    return t;
  }();
  return table;
}

const OpDef* find_op(std::string_view type) {
  auto it = op_table().find(type);
  return it == op_table().end() ? nullptr : it->second;
}

std::vector<std::string> supported_op_types() {
  std::vector<std::string> names;
  for (const auto& [name, def] : op_table()) names.emplace_back(name);
  return names;
}

void infer_shapes(Graph& graph) {
  for (const Node& node : graph.nodes) {
    const OpDef* def = find_op(node.op);
    if (!def) fail(ErrorKind::Unsupported, "unsupported op " + describe(node) + " (opset " + std::to_string(graph.opset) + ")");
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const Value* in = graph.input(node, i);
      if (in && !in->is_constant())
        for (int64_t d : in->shape)
          if (d < 0) fail(ErrorKind::InvalidModel, describe(node) + ": input '" + in->name + "' has unknown shape " + shape_str(in->shape));
    }
    def->infer(node, graph);
  }
}

NodeCost node_cost(const Node& node, const Graph& graph) {
  NodeCost cost;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* in = graph.input(node, i);
    if (!in) continue;
    double bytes = static_cast<double>(num_elements(in->shape)) * static_cast<double>(dtype_size(in->dtype));
    if (in->is_constant()) {
      cost.weight_bytes += bytes;
      cost.params += static_cast<double>(num_elements(in->shape));
    } else {
      cost.input_bytes += bytes;
    }
  }
  double out_elements = 0;
  for (int id : node.outputs) {
    if (id == kNoValue) continue;
    const Value& v = graph.value(id);
    out_elements += static_cast<double>(num_elements(v.shape));
    cost.output_bytes += static_cast<double>(num_elements(v.shape)) * static_cast<double>(dtype_size(v.dtype));
  }
  const OpDef* def = find_op(node.op);
  cost.flops = def && def->flops ? def->flops(node, graph) : out_elements;
  return cost;
}

std::vector<Tensor> run_reference(const Node& node, const Graph& graph, const std::vector<Tensor>& inputs) {
  const OpDef* def = find_op(node.op);
  if (!def) fail(ErrorKind::Unsupported, "unsupported op " + describe(node));
  std::vector<Tensor> outputs;
  for (int id : node.outputs)
    outputs.push_back(id == kNoValue ? Tensor() : Tensor(graph.value(id).dtype, graph.value(id).shape));
  def->reference(node, inputs, outputs);
  return outputs;
}

}  // namespace tandem
