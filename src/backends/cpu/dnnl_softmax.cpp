// Softmax (opset 13: one axis) on oneDNN softmax over the plain input, in place when
// the input dies here.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_softmax(SegmentCompiler& c, const Node& node) {
  const Value& x = c.graph().value(node.inputs[0]);
  if (x.dtype != DType::f32 || x.shape.empty() || num_elements(x.shape) == 0) return lower_reference(c, node);
  auto rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attrs.get_int("axis", -1);
  if (axis < 0) axis += rank;
  TensorRef src = c.plain(node.inputs[0]);
  dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, src.md, static_cast<int>(axis));
  dnnl::softmax_forward::primitive_desc pd(desc, base_attr(), c.engine());
  c.push(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, c.output_inplace(node.outputs[0], src)}});
}

}  // namespace tandem::cpu
