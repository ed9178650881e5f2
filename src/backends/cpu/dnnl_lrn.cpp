// LRN across channels on oneDNN (same formula as ONNX: x / (bias + alpha/size *
// square_sum)^beta) in the input's layout. An even window size, whose ONNX window is
// lopsided, runs the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_lrn(SegmentCompiler& c, const Node& node) {
  int64_t size = node.attrs.get_int("size", 1);
  if (size % 2 == 0) return lower_reference(c, node);
  float alpha = node.attrs.get_float("alpha", 1e-4f), beta = node.attrs.get_float("beta", 0.75f);
  float bias = node.attrs.get_float("bias", 1.0f);
  auto make = [&](const memory::desc& md) {
    dnnl::lrn_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::lrn_across_channels, md, size,
                                 alpha, beta, bias);
    return dnnl::lrn_forward::primitive_desc(desc, base_attr(), c.engine());
  };
  TensorRef src = c.input(node.inputs[0]);
  dnnl::lrn_forward::primitive_desc pd;
  try {
    pd = make(src.md);
  } catch (const dnnl::error&) {
    src = c.plain(node.inputs[0]);
    pd = make(src.md);
  }
  c.push(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, c.output(node.outputs[0], pd.dst_desc())}});
}

}  // namespace tandem::cpu
