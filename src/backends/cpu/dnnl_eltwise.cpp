// Standalone activations (Relu, LeakyRelu, Clip, Sigmoid, Tanh) as oneDNN eltwise,
// in the input's layout and in place when the input dies here, split into flat
// ranges across the device's threads. Clip with
// non-constant bounds or integer data runs the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_eltwise(SegmentCompiler& c, const Node& node) {
  std::optional<Eltwise> e = eltwise_of_node(node, c.graph());
  if (!e) return lower_reference(c, node);
  const TensorRef src = c.input(node.inputs[0]);
  const TensorRef dst = c.output_inplace(node.outputs[0], src);
  auto part = [&](const TensorRef& from, const TensorRef& to) {
    dnnl::eltwise_forward::desc desc(dnnl::prop_kind::forward_inference, e->algorithm, from.md, e->alpha, e->beta);
    return SegmentCompiler::Part{dnnl::eltwise_forward::primitive_desc(desc, base_attr(), c.engine()),
                                 {{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, to}}};
  };
  const std::vector<TensorRef> froms = flat_ranges(src, c.tasks()), tos = flat_ranges(dst, c.tasks());
  if (froms.size() < 2 || froms.size() != tos.size()) return c.push_parallel({part(src, dst)});
  std::vector<SegmentCompiler::Part> parts;
  for (size_t i = 0; i < froms.size(); ++i) parts.push_back(part(froms[i], tos[i]));
  c.push_parallel(parts);
}

}  // namespace tandem::cpu
