// Ops that move no data: Reshape, Flatten, Squeeze, Unsqueeze (a reshaped view of the
// plain input), Identity and inference Dropout (the input as held, any layout); and
// ops evaluated once at compile time because their result is known then (Constant,
// Shape, any node whose inputs are all constant); and nodes with nothing to compute,
// whose outputs have no elements (a batch of 0, an empty slice).
#include "backends/cpu/lowering.h"
#include "ops/op.h"

namespace tandem::cpu {

void lower_view(SegmentCompiler& c, const Node& node) {
  bool keeps_layout = node.op == "Identity" || node.op == "Dropout";
  if (node.op == "Dropout" && node.outputs.size() > 1 && node.outputs[1] != kNoValue) return lower_reference(c, node);
  c.alias(node.outputs[0], keeps_layout ? c.input(node.inputs[0]) : c.plain(node.inputs[0]));
}

void lower_folded(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  std::vector<Tensor> inputs;
  for (int id : node.inputs) {
    if (id == kNoValue) {
      inputs.emplace_back();
      continue;
    }
    const Value& v = g.value(id);
    // Shape reads only the shape of a computed input.
    inputs.push_back(v.is_constant() ? *v.data : Tensor::view(v.dtype, v.shape, nullptr));
  }
  std::vector<Tensor> outputs = run_reference(node, g, inputs);
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i] != kNoValue) c.define(node.outputs[i], c.constant(outputs[i]));
}

void lower_empty(SegmentCompiler& c, const Node& node) {
  for (int id : node.outputs)
    if (id != kNoValue) c.output_plain(id);
}

}  // namespace tandem::cpu
