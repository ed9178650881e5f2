// Conv on oneDNN: convolution_forward with format_tag::any for source, weights and
// destination (oneDNN picks blocked layouts), weights reordered once here, bias, and
// post-ops for the fused activation plus following activations and a residual Add
// (a sum post-op accumulating into the residual's buffer); a Concat's input is
// written straight into its slice of the Concat's output. Large convolutions are
// split into batch, output-channel or (channels last) output-row parts
// (conv_parts.h), one primitive each, run in parallel on the device's threads.
#include <cstring>

#include "backends/cpu/conv_parts.h"
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/kernels.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

using ConvPd = dnnl::convolution_forward::primitive_desc;

// w: (M, C/g, K...) -> oneDNN's grouped (g, M/g, C/g, K...) when g > 1.
memory::dims weight_dims(const Shape& w, int64_t group) {
  memory::dims dims(w.begin(), w.end());
  if (group == 1) return dims;
  dims[0] /= group;
  dims.insert(dims.begin(), group);
  return dims;
}

// Everything that defines the convolution apart from its tensors' extents.
struct ConvSpec {
  int64_t group = 1;
  DnnlWindow window;
  bool bias = false;
  std::optional<Eltwise> own;
  std::vector<FusedTail> tail;
};

ConvPd conv_pd(SegmentCompiler& c, const ConvSpec& s, size_t fused, const memory::desc& src,
               const memory::dims& weights, const memory::desc& dst) {
  dnnl::primitive_attr attr = base_attr();
  attr.set_post_ops(make_post_ops(s.own, s.tail, fused));
  memory::desc bias_md = s.bias ? plain_md({dst.dims()[1]}) : memory::desc();
  dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct, src,
                                       any_md(weights), bias_md, dst, s.window.strides, s.window.dilates,
                                       s.window.pad_l, s.window.pad_r);
  return ConvPd(desc, attr, c.engine());
}

// A direct-convolution kernel: oneDNN's jit kernels (AVX2) or brgconv (AVX-512), not
// its gemm or reference fallbacks.
bool is_direct(const dnnl::primitive_desc_base& pd) {
  std::string impl = pd.impl_info_str();
  return impl.rfind("jit", 0) == 0 || impl.rfind("brg", 0) == 0;
}

// oneDNN 2.6's AVX2 direct convolution rejects some padded strided convolutions
// (AlexNet's first layer: 11x11, stride 4, pads 2) and falls back to a gemm path at
// less than half the speed. Padding the input explicitly (a cheap copy: these are
// first layers with few channels) brings the direct kernel back.
struct Padding {
  Shape shape;     // the padded input
  IndexMaps maps;  // padded index -> input index (-1: zero)
};

std::optional<Padding> explicit_padding(const Shape& x, DnnlWindow& win) {
  Padding p{x, IndexMaps(x.size())};
  for (size_t d = 0; d < x.size(); ++d) {
    int64_t before = d < 2 ? 0 : win.pad_l[d - 2], after = d < 2 ? 0 : win.pad_r[d - 2];
    p.shape[d] = x[d] + before + after;
    for (int64_t j = 0; j < p.shape[d]; ++j) p.maps[d].push_back(j - before >= 0 && j - before < x[d] ? j - before : -1);
  }
  if (p.shape == x) return std::nullopt;
  std::fill(win.pad_l.begin(), win.pad_l.end(), 0);
  std::fill(win.pad_r.begin(), win.pad_r.end(), 0);
  return p;
}

// The input copied into a zero-bordered buffer, in layout `md`.
TensorRef padded_input(SegmentCompiler& c, int value, const Padding& p, const memory::desc& md) {
  TensorRef src = c.plain(value);
  TensorRef padded = c.scratch(DType::f32, p.shape, plain_md(p.shape));
  static const float zero = 0.0f;
  Shape in = src.shape;
  IndexMaps maps = p.maps;
  const int tasks = c.tasks();
  c.push_kernel([=](const RunContext& ctx) {
    mapped_copy(ctx.ptr(src), in, maps, ctx.ptr(padded), sizeof(float), reinterpret_cast<const std::byte*>(&zero),
                ctx.pool, tasks);
  }, {src, padded});
  return is_plain(md) ? with_md(padded, md) : c.reorder(padded, md);
}

Shape dims_shape(const memory::dims& dims) { return Shape(dims.begin(), dims.end()); }

// Rows [first, last) of a constant (weights, bias) as a tensor of its own.
Tensor rows(const Tensor& t, int64_t first, int64_t last) {
  Shape shape = t.shape();
  int64_t row = t.numel() / shape[0];
  shape[0] = last - first;
  Tensor part(t.dtype(), shape);
  std::memcpy(part.raw(), t.data<float>() + first * row, part.nbytes());
  return part;
}

// Rows [first, last) of a batch-1 channels-last (1, C, H, W) tensor: a dense
// channels-last tensor of its own, C * W floats per row.
TensorRef rows_of(const TensorRef& t, const memory::desc& md, int64_t first, int64_t last) {
  Shape shape = dims_of(md);
  TensorRef part = t;
  part.offset += static_cast<size_t>(first * shape[1] * shape[3]) * sizeof(float);
  shape[2] = last - first;
  part.shape = shape;
  part.md = channels_last_md(shape);
  return part;
}

// A batch-1 channels-last 2-D convolution as parts of its output rows, each reading
// the input rows under its windows with its own top and bottom padding; every part
// uses all weights. Nullopt when a part's primitive is not a direct kernel.
std::optional<std::vector<SegmentCompiler::Part>> row_parts_of(SegmentCompiler& c, const ConvSpec& s, size_t fused,
                                                                const ConvPd& whole, const memory::dims& weights,
                                                                const TensorRef& src, const TensorRef& dst) {
  memory::desc src_md = whole.src_desc(), dst_md = whole.dst_desc();
  std::vector<RowPart> split = row_parts(dims_of(dst_md)[2], c.tasks());
  if (split.size() < 2) return std::nullopt;
  const DnnlWindow& w = s.window;
  int64_t extent = (w.kernel[0] - 1) * (w.dilates[0] + 1) + 1;
  std::vector<SegmentCompiler::Part> parts;
  for (const RowPart& p : split) {
    RowWindow rows = row_window(p, extent, w.strides[0], w.pad_l[0], dims_of(src_md)[2]);
    ConvSpec part_spec = s;
    part_spec.window.pad_l[0] = rows.pad_top;
    part_spec.window.pad_r[0] = rows.pad_bottom;
    TensorRef part_src = rows_of(src, src_md, rows.first, rows.last), part_dst = rows_of(dst, dst_md, p.first, p.last);
    try {
      parts.push_back({conv_pd(c, part_spec, fused, part_src.md, weights, part_dst.md),
                       {{DNNL_ARG_SRC, part_src}, {DNNL_ARG_DST, part_dst}}});
    } catch (const dnnl::error&) {
      return std::nullopt;
    }
    if (!is_direct(parts.back().pd)) return std::nullopt;
  }
  return parts;
}

// Weights (and bias) for every part, prepared once per distinct slice and layout.
void add_weights(SegmentCompiler& c, std::vector<SegmentCompiler::Part>& parts, const std::vector<ConvPart>& split,
                 const std::vector<memory::dims>& part_weights, const Tensor& w, const Value* b) {
  std::optional<TensorRef> weights, bias;  // of the previous part, shared by batch and row parts
  for (size_t i = 0; i < parts.size(); ++i) {
    const ConvPart& p = split[i];
    memory::desc weights_md = parts[i].pd.query_md(dnnl::query::weights_md);
    if (!weights || p.oc0 != split[i - 1].oc0 || p.oc1 != split[i - 1].oc1 || weights->md != weights_md) {
      weights = c.prepare(rows(w, p.oc0, p.oc1), plain_md(dims_shape(part_weights[i])), weights_md);
      if (b) bias = c.constant(rows(*b->data, p.oc0, p.oc1));
    }
    parts[i].args.emplace_back(DNNL_ARG_WEIGHTS, *weights);
    if (b) parts[i].args.emplace_back(DNNL_ARG_BIAS, *bias);
  }
}

// The convolution as parallel parts: each with its slice of source, weights, bias
// and destination. Nullopt when a part's primitive cannot be made in the same layouts.
std::optional<std::vector<SegmentCompiler::Part>> parts_of(SegmentCompiler& c, const ConvSpec& s, size_t fused,
                                                            const ConvPd& whole, const memory::dims& w_dims,
                                                            const Tensor& w, const Value* b, const TensorRef& src,
                                                            const TensorRef& dst) {
  memory::desc src_md = whole.src_desc(), dst_md = whole.dst_desc();
  Shape x = dims_of(src_md), y = dims_of(dst_md);
  if (x.size() == 4 && x[0] == 1 && is_channels_last(src_md) && is_channels_last(dst_md)) {
    auto parts = row_parts_of(c, s, fused, whole, w_dims, src, dst);
    if (parts) add_weights(c, *parts, std::vector<ConvPart>(parts->size(), {0, 1, 0, y[1], 0, x[1]}),
                           std::vector<memory::dims>(parts->size(), w_dims), w, b);
    return parts;
  }
  std::vector<ConvPart> split = conv_parts(x, y, s.group, c.tasks());
  if (split.size() < 2 || !same_layout(src_md, x) || !same_layout(dst_md, y)) return std::nullopt;
  std::vector<SegmentCompiler::Part> parts;
  std::vector<memory::dims> part_weights;
  for (const ConvPart& p : split) {
    TensorRef part_src = layout_slice(src, src_md, p.n0, p.n1, p.ic0, p.ic1),
              part_dst = layout_slice(dst, dst_md, p.n0, p.n1, p.oc0, p.oc1);
    Shape w_shape = w.shape();
    w_shape[0] = p.oc1 - p.oc0;
    part_weights.push_back(weight_dims(w_shape, s.group == 1 ? 1 : w_shape[0] / (y[1] / s.group)));
    try {
      parts.push_back({conv_pd(c, s, fused, part_src.md, part_weights.back(), part_dst.md),
                       {{DNNL_ARG_SRC, part_src}, {DNNL_ARG_DST, part_dst}}});
    } catch (const dnnl::error&) {
      return std::nullopt;
    }
    if (!is_direct(parts.back().pd)) return std::nullopt;
  }
  add_weights(c, parts, split, part_weights, w, b);
  return parts;
}

// `pd` remade to write straight into the channel slice of a Concat's channels-last
// output when `result` is an input of one and the same implementation takes the
// strided destination; else `pd`.
ConvPd into_concat_slice(SegmentCompiler& c, const ConvSpec& s, size_t fused, const ConvPd& pd,
                         const memory::dims& weights, int result) {
  std::optional<memory::desc> view = c.concat_view(result, pd.dst_desc());
  if (!view) return pd;
  try {
    ConvPd sliced = conv_pd(c, s, fused, pd.src_desc(), weights, *view);
    if (std::string(sliced.impl_info_str()) == pd.impl_info_str()) return sliced;
  } catch (const dnnl::error&) {
  }
  return pd;
}

}  // namespace

void lower_conv(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  const Value& w = *g.input(node, 1);
  const Value* b = g.input(node, 2);
  if (!w.is_constant() || (b && !b->is_constant())) return lower_reference(c, node);
  if (lower_winograd_conv(c, node) || lower_depthwise_conv(c, node)) return;
  const Value& y = g.output(node, 0);
  ConvSpec s;
  s.group = node.attrs.get_int("group", 1);
  s.window = dnnl_window(window_geometry(node, spatial_dims(x.shape), spatial_dims(w.shape), WindowOptions{}));
  s.bias = b != nullptr;
  s.own = eltwise_of(fused_activation(node));
  s.tail = fusable_tail(c, node.outputs[0], true);
  memory::dims w_dims = weight_dims(w.shape, s.group);
  memory::desc y_any = any_md(dnnl_dims(y.shape));
  ConvPd pd;
  size_t fused = create_with_tail(c, s.tail, [&](size_t n) { return conv_pd(c, s, n, any_md(dnnl_dims(x.shape)), w_dims, y_any); }, pd);
  ConvSpec padded_spec = s;
  std::optional<Padding> padding = is_direct(pd) ? std::nullopt : explicit_padding(x.shape, padded_spec.window);
  if (padding) {
    try {
      ConvPd padded_pd = conv_pd(c, padded_spec, fused, any_md(dnnl_dims(padding->shape)), w_dims, y_any);
      if (is_direct(padded_pd)) pd = padded_pd, s = padded_spec;
    } catch (const dnnl::error&) {
    }
    if (!is_direct(pd)) padding.reset();
  }
  const FusedTail* residual = nullptr;
  for (size_t i = 0; i < fused; ++i)
    if (s.tail[i].residual >= 0) residual = &s.tail[i];

  int result = tail_result(g, node.outputs[0], s.tail, fused);
  if (!residual) pd = into_concat_slice(c, s, fused, pd, w_dims, result);
  TensorRef src = padding ? padded_input(c, node.inputs[0], *padding, pd.src_desc()) : c.in_layout(node.inputs[0], pd.src_desc());
  TensorRef dst = result_destination(c, result, residual, pd.dst_desc());
  if (auto parts = parts_of(c, s, fused, pd, w_dims, *w.data, b, src, dst)) return c.push_parallel(*parts);
  std::vector<std::pair<int, TensorRef>> args{
      {DNNL_ARG_SRC, src},
      {DNNL_ARG_WEIGHTS, c.prepare(*w.data, plain_md(dims_shape(w_dims)), pd.weights_desc())},
      {DNNL_ARG_DST, dst}};
  if (b) args.emplace_back(DNNL_ARG_BIAS, with_md(c.input(node.inputs[2]), pd.bias_desc()));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
