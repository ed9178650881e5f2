// Graph rewrites that keep outputs the same. Each works on a shape-inferred,
// topologically sorted graph and leaves it so.
#pragma once
#include "ir/graph.h"

namespace tandem {

// Removes Dropout (inference) and Identity nodes, rewiring their consumers.
void drop_identities(Graph& graph);
// Evaluates nodes whose inputs are all constant (and Shape nodes whose input shape
// is known) with the reference kernels, turning their outputs into constants. This
// removes the Shape/Gather/Unsqueeze/Concat chains exporters put before Reshape.
void fold_constants(Graph& graph);
// Folds BatchNormalization into the Conv before it (when the Conv output has no
// other reader): w' = w * gamma / sqrt(var + eps), b' = (b - mean) * scale + beta.
void fold_batchnorm(Graph& graph);
// Fuses Relu, LeakyRelu, Clip, Sigmoid or Tanh into the preceding Conv or Gemm as
// attributes "activation" (op type), "activation_alpha", "activation_beta".
void fuse_activations(Graph& graph);

// All of the above in order, then dead-node removal and shape inference.
void optimize_graph(Graph& graph);

}  // namespace tandem
