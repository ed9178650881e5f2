// Ops that move no data on cuda: Reshape, Flatten, Squeeze, Unsqueeze, Identity and
// inference Dropout are the input's bytes under the output's shape (copied only
// when the result is a segment output).
#include "backends/cuda/lowering.h"

namespace tandem::cuda {

void lower_view(SegmentCompiler& c, const Node& node) {
  // Dropout asked for its mask: the reference writes it.
  if (node.op == "Dropout" && node.outputs.size() > 1 && node.outputs[1] != kNoValue) return lower_host_fallback(c, node);
  c.alias(node.outputs[0], c.input(node.inputs[0]));
}

}  // namespace tandem::cuda
