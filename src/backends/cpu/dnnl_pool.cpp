// Pooling on oneDNN: MaxPool (without Indices), AveragePool (count_include_pad or
// not, ceil_mode through extra right padding) and the global pools (one window over
// all spatial dims), in whatever layout the input is held. AveragePool counting
// padding with ceil_mode windows that overhang the padding falls back to the
// reference kernel (oneDNN would count the overhang in the divisor).
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

struct PoolSpec {
  dnnl::algorithm algorithm = dnnl::algorithm::pooling_max;
  DnnlWindow window;
};

PoolSpec global_pool(const Node& node, const Shape& x) {
  PoolSpec spec;
  spec.algorithm = node.op == "GlobalMaxPool" ? dnnl::algorithm::pooling_max : dnnl::algorithm::pooling_avg_exclude_padding;
  for (int64_t d : spatial_dims(x)) {
    spec.window.strides.push_back(1);
    spec.window.kernel.push_back(d);
    spec.window.dilates.push_back(0);
    spec.window.pad_l.push_back(0);
    spec.window.pad_r.push_back(0);
  }
  return spec;
}

PoolSpec window_pool(const Node& node, const Shape& x) {
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  PoolSpec spec;
  spec.window = dnnl_window(window_geometry(node, spatial_dims(x), node.attrs.get_ints("kernel_shape"), options));
  if (node.op == "AveragePool")
    spec.algorithm = node.attrs.get_int("count_include_pad", 0) ? dnnl::algorithm::pooling_avg_include_padding
                                                                : dnnl::algorithm::pooling_avg_exclude_padding;
  return spec;
}

}  // namespace

void lower_pool(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  if (x.dtype != DType::f32) return lower_reference(c, node);
  if (node.outputs.size() > 1 && node.outputs[1] != kNoValue) return lower_maxpool_indices(c, node);
  bool global = node.op == "GlobalMaxPool" || node.op == "GlobalAveragePool";
  PoolSpec spec = global ? global_pool(node, x.shape) : window_pool(node, x.shape);
  if (spec.algorithm == dnnl::algorithm::pooling_avg_include_padding && spec.window.overhang)
    return lower_reference(c, node);
  memory::desc dst_any = any_md(dnnl_dims(g.output(node, 0).shape));
  auto make = [&](const memory::desc& src_md) {
    const DnnlWindow& w = spec.window;
    dnnl::pooling_v2_forward::desc desc(dnnl::prop_kind::forward_inference, spec.algorithm, src_md, dst_any, w.strides,
                                        w.kernel, w.dilates, w.pad_l, w.pad_r);
    return dnnl::pooling_v2_forward::primitive_desc(desc, base_attr(), c.engine());
  };
  TensorRef src = c.input(node.inputs[0]);
  dnnl::pooling_v2_forward::primitive_desc pd;
  try {
    pd = make(src.md);
  } catch (const dnnl::error&) {
    src = c.plain(node.inputs[0]);
    pd = make(src.md);
  }
  c.push(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, c.output(node.outputs[0], pd.dst_desc())}});
}

}  // namespace tandem::cpu
