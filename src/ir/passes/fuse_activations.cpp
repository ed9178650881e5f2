// Fuses an activation (Relu, LeakyRelu, Clip with constant bounds, Sigmoid, Tanh)
// into the Conv or Gemm before it, when that node's output feeds nothing else: the
// Conv/Gemm gets attributes "activation" (the op type), "activation_alpha"
// (LeakyRelu alpha, Clip min) and "activation_beta" (Clip max) and writes the
// activation's output. These attributes are tandem's own; ONNX export refuses them.
#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem {
namespace {

bool is_fusable_activation(const std::string& op) {
  return op == "Relu" || op == "LeakyRelu" || op == "Clip" || op == "Sigmoid" || op == "Tanh";
}

// The Clip bound at input i: absent (nullopt) or a constant scalar; false if neither.
bool clip_bound(const Graph& graph, const Node& clip, size_t i, std::optional<float>& bound) {
  const Value* v = graph.input(clip, i);
  if (!v) return true;
  if (!v->is_constant() || v->data->numel() != 1) return false;
  bound = v->data->to_floats()[0];
  return true;
}

// The fused attributes for `act`, or false when it cannot be fused.
bool activation_attributes(const Graph& graph, const Node& act, Attributes& attrs) {
  attrs.set("activation", act.op);
  if (act.op == "LeakyRelu") attrs.set("activation_alpha", act.attrs.get_float("alpha", 0.01f));
  if (act.op != "Clip") return true;
  std::optional<float> low, high;
  if (!clip_bound(graph, act, 1, low) || !clip_bound(graph, act, 2, high)) return false;
  if (low) attrs.set("activation_alpha", *low);
  if (high) attrs.set("activation_beta", *high);
  return true;
}

// The Conv/Gemm (index) that `act` can be fused into, or -1.
int fusable_producer(const Graph& graph, const Readers& readers, const std::vector<int>& producers, int act_index) {
  const Node& act = graph.nodes[static_cast<size_t>(act_index)];
  if (act.inputs.empty() || act.inputs[0] == kNoValue || act.outputs.size() != 1) return -1;
  const int p = producers[static_cast<size_t>(act.inputs[0])];
  if (p < 0) return -1;
  const Node& producer = graph.nodes[static_cast<size_t>(p)];
  if ((producer.op != "Conv" && producer.op != "Gemm") || producer.attrs.has("activation")) return -1;
  if (producer.outputs.size() != 1 || producer.outputs[0] != act.inputs[0]) return -1;
  if (graph.value(act.inputs[0]).dtype != DType::f32) return -1;
  return read_only_by(graph, readers, act.inputs[0], act_index) ? p : -1;
}

}  // namespace

void fuse_activations(Graph& graph) {
  const Readers readers = graph.consumers();
  const std::vector<int> producers = graph.producers();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& act = graph.nodes[n];
    if (!is_fusable_activation(act.op)) continue;
    const int p = fusable_producer(graph, readers, producers, static_cast<int>(n));
    Attributes fused;
    if (p < 0 || !activation_attributes(graph, act, fused)) continue;
    Node& producer = graph.nodes[static_cast<size_t>(p)];
    for (const auto& [name, value] : fused.all()) producer.attrs.set(name, value);
    producer.outputs[0] = act.outputs[0];
    remove[n] = true;
  }
  erase_nodes(graph, remove);
}

}  // namespace tandem
