// Softmax (opset 13: one axis) over the plain input, in place when the input dies
// here: along the innermost axis on oneDNN softmax, the rows split across the
// device's threads; along another axis on the own kernel (kernels_softmax.cpp).
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_softmax(SegmentCompiler& c, const Node& node) {
  const Value& x = c.graph().value(node.inputs[0]);
  if (x.dtype != DType::f32 || x.shape.empty() || num_elements(x.shape) == 0) return lower_reference(c, node);
  auto rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = node.attrs.get_int("axis", -1);
  if (axis < 0) axis += rank;
  const TensorRef src = c.plain(node.inputs[0]);
  const TensorRef dst = c.output_inplace(node.outputs[0], src);
  // x (outer, len, inner): the softmax runs along len, independently per outer index.
  const int64_t outer = num_elements(Shape(x.shape.begin(), x.shape.begin() + axis)), len = x.shape[axis];
  const int64_t inner = num_elements(Shape(x.shape.begin() + axis + 1, x.shape.end()));
  if (inner > 1) return push_softmax_across_rows(c, src, dst, outer, len, inner);
  // Along the innermost axis: rows (outer, len) in parts of rows.
  const int64_t parts = std::min<int64_t>(c.tasks(), outer);
  auto part = [&](int64_t o0, int64_t o1) {
    const memory::desc md = plain_md({o1 - o0, len});
    TensorRef from = with_md(src, md), to = with_md(dst, md);
    from.offset += static_cast<size_t>(o0 * len) * sizeof(float);
    to.offset += static_cast<size_t>(o0 * len) * sizeof(float);
    dnnl::softmax_forward::desc desc(dnnl::prop_kind::forward_inference, md, 1);
    return SegmentCompiler::Part{dnnl::softmax_forward::primitive_desc(desc, base_attr(), c.engine()),
                                 {{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, to}}};
  };
  std::vector<SegmentCompiler::Part> all;
  for (int64_t p = 0; p < parts; ++p) all.push_back(part(outer * p / parts, outer * (p + 1) / parts));
  c.push_parallel(all);
}

}  // namespace tandem::cpu
