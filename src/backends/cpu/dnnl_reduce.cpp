// ReduceMean, ReduceSum and ReduceMax (f32) on oneDNN reduction, reading the input in
// the layout it is held in; the result (reduced dims kept as 1) is reshaped when
// keepdims is 0. Axes from a computed input run the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

dnnl::algorithm reduce_algorithm(const std::string& op) {
  if (op == "ReduceMax") return dnnl::algorithm::reduction_max;
  if (op == "ReduceSum") return dnnl::algorithm::reduction_sum;
  return dnnl::algorithm::reduction_mean;
}

// x's shape with every reduced dim set to 1; nullopt when the axes are not known here.
std::optional<Shape> kept_shape(const Node& node, const Graph& g, const Shape& x) {
  std::vector<int64_t> axes = node.attrs.get_ints("axes");
  if (const Value* input = g.input(node, 1)) {
    if (!input->is_constant()) return std::nullopt;
    axes = input->data->to_int64s();
  }
  Shape kept = x;
  auto rank = static_cast<int64_t>(x.size());
  if (axes.empty() && node.attrs.get_int("noop_with_empty_axes", 0) == 0)
    for (int64_t d = 0; d < rank; ++d) axes.push_back(d);
  for (int64_t axis : axes) kept[static_cast<size_t>(axis < 0 ? axis + rank : axis)] = 1;
  return kept;
}

}  // namespace

void lower_reduce(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  std::optional<Shape> kept = kept_shape(node, g, x.shape);
  if (!kept || x.dtype != DType::f32 || x.shape.empty() || x.shape.size() > DNNL_MAX_NDIMS) return lower_reference(c, node);
  if (*kept == x.shape) return c.alias(node.outputs[0], c.input(node.inputs[0]));  // nothing reduced
  auto make = [&](const memory::desc& src_md) {
    dnnl::reduction::desc desc(reduce_algorithm(node.op), src_md, any_md(dnnl_dims(*kept)), 0.0f, 0.0f);
    return dnnl::reduction::primitive_desc(desc, base_attr(), c.engine());
  };
  // oneDNN 2.6 reduces blocked layouts only with its slow generic kernel: go plain then.
  TensorRef src = c.input(node.inputs[0]);
  dnnl::reduction::primitive_desc pd;
  try {
    pd = make(src.md);
  } catch (const dnnl::error&) {
  }
  if (!pd || (!src.plain && is_reference_impl(pd))) {
    src = c.plain(node.inputs[0]);
    pd = make(src.md);
  }
  TensorRef result = c.scratch(DType::f32, *kept, pd.dst_desc());
  c.push(pd, {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, result}});
  c.alias(node.outputs[0], result.plain ? result : c.reorder(result, plain_md(*kept)));
}

}  // namespace tandem::cpu
