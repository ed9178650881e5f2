// Standalone activations (Relu, LeakyRelu, Clip, Sigmoid, Tanh) as oneDNN eltwise,
// in the input's layout and in place when the input dies here. Clip with
// non-constant bounds or integer data runs the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_eltwise(SegmentCompiler& c, const Node& node) {
  std::optional<Eltwise> e = eltwise_of_node(node, c.graph());
  if (!e) return lower_reference(c, node);
  TensorRef src = c.input(node.inputs[0]);
  dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, e->algorithm, src.md, e->alpha, e->beta);
  dnnl::eltwise_forward::primitive_desc pd(desc, base_attr(), c.engine());
  c.push(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, c.output_inplace(node.outputs[0], src)}});
}

}  // namespace tandem::cpu
