// Stride-1 3x3 convolutions lowered to Winograd F(2x2, 3x3) (winograd.h) when they are
// big enough to gain, in the layout the input is held in (channels last or blocked by
// 8 channels; else the one the convolutions prefer; channels last straight into a
// Concat's output): input transform, 16 matrix products on oneDNN matmul (split
// across the device's threads), output transform with bias and the fused activations
// (Relu, LeakyRelu, Clip) and residual Add. Other convolutions use oneDNN's direct
// convolution (dnnl_conv.cpp).
#include <cstring>

#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"
#include "backends/cpu/execution_rules.h"
#include "backends/cpu/winograd.h"

namespace tandem::cpu {

namespace {

std::optional<WinogradGeometry> winograd_geometry(const Node& node, const Graph& g) {
  const Value& x = g.value(node.inputs[0]);
  const Value& w = g.value(node.inputs[1]);
  const Value* b = g.input(node, 2);
  if (x.shape.size() != 4 || w.shape != Shape{w.shape[0], x.shape[1], 3, 3} || !w.is_constant() ||
      (b && !b->is_constant()) || node.attrs.get_int("group", 1) != 1)
    return std::nullopt;
  WindowGeometry win = window_geometry(node, spatial_dims(x.shape), {3, 3}, WindowOptions{});
  if (win.strides != std::vector<int64_t>{1, 1} || win.dilations != std::vector<int64_t>{1, 1}) return std::nullopt;
  WinogradGeometry geo{x.shape[0], x.shape[1], w.shape[0], x.shape[2], x.shape[3],
                       win.output[0], win.output[1], win.pads_begin[0], win.pads_begin[1], {}, {}};
  if (!winograd_pays(geo.in_channels, geo.out_channels, geo.tiles(), kWinogradPoints)) return std::nullopt;
  return geo;
}

// U's points [k0, k1) as a tensor of their own.
Tensor points(const Tensor& u, int64_t k0, int64_t k1) {
  Tensor part(DType::f32, {k1 - k0, u.dim(1), u.dim(2)});
  std::memcpy(part.raw(), u.data<float>() + k0 * u.dim(1) * u.dim(2), part.nbytes());
  return part;
}

// The 16 products P[k] = V[k] x U[k] as parts over ranges of k.
std::vector<SegmentCompiler::Part> products(SegmentCompiler& c, const WinogradGeometry& g, const Tensor& u,
                                            const TensorRef& v, const TensorRef& p) {
  int64_t parts = std::min<int64_t>(c.tasks(), kWinogradPoints), t = g.tiles();
  std::vector<SegmentCompiler::Part> all;
  for (int64_t i = 0; i < parts; ++i) {
    int64_t k0 = kWinogradPoints * i / parts, k1 = kWinogradPoints * (i + 1) / parts;
    memory::desc src_md = plain_md({k1 - k0, t, g.in_channels}), dst_md = plain_md({k1 - k0, t, g.out_channels});
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(src_md, any_md({k1 - k0, g.in_channels, g.out_channels}), dst_md),
                                    base_attr(), c.engine());
    TensorRef part_v = with_md(v, src_md), part_p = with_md(p, dst_md);
    part_v.offset += static_cast<size_t>(k0 * t * g.in_channels) * sizeof(float);
    part_p.offset += static_cast<size_t>(k0 * t * g.out_channels) * sizeof(float);
    Tensor weights = points(u, k0, k1);
    all.push_back({pd,
                   {{DNNL_ARG_SRC, part_v},
                    {DNNL_ARG_WEIGHTS, c.prepare(weights, plain_md(weights.shape()), pd.weights_desc())},
                    {DNNL_ARG_DST, part_p}}});
  }
  return all;
}

}  // namespace

bool lower_winograd_conv(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  std::optional<WinogradGeometry> geo = winograd_geometry(node, g);
  if (!geo) return false;
  const std::optional<FusedSteps> steps = fuse_post_ops(c, node);
  if (!steps) return false;
  const FusedTail* residual = steps->residual ? &*steps->residual : nullptr;

  const memory::desc x_md = vector_layout(c, node.inputs[0]);
  const bool channels_last = is_channels_last(x_md);
  const int result = steps->result;
  const Shape& y_shape = g.value(result).shape;
  memory::desc y_md = channels_last ? channels_last_md(y_shape) : blocked8_md(y_shape);
  if (channels_last && !residual) y_md = c.concat_view(result, y_md).value_or(y_md);
  WinogradGeometry geometry = *geo;
  geometry.in = channels_last ? channels_last_strides(x_md) : blocked8_strides(geometry.in_channels, geometry.in_h, geometry.in_w);
  geometry.out = channels_last ? channels_last_strides(y_md) : blocked8_strides(geometry.out_channels, geometry.out_h, geometry.out_w);
  const int64_t tiles = geometry.tiles();
  const int tasks = c.tasks();
  TensorRef x = c.in_layout(node.inputs[0], x_md);
  TensorRef v = c.scratch(DType::f32, {kWinogradPoints, tiles, geometry.in_channels},
                          plain_md({kWinogradPoints, tiles, geometry.in_channels}));
  TensorRef p = c.scratch(DType::f32, {kWinogradPoints, tiles, geometry.out_channels},
                          plain_md({kWinogradPoints, tiles, geometry.out_channels}));
  c.push_kernel([=](const RunContext& ctx) {
    run_ranges(ctx.pool, tasks, tiles, [&](int64_t first, int64_t last) {
      winograd_input(geometry, ctx.data<float>(x), ctx.data<float>(v), first, last);
    });
  }, {x, v});
  c.push_parallel(products(c, geometry, winograd_weights(*g.value(node.inputs[1]).data), v, p));

  const Value* b = g.input(node, 2);
  std::optional<TensorRef> bias = b ? std::optional<TensorRef>(c.input(node.inputs[2])) : std::nullopt;
  TensorRef y = result_destination(c, result, residual, y_md);
  std::vector<FusedPostOp> ops = steps->ops;
  std::vector<TensorRef> touched{p, y};
  if (bias) touched.push_back(*bias);
  c.push_kernel([=](const RunContext& ctx) {
    const float* shift = bias ? ctx.data<float>(*bias) : nullptr;
    run_ranges(ctx.pool, tasks, tiles, [&](int64_t first, int64_t last) {
      winograd_output(geometry, ctx.data<float>(p), shift, ops, ctx.data<float>(y), first, last);
    });
  }, touched);
  return true;
}

}  // namespace tandem::cpu
