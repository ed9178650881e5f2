// Add/Sub/Mul/Div with broadcasting on oneDNN binary (src0 must have the output's
// shape; src1 may broadcast), followed activations fused as post-ops; Sum of
// same-shape inputs on oneDNN sum. Same-shape operands in one layout are split into
// flat ranges across the device's threads. Integer dtypes and both-sides broadcasting
// run the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

dnnl::algorithm binary_algorithm(const std::string& op) {
  if (op == "Add") return dnnl::algorithm::binary_add;
  if (op == "Sub") return dnnl::algorithm::binary_sub;
  if (op == "Mul") return dnnl::algorithm::binary_mul;
  return dnnl::algorithm::binary_div;
}

// The operands in oneDNN's order: src0 with the output's shape, src1 broadcasting.
// Sub with swapped operands is negated afterwards.
struct BinaryOperands {
  int src0 = -1, src1 = -1;
  bool negate = false;
};

std::optional<BinaryOperands> order_operands(const Node& node, const Graph& g) {
  const Shape& out = g.output(node, 0).shape;
  const Shape a = pad_rank(g.value(node.inputs[0]).shape, out.size());
  const Shape b = pad_rank(g.value(node.inputs[1]).shape, out.size());
  if (a == out) return BinaryOperands{node.inputs[0], node.inputs[1], false};
  if (b != out || node.op == "Div") return std::nullopt;
  return BinaryOperands{node.inputs[1], node.inputs[0], node.op == "Sub"};
}

// src0 as held when its rank is the output's, else a plain rank-padded view.
TensorRef first_operand(SegmentCompiler& c, int value, const Shape& out) {
  TensorRef t = c.input(value);
  if (t.shape.size() == out.size()) return t;
  return with_md(c.plain(value), plain_md(out));
}

}  // namespace

void lower_binary(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& y = g.output(node, 0);
  std::optional<BinaryOperands> ops = y.dtype == DType::f32 ? order_operands(node, g) : std::nullopt;
  if (!ops) return lower_reference(c, node);
  TensorRef src0 = first_operand(c, ops->src0, y.shape);
  Shape src1_shape = pad_rank(g.value(ops->src1).shape, y.shape.size());
  TensorRef src1 = src1_shape == y.shape ? c.in_layout(ops->src1, src0.md)
                                         : with_md(c.plain(ops->src1), plain_md(src1_shape));
  std::optional<Eltwise> negate;
  if (ops->negate) negate = Eltwise{dnnl::algorithm::eltwise_linear, -1.0f, 0.0f};
  std::vector<FusedTail> tail = fusable_tail(c, node.outputs[0], false);
  auto make_for = [&](const memory::desc& a, const memory::desc& b, size_t count) {
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(make_post_ops(negate, tail, count));
    dnnl::binary::desc desc(binary_algorithm(node.op), a, b, a);
    return dnnl::binary::primitive_desc(desc, attr, c.engine());
  };
  dnnl::binary::primitive_desc pd;
  size_t fused = create_with_tail(c, tail, [&](size_t count) { return make_for(src0.md, src1.md, count); }, pd);
  int result = tail_result(g, node.outputs[0], tail, fused);
  TensorRef dst = with_md(src0.shape == y.shape ? c.output_inplace(result, src0) : c.output(result, src0.md), src0.md);
  // Same-shape operands in one layout: element-wise, so flat ranges across the threads.
  std::vector<TensorRef> a = flat_ranges(src0, c.tasks()), b, d;
  if (src1_shape == y.shape && src1.md == src0.md) b = flat_ranges(src1, c.tasks()), d = flat_ranges(dst, c.tasks());
  if (a.size() < 2 || b.size() != a.size() || d.size() != a.size())
    return c.push(pd, {{DNNL_ARG_SRC_0, src0}, {DNNL_ARG_SRC_1, src1}, {DNNL_ARG_DST, dst}});
  std::vector<SegmentCompiler::Part> parts;
  for (size_t i = 0; i < a.size(); ++i)
    parts.push_back({make_for(a[i].md, b[i].md, fused),
                     {{DNNL_ARG_SRC_0, a[i]}, {DNNL_ARG_SRC_1, b[i]}, {DNNL_ARG_DST, d[i]}}});
  c.push_parallel(parts);
}

void lower_sum(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& y = g.output(node, 0);
  bool same_shapes = y.dtype == DType::f32;
  for (int in : node.inputs) same_shapes = same_shapes && g.value(in).shape == y.shape;
  if (!same_shapes) return lower_reference(c, node);
  if (node.inputs.size() == 1) return c.alias(node.outputs[0], c.input(node.inputs[0]));
  std::vector<TensorRef> srcs;
  std::vector<memory::desc> mds;
  for (int in : node.inputs) srcs.push_back(c.in_layout(in, c.input(node.inputs[0]).md));
  for (const TensorRef& s : srcs) mds.push_back(s.md);
  std::vector<float> scales(srcs.size(), 1.0f);
  dnnl::sum::primitive_desc pd(srcs[0].md, scales, mds, c.engine(), base_attr());
  std::vector<std::pair<int, TensorRef>> args;
  for (size_t i = 0; i < srcs.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
  args.emplace_back(DNNL_ARG_DST, c.output(node.outputs[0], pd.dst_desc()));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
