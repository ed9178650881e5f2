// The activation ops (Relu, LeakyRelu, Clip, Sigmoid, Tanh) and the fused-activation
// helper Conv and Gemm apply to their outputs. Sigmoid and Tanh are evaluated in
// double so that the reference stays an accurate oracle.
#include "ops/activation.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

struct NamedKind {
  std::string_view name;
  ActivationKind kind;
};
constexpr NamedKind kNamedKinds[] = {{"Relu", ActivationKind::Relu},
                                     {"LeakyRelu", ActivationKind::LeakyRelu},
                                     {"Clip", ActivationKind::Clip},
                                     {"Sigmoid", ActivationKind::Sigmoid},
                                     {"Tanh", ActivationKind::Tanh}};

}  // namespace

std::optional<ActivationKind> activation_kind(std::string_view op_type) {
  for (const NamedKind& named : kNamedKinds)
    if (named.name == op_type) return named.kind;
  return std::nullopt;
}

const char* activation_name(ActivationKind kind) {
  for (const NamedKind& named : kNamedKinds)
    if (named.kind == kind) return named.name.data();
  return "None";
}

Activation fused_activation(const Node& node) {
  if (!node.attrs.has("activation")) return {};
  std::string name = string_attr(node, "activation", "");
  std::optional<ActivationKind> kind = activation_kind(name);
  if (!kind) fail_node(ErrorKind::Unsupported, node, "unknown fused activation '" + name + "'");
  Activation act{*kind, 0, 0};
  if (act.kind == ActivationKind::LeakyRelu) act.alpha = float_attr(node, "activation_alpha", kLeakyReluDefaultAlpha);
  if (act.kind == ActivationKind::Clip) {
    act.alpha = float_attr(node, "activation_alpha", -kInfinity);
    act.beta = float_attr(node, "activation_beta", kInfinity);
  }
  return act;
}

void apply_activation(const Activation& act, const float* x, float* y, int64_t count) {
  switch (act.kind) {
    case ActivationKind::None:
      if (x != y) std::copy(x, x + count, y);
      return;
    case ActivationKind::Relu:
      for (int64_t i = 0; i < count; ++i) y[i] = std::max(x[i], 0.0f);
      return;
    case ActivationKind::LeakyRelu:
      for (int64_t i = 0; i < count; ++i) y[i] = x[i] < 0 ? act.alpha * x[i] : x[i];
      return;
    case ActivationKind::Clip:
      for (int64_t i = 0; i < count; ++i) y[i] = std::min(std::max(x[i], act.alpha), act.beta);
      return;
    case ActivationKind::Sigmoid:
      for (int64_t i = 0; i < count; ++i) y[i] = static_cast<float>(1.0 / (1.0 + std::exp(-double(x[i]))));
      return;
    case ActivationKind::Tanh:
      for (int64_t i = 0; i < count; ++i) y[i] = static_cast<float>(std::tanh(double(x[i])));
      return;
  }
}

void apply_fused_activation(const Node& node, float* data, int64_t count) {
  apply_activation(fused_activation(node), data, data, count);
}

// ---- the standalone ops ----

namespace {

void infer_float_activation(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  if (node.op == "LeakyRelu") float_attr(node, "alpha", kLeakyReluDefaultAlpha);  // type check
  set_output(node, graph, 0, x.dtype, x.shape);
}

// The activation a standalone Relu/LeakyRelu/Sigmoid/Tanh node computes.
Activation standalone_activation(const Node& node) {
  Activation act{*activation_kind(node.op), 0, 0};
  if (act.kind == ActivationKind::LeakyRelu) act.alpha = float_attr(node, "alpha", kLeakyReluDefaultAlpha);
  return act;
}

void run_float_activation(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  apply_activation(standalone_activation(node), inputs[0].data<float>(), outputs[0].data<float>(), inputs[0].numel());
}

// Clip: optional scalar inputs min and max (absent: unbounded); any numeric dtype
// tandem's tests use.
bool clip_dtype_supported(DType dtype) {
  return dtype == DType::f32 || dtype == DType::i8 || dtype == DType::u8 || dtype == DType::i32 || dtype == DType::i64;
}

void infer_clip(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 3);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  if (!clip_dtype_supported(x.dtype))
    fail_node(ErrorKind::Unsupported, node, std::string("dtype ") + dtype_name(x.dtype) + " is not supported");
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    const Value* bound = graph.input(node, i);
    if (!bound) continue;
    if (bound->dtype != x.dtype) fail_node(ErrorKind::InvalidModel, node, "bound " + value_str(*bound) + " must have the dtype of x");
    if (bound->shape.size() > 1 || num_elements(bound->shape) != 1)
      fail_node(ErrorKind::InvalidModel, node, "bound " + value_str(*bound) + " must be a scalar");
  }
  set_output(node, graph, 0, x.dtype, x.shape);
}

template <class T>
void clip_typed(const std::vector<Tensor>& inputs, Tensor& output) {
  T low = std::numeric_limits<T>::has_infinity ? -std::numeric_limits<T>::infinity() : std::numeric_limits<T>::lowest();
  T high = std::numeric_limits<T>::has_infinity ? std::numeric_limits<T>::infinity() : std::numeric_limits<T>::max();
  if (inputs.size() > 1 && !inputs[1].empty()) low = inputs[1].data<T>()[0];
  if (inputs.size() > 2 && !inputs[2].empty()) high = inputs[2].data<T>()[0];
  const T* x = inputs[0].data<T>();
  T* y = output.data<T>();
  for (int64_t i = 0, n = inputs[0].numel(); i < n; ++i) y[i] = std::min(std::max(x[i], low), high);
}

void run_clip(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  switch (inputs[0].dtype()) {
    case DType::f32: return clip_typed<float>(inputs, outputs[0]);
    case DType::i8: return clip_typed<int8_t>(inputs, outputs[0]);
    case DType::u8: return clip_typed<uint8_t>(inputs, outputs[0]);
    case DType::i32: return clip_typed<int32_t>(inputs, outputs[0]);
    case DType::i64: return clip_typed<int64_t>(inputs, outputs[0]);
    default: fail_node(ErrorKind::Unsupported, node, std::string("dtype ") + dtype_name(inputs[0].dtype()) + " is not supported");
  }
}

}  // namespace

extern const OpDef kReluOp{.type = "Relu", .since_opset = 6, .infer = infer_float_activation, .reference = run_float_activation};
extern const OpDef kLeakyReluOp{
    .type = "LeakyRelu", .since_opset = 6, .infer = infer_float_activation, .reference = run_float_activation};
extern const OpDef kSigmoidOp{.type = "Sigmoid", .since_opset = 6, .infer = infer_float_activation, .reference = run_float_activation};
extern const OpDef kTanhOp{.type = "Tanh", .since_opset = 6, .infer = infer_float_activation, .reference = run_float_activation};
extern const OpDef kClipOp{.type = "Clip", .since_opset = 11, .infer = infer_clip, .reference = run_clip};

}  // namespace tandem
