// BatchNormalization (inference) on oneDNN with global statistics, scale and shift,
// in the input's layout and in place when the input dies here.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_batchnorm(SegmentCompiler& c, const Node& node) {
  float epsilon = node.attrs.get_float("epsilon", 1e-5f);
  using dnnl::normalization_flags;
  auto flags = normalization_flags::use_global_stats | normalization_flags::use_scale | normalization_flags::use_shift;
  TensorRef src = c.input(node.inputs[0]);
  dnnl::batch_normalization_forward::desc desc(dnnl::prop_kind::forward_inference, src.md, epsilon, flags);
  dnnl::batch_normalization_forward::primitive_desc pd(desc, base_attr(), c.engine());
  c.push(pd, {{DNNL_ARG_SRC, src},
              {DNNL_ARG_SCALE, c.plain(node.inputs[1])},
              {DNNL_ARG_SHIFT, c.plain(node.inputs[2])},
              {DNNL_ARG_MEAN, c.plain(node.inputs[3])},
              {DNNL_ARG_VARIANCE, c.plain(node.inputs[4])},
              {DNNL_ARG_DST, c.output_inplace(node.outputs[0], src)}});
}

}  // namespace tandem::cpu
