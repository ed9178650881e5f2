// Identity, and Dropout at inference: the output is the input, the optional mask output
// is all true. Random (training-mode, non-zero ratio) Dropout is not supported.
// Works for any dtype.
#include <algorithm>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

void infer_identity(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  set_output(node, graph, 0, x.dtype, x.shape);
}

// Whether input i is a constant one-element tensor equal to zero.
bool is_constant_zero(const Graph& graph, const Node& node, size_t i) {
  const Value* v = graph.input(node, i);
  return v && v->is_constant() && v->data->numel() == 1 && v->data->to_floats()[0] == 0;
}

// Dropout is the identity unless training_mode (input 2) is set and ratio (input 1,
// default 0.5) is not a constant 0; that random case is not supported.
void expect_identity_dropout(const Node& node, const Graph& graph) {
  if (!graph.input(node, 2) || is_constant_zero(graph, node, 2) || is_constant_zero(graph, node, 1)) return;
  fail_node(ErrorKind::Unsupported, node, "training_mode must be a constant false unless ratio is a constant 0");
}

void infer_dropout(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 3);
  expect_output_count(node, 1, 2);
  expect_identity_dropout(node, graph);
  const Value& x = required_input(node, graph, 0);
  set_output(node, graph, 0, x.dtype, x.shape);
  set_output(node, graph, 1, DType::boolean, x.shape);
}

void reference_dropout(const Node&, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  copy_tensor_data(inputs[0], outputs[0]);
  if (outputs.size() > 1 && !outputs[1].empty() && outputs[1].numel() > 0) {
    bool* mask = outputs[1].data<bool>();
    std::fill(mask, mask + outputs[1].numel(), true);
  }
}

}  // namespace

void append_passthrough_ops(std::vector<const OpDef*>& defs) {
  static const OpDef identity{
      .type = "Identity", .since_opset = 1, .infer = infer_identity, .reference = copy_first_input, .flops = no_flops};
  static const OpDef dropout{
      .type = "Dropout", .since_opset = 12, .infer = infer_dropout, .reference = reference_dropout, .flops = no_flops};
  defs.insert(defs.end(), {&identity, &dropout});
}

}  // namespace tandem
