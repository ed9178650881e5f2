// Folds an inference BatchNormalization into the Conv before it when the Conv's
// output feeds nothing else: with s = gamma / sqrt(var + eps),
//   w'[c, ...] = w[c, ...] * s[c]      b'[c] = (b[c] - mean[c]) * s[c] + beta[c]
// (b = 0 when the Conv has no bias). New constants hold w' and b' (the originals may
// be shared); the Conv then writes the BatchNormalization's output.
#include <cmath>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem {
namespace {

struct BatchNormParams {
  const Tensor *gamma, *beta, *mean, *var;
  double epsilon;
};

// The four parameter inputs, each float32 constant with `channels` elements.
std::optional<BatchNormParams> batchnorm_params(const Graph& graph, const Node& bn, int64_t channels) {
  BatchNormParams p{constant_f32_input(graph, bn, 1), constant_f32_input(graph, bn, 2),
                    constant_f32_input(graph, bn, 3), constant_f32_input(graph, bn, 4),
                    bn.attrs.get_float("epsilon", 1e-5f)};
  for (const Tensor* t : {p.gamma, p.beta, p.mean, p.var})
    if (!t || t->numel() != channels) return std::nullopt;
  return p;
}

bool batchnorm_is_inference(const Graph& graph, const Readers& readers, const Node& bn) {
  if (bn.attrs.get_int("training_mode", 0) != 0) return false;
  for (size_t i = 1; i < bn.outputs.size(); ++i)  // running statistics: training only
    if (bn.outputs[i] != kNoValue && is_used(graph, readers, bn.outputs[i])) return false;
  return bn.inputs.size() == 5 && !bn.outputs.empty() && bn.outputs[0] != kNoValue;
}

// The Conv (index) whose output only `bn` reads and whose weights can be folded.
int foldable_conv(const Graph& graph, const Readers& readers, const std::vector<int>& producers, int bn_index) {
  const Node& bn = graph.nodes[static_cast<size_t>(bn_index)];
  if (bn.inputs.empty() || bn.inputs[0] == kNoValue) return -1;
  const int conv_index = producers[static_cast<size_t>(bn.inputs[0])];
  if (conv_index < 0) return -1;
  const Node& conv = graph.nodes[static_cast<size_t>(conv_index)];
  if (conv.op != "Conv" || conv.attrs.has("activation") || conv.outputs.size() != 1 || conv.outputs[0] != bn.inputs[0])
    return -1;
  if (!read_only_by(graph, readers, conv.outputs[0], bn_index)) return -1;
  const Tensor* weight = constant_f32_input(graph, conv, 1);
  if (!weight || weight->rank() < 3) return -1;
  if (graph.input(conv, 2) && !constant_f32_input(graph, conv, 2)) return -1;
  return conv_index;
}

void fold_into_conv(Graph& graph, Node& conv, const Node& bn, const BatchNormParams& p) {
  const Tensor& weight = *constant_f32_input(graph, conv, 1);
  const Tensor* bias = constant_f32_input(graph, conv, 2);
  const int64_t channels = weight.dim(0);
  const int64_t per_channel = weight.numel() / channels;  // C_in/group * kernel elements
  Tensor new_weight(DType::f32, weight.shape());
  Tensor new_bias(DType::f32, {channels});
  const float* w = weight.data<float>();
  float* w2 = new_weight.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    const double scale = p.gamma->data<float>()[c] / std::sqrt(double(p.var->data<float>()[c]) + p.epsilon);
    for (int64_t k = 0; k < per_channel; ++k)
      w2[c * per_channel + k] = static_cast<float>(w[c * per_channel + k] * scale);
    const double b = bias ? bias->data<float>()[c] : 0.0;
    new_bias.data<float>()[c] = static_cast<float>((b - p.mean->data<float>()[c]) * scale + p.beta->data<float>()[c]);
  }
  // add_constant may move graph.values: no pointer into it is used from here on.
  const std::string stem = conv.name.empty() ? bn.name : conv.name;
  conv.inputs.resize(3, kNoValue);
  conv.inputs[1] = graph.add_constant(graph.unique_name(stem + "_folded_weight"), std::move(new_weight));
  conv.inputs[2] = graph.add_constant(graph.unique_name(stem + "_folded_bias"), std::move(new_bias));
  conv.outputs[0] = bn.outputs[0];
}

}  // namespace

void fold_batchnorm(Graph& graph) {
  const Readers readers = graph.consumers();
  const std::vector<int> producers = graph.producers();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& bn = graph.nodes[n];
    if (bn.op != "BatchNormalization" || !batchnorm_is_inference(graph, readers, bn)) continue;
    const int conv = foldable_conv(graph, readers, producers, static_cast<int>(n));
    if (conv < 0) continue;
    Node& conv_node = graph.nodes[static_cast<size_t>(conv)];
    const auto params = batchnorm_params(graph, bn, constant_f32_input(graph, conv_node, 1)->dim(0));
    if (!params) continue;
    if (const Tensor* bias = constant_f32_input(graph, conv_node, 2); bias && bias->numel() != params->gamma->numel())
      continue;
    fold_into_conv(graph, conv_node, bn, *params);
    remove[n] = true;
  }
  erase_nodes(graph, remove);
}

}  // namespace tandem
