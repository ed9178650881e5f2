// Conv on oneDNN: convolution_forward with format_tag::any for source, weights and
// destination (oneDNN picks blocked layouts), weights reordered once here, bias, and
// post-ops for the fused activation plus following activations and a residual Add
// (a sum post-op accumulating into the residual's buffer).
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

// w: (M, C/g, K...) -> oneDNN's grouped (g, M/g, C/g, K...) when g > 1.
memory::dims weight_dims(const Shape& w, int64_t group) {
  memory::dims dims(w.begin(), w.end());
  if (group == 1) return dims;
  dims[0] /= group;
  dims.insert(dims.begin(), group);
  return dims;
}

// Where the result goes: the residual's buffer (sum post-op) or a fresh output.
TensorRef conv_destination(SegmentCompiler& c, int result, const FusedTail* residual_tail,
                           const memory::desc& dst_md) {
  if (!residual_tail) return c.output(result, dst_md);
  // The residual dies at the Add; a copy of it in the destination layout is reused
  // unless something else still reads that copy's buffer.
  TensorRef residual = c.in_layout(residual_tail->residual, dst_md);
  if (!c.dead_from(residual, c.position(), residual_tail->node)) residual = c.reorder(residual, dst_md);
  residual.shape = c.graph().value(result).shape;
  c.define(result, residual);
  return residual;
}

}  // namespace

void lower_conv(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  const Value& w = *g.input(node, 1);
  const Value* b = g.input(node, 2);
  if (!w.is_constant() || (b && !b->is_constant())) return lower_reference(c, node);
  const Value& y = g.output(node, 0);
  int64_t group = node.attrs.get_int("group", 1);
  DnnlWindow win = dnnl_window(window_geometry(node, spatial_dims(x.shape), spatial_dims(w.shape), WindowOptions{}));
  memory::dims w_dims = weight_dims(w.shape, group);
  std::optional<Eltwise> own = eltwise_of(fused_activation(node));
  std::vector<FusedTail> tail = fusable_tail(c, node.outputs[0], true);

  memory::desc bias_md = b ? plain_md(b->shape) : memory::desc();
  auto make = [&](size_t count) {
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(make_post_ops(own, tail, count));
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         any_md(dnnl_dims(x.shape)), any_md(w_dims), bias_md,
                                         any_md(dnnl_dims(y.shape)), win.strides, win.dilates, win.pad_l, win.pad_r);
    return dnnl::convolution_forward::primitive_desc(desc, attr, c.engine());
  };
  dnnl::convolution_forward::primitive_desc pd;
  size_t fused = create_with_tail(c, tail, make, pd);
  const FusedTail* residual = nullptr;
  for (size_t i = 0; i < fused; ++i)
    if (tail[i].residual >= 0) residual = &tail[i];

  std::vector<std::pair<int, TensorRef>> args{
      {DNNL_ARG_SRC, c.in_layout(node.inputs[0], pd.src_desc())},
      {DNNL_ARG_WEIGHTS, c.prepare(*w.data, plain_md(Shape(w_dims.begin(), w_dims.end())), pd.weights_desc())}};
  if (b) args.emplace_back(DNNL_ARG_BIAS, with_md(c.input(node.inputs[2]), pd.bias_desc()));
  int result = tail_result(g, node.outputs[0], tail, fused);
  args.emplace_back(DNNL_ARG_DST, conv_destination(c, result, residual, pd.dst_desc()));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
