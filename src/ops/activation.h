// Elementwise activations (Relu, LeakyRelu, Clip, Sigmoid, Tanh) as one small
// description, shared by the standalone ops and by Conv/Gemm nodes that carry a
// fused activation (attributes "activation", "activation_alpha", "activation_beta",
// set by the fuse pass).
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

#include "ir/graph.h"

namespace tandem {

enum class ActivationKind { None, Relu, LeakyRelu, Clip, Sigmoid, Tanh };

// ONNX LeakyRelu's alpha when the attribute is absent.
constexpr float kLeakyReluDefaultAlpha = 0.01f;

struct Activation {
  ActivationKind kind = ActivationKind::None;
  float alpha = 0;  // LeakyRelu: slope for x < 0; Clip: min
  float beta = 0;   // Clip: max
};

// "Relu" -> ActivationKind::Relu; nullopt for any op that cannot be fused.
std::optional<ActivationKind> activation_kind(std::string_view op_type);
const char* activation_name(ActivationKind kind);

// The fused activation of a Conv or Gemm node (kind None when it has none).
// Defaults: LeakyRelu alpha 0.01; Clip bounds -inf / +inf. Throws
// Error(Unsupported) naming the node for an unknown activation.
Activation fused_activation(const Node& node);

// y[i] = act(x[i]) for i < count; x may equal y.
void apply_activation(const Activation& act, const float* x, float* y, int64_t count);
// Applies the node's fused activation (if any) to data in place.
void apply_fused_activation(const Node& node, float* data, int64_t count);

}  // namespace tandem
