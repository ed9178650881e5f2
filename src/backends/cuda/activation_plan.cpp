// Parameters of activation nodes known at compile time (see activation_plan.h).
#include "backends/cuda/activation_plan.h"

#include <limits>

#include "ops/nn_util.h"

namespace tandem::cuda {
namespace {

// A Clip bound at input i as a float: `absent` when the input is absent, nullopt when
// it is not a constant scalar.
std::optional<float> clip_bound(const Graph& graph, const Node& clip, size_t i, float absent) {
  const Value* bound = graph.input(clip, i);
  if (!bound) return absent;
  if (!bound->is_constant() || bound->dtype != DType::f32 || bound->data->numel() != 1) return std::nullopt;
  return bound->data->to_floats()[0];
}

}  // namespace

// The activation a standalone float activation node computes, when its parameters
// are known here.
std::optional<Activation> node_activation(const Graph& graph, const Node& node) {
  std::optional<ActivationKind> kind = activation_kind(node.op);
  if (!kind || node.inputs.empty() || node.outputs.size() != 1 || graph.value(node.inputs[0]).dtype != DType::f32)
    return std::nullopt;
  Activation act{*kind, 0, 0};
  if (act.kind == ActivationKind::LeakyRelu) act.alpha = float_attr(node, "alpha", kLeakyReluDefaultAlpha);
  if (act.kind == ActivationKind::Clip) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    std::optional<float> low = clip_bound(graph, node, 1, -inf), high = clip_bound(graph, node, 2, inf);
    if (!low || !high) return std::nullopt;
    act.alpha = *low;
    act.beta = *high;
  }
  return act;
}

}  // namespace tandem::cuda
