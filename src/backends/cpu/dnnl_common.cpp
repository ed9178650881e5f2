// Attributes, activation mapping and post-op fusion shared by the oneDNN lowerings.
#include "backends/cpu/dnnl_common.h"

#include <cstdlib>
#include <limits>
#include <string>

#include "tandem/error.h"

namespace tandem::cpu {

dnnl::primitive_attr base_attr() {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  return attr;
}

TensorRef layout_slice(const TensorRef& t, const memory::desc& md, int64_t n0, int64_t n1, int64_t c0, int64_t c1) {
  Shape whole = dims_of(md);
  Shape shape = whole;
  shape[0] = n1 - n0;
  shape[1] = c1 - c0;
  int64_t plane = num_elements(Shape(whole.begin() + 2, whole.end()));
  TensorRef part = t;
  part.offset += static_cast<size_t>(n0) * (md.get_size() / static_cast<size_t>(whole[0])) +
                 static_cast<size_t>(c0 * plane) * sizeof(float);
  part.shape = shape;
  part.md = *same_layout(md, shape);
  return part;
}

std::vector<TensorRef> flat_ranges(const TensorRef& t, int parts) {
  constexpr int64_t kLine = 16;  // floats per cache line
  const int64_t count = num_elements(t.shape);
  if (!dense_layout(t.md) || t.md.data_type() != memory::data_type::f32 ||
      t.md.get_size() != static_cast<size_t>(count) * sizeof(float))
    return {};
  const int64_t lines = (count + kLine - 1) / kLine, pieces = std::min<int64_t>(parts, lines);
  std::vector<TensorRef> ranges;
  for (int64_t p = 0; p < pieces; ++p) {
    const int64_t first = lines * p / pieces * kLine, last = std::min(count, lines * (p + 1) / pieces * kLine);
    TensorRef range = t;
    range.offset += static_cast<size_t>(first) * sizeof(float);
    range.shape = {last - first};
    range.md = plain_md(range.shape);
    range.plain = true;
    ranges.push_back(range);
  }
  return ranges;
}

std::optional<Eltwise> eltwise_of(const Activation& act) {
  using dnnl::algorithm;
  switch (act.kind) {
    case ActivationKind::None: return std::nullopt;
    case ActivationKind::Relu: return Eltwise{algorithm::eltwise_relu, 0, 0};
    case ActivationKind::LeakyRelu: return Eltwise{algorithm::eltwise_relu, act.alpha, 0};
    case ActivationKind::Clip: return Eltwise{algorithm::eltwise_clip, act.alpha, act.beta};
    case ActivationKind::Sigmoid: return Eltwise{algorithm::eltwise_logistic, 0, 0};
    case ActivationKind::Tanh: return Eltwise{algorithm::eltwise_tanh, 0, 0};
  }
  return std::nullopt;
}

// Clip's bound input i as a float: +-infinity when absent, nullopt when not constant.
static std::optional<float> clip_bound(const Node& node, const Graph& graph, size_t i, float absent) {
  const Value* bound = graph.input(node, i);
  if (!bound) return absent;
  if (!bound->is_constant() || bound->data->numel() != 1) return std::nullopt;
  return bound->data->to_floats()[0];
}

std::optional<Eltwise> eltwise_of_node(const Node& node, const Graph& graph) {
  std::optional<ActivationKind> kind = activation_kind(node.op);
  if (!kind || node.inputs.empty() || graph.value(node.inputs[0]).dtype != DType::f32) return std::nullopt;
  Activation act{*kind, 0, 0};
  if (act.kind == ActivationKind::LeakyRelu) act.alpha = node.attrs.get_float("alpha", 0.01f);
  if (act.kind == ActivationKind::Clip) {
    constexpr float inf = std::numeric_limits<float>::infinity();
    auto low = clip_bound(node, graph, 1, node.attrs.get_float("min", -inf));
    auto high = clip_bound(node, graph, 2, node.attrs.get_float("max", inf));
    if (!low || !high) return std::nullopt;
    act.alpha = *low;
    act.beta = *high;
  }
  return eltwise_of(act);
}

// The Add `add` reading `value` as a residual sum: its other operand, or -1.
static int residual_operand(SegmentCompiler& c, int add_index, int value) {
  const Graph& g = c.graph();
  const Node& add = g.nodes[static_cast<size_t>(add_index)];
  if (add.op != "Add" || add.inputs.size() != 2 || add.inputs[0] == add.inputs[1]) return -1;
  int other = add.inputs[0] == value ? add.inputs[1] : add.inputs[0];
  const Value& r = g.value(other);
  if (r.dtype != DType::f32 || r.shape != g.value(value).shape || g.output(add, 0).shape != r.shape) return -1;
  if (!c.is_defined(other)) return -1;
  return c.dead_from(c.input(other), c.position(), add_index) ? other : -1;
}

std::vector<FusedTail> fusable_tail(SegmentCompiler& c, int value, bool allow_sum) {
  const Graph& g = c.graph();
  std::vector<FusedTail> tail;
  for (int current = value;;) {
    int next = c.sole_consumer(current);
    if (next < 0) break;
    const Node& node = g.nodes[static_cast<size_t>(next)];
    FusedTail step{next, eltwise_of_node(node, g), -1};
    if (!step.eltwise) {
      if (!allow_sum) break;
      step.residual = residual_operand(c, next, current);
      if (step.residual < 0) break;
      allow_sum = false;
    }
    tail.push_back(step);
    current = node.outputs[0];
  }
  return tail;
}

int tail_result(const Graph& graph, int value, const std::vector<FusedTail>& tail, size_t count) {
  return count == 0 ? value : graph.nodes[static_cast<size_t>(tail[count - 1].node)].outputs[0];
}

dnnl::post_ops make_post_ops(const std::optional<Eltwise>& own, const std::vector<FusedTail>& tail, size_t count,
                             dnnl::post_ops ops) {
  if (own) ops.append_eltwise(1.0f, own->algorithm, own->alpha, own->beta);
  for (size_t i = 0; i < count; ++i) {
    if (tail[i].eltwise)
      ops.append_eltwise(1.0f, tail[i].eltwise->algorithm, tail[i].eltwise->alpha, tail[i].eltwise->beta);
    else
      ops.append_sum(1.0f);
  }
  return ops;
}

DnnlWindow dnnl_window(const WindowGeometry& g) {
  DnnlWindow w;
  for (size_t d = 0; d < g.rank(); ++d) {
    int64_t extent = (g.kernel[d] - 1) * g.dilations[d] + 1;
    int64_t right = g.pads_end[d];
    if ((g.input[d] + g.pads_begin[d] + right - extent) / g.strides[d] + 1 != g.output[d])
      right = (g.output[d] - 1) * g.strides[d] + extent - g.input[d] - g.pads_begin[d];
    w.strides.push_back(g.strides[d]);
    w.kernel.push_back(g.kernel[d]);
    w.dilates.push_back(g.dilations[d] - 1);
    w.pad_l.push_back(g.pads_begin[d]);
    w.pad_r.push_back(right);
  }
  return w;
}

bool is_reference_impl(const dnnl::primitive_desc_base& pd) {
  return std::string(pd.impl_info_str()).rfind("ref", 0) == 0;
}

// Where the result goes: the residual's buffer (sum post-op) or a fresh output.
TensorRef result_destination(SegmentCompiler& c, int result, const FusedTail* residual_tail,
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

TensorRef with_md(TensorRef t, const memory::desc& md) {
  t.md = md;
  return t;
}

memory::desc any_md(const memory::dims& dims) {
  return memory::desc(dims, memory::data_type::f32, memory::format_tag::any);
}

bool convs_prefer_channels_last(const dnnl::engine& engine) {
  static const bool preferred = [&] {
    memory::dims x{1, 64, 56, 56}, w{64, 64, 3, 3}, pad{1, 1};
    dnnl::convolution_forward::desc desc(dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
                                         any_md(x), any_md(w), any_md(x), {1, 1}, pad, pad);
    return is_channels_last(dnnl::convolution_forward::primitive_desc(desc, engine).src_desc());
  }();
  return preferred;
}

namespace {

// TANDEM_CPU_VECTOR_LAYOUT (blocked8 or channels-last) overrides the convolutions'
// preference, to compare the two layouts or test the one this machine would not pick.
bool prefer_channels_last(const dnnl::engine& engine) {
  const char* set = std::getenv("TANDEM_CPU_VECTOR_LAYOUT");
  if (!set || !*set) return convs_prefer_channels_last(engine);
  std::string layout(set);
  if (layout == "channels-last") return true;
  if (layout == "blocked8") return false;
  fail(ErrorKind::InvalidInput, "TANDEM_CPU_VECTOR_LAYOUT is '" + layout + "'; expected blocked8 or channels-last");
}

}  // namespace

memory::desc vector_layout(SegmentCompiler& c, int value) {
  const Shape& shape = c.graph().value(value).shape;
  const memory::desc& held = c.input(value).md;
  if (is_channels_last(held)) return held;
  if (held == blocked8_md(shape)) return held;
  return prefer_channels_last(c.engine()) ? channels_last_md(shape) : blocked8_md(shape);
}

}  // namespace tandem::cpu
