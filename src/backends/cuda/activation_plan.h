// The activation that a standalone activation node computes, as the GPU kernels and
// cuDNN epilogues take it: float32 Relu, LeakyRelu, Clip with constant bounds,
// Sigmoid or Tanh. Lowerings that absorb a following activation node use it.
#pragma once
#include <optional>

#include "ir/graph.h"
#include "ops/activation.h"

namespace tandem::cuda {

// Nullopt when `node` is no such activation or its parameters are unknown until run
// time (a Clip bound computed by another node).
std::optional<Activation> node_activation(const Graph& graph, const Node& node);

}  // namespace tandem::cuda
