// ReduceMean, ReduceSum and ReduceMax (float32): reduce over `axes` (attribute before
// opset 18, constant input from 18; absent = all axes unless noop_with_empty_axes),
// keeping reduced dims as 1 when keepdims (default 1). torchvision's ShuffleNetV2
// ends with x.mean([2, 3]), exported as ReduceMean.
#include <algorithm>
#include <limits>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

enum class Reduction { Mean, Sum, Max };

std::vector<int64_t> axes_param(const Node& node, const Graph& graph) {
  if (node.attrs.has("axes")) return ints_attr(node, "axes");
  return constant_ints(node, graph, 1).value_or(std::vector<int64_t>{});
}

// Which dims are reduced: mask[d] is true for a reduced dim d.
std::vector<bool> reduced_mask(const Node& node, const std::vector<int64_t>& axes, size_t rank) {
  if (axes.empty()) return std::vector<bool>(rank, int_attr(node, "noop_with_empty_axes", 0) == 0);
  std::vector<bool> mask(rank, false);
  for (size_t axis : normalize_axes(node, axes, rank)) mask[axis] = true;
  return mask;
}

Shape reduced_shape(const Shape& in, const std::vector<bool>& mask, bool keepdims) {
  Shape out;
  for (size_t d = 0; d < in.size(); ++d)
    if (!mask[d]) out.push_back(in[d]);
    else if (keepdims) out.push_back(1);
  return out;
}

void infer_reduce(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 2);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  std::vector<bool> mask = reduced_mask(node, axes_param(node, graph), x.shape.size());
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (mask[d] && x.shape[d] == 0) fail_node(ErrorKind::InvalidModel, node, "cannot reduce an empty axis");
  set_output(node, graph, 0, DType::f32, reduced_shape(x.shape, mask, int_attr(node, "keepdims", 1) != 0));
}

template <Reduction kind>
void reduce(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  std::vector<int64_t> axes = node.attrs.has("axes") ? ints_attr(node, "axes") : tensor_ints(inputs, 1).value_or(std::vector<int64_t>{});
  std::vector<bool> mask = reduced_mask(node, axes, x.rank());
  // Each input element maps to the output element whose reduced coordinates are 0.
  std::vector<int64_t> out_strides(x.rank(), 0);
  int64_t stride = 1, count = 1;
  for (size_t d = x.rank(); d-- > 0;) {
    if (mask[d]) { count *= x.dim(d); continue; }
    out_strides[d] = stride;
    stride *= x.dim(d);
  }
  std::vector<double> acc(static_cast<size_t>(outputs[0].numel()),
                          kind == Reduction::Max ? -std::numeric_limits<double>::infinity() : 0.0);
  std::vector<int64_t> index(x.rank(), 0);
  const float* in = x.data<float>();
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t o = 0;
    for (size_t d = 0; d < x.rank(); ++d) o += index[d] * out_strides[d];
    double& a = acc[static_cast<size_t>(o)];
    a = kind == Reduction::Max ? std::max(a, double(in[i])) : a + in[i];
    for (size_t d = x.rank(); d-- > 0;)
      if (++index[d] < x.dim(d)) break; else index[d] = 0;
  }
  float* out = outputs[0].data<float>();
  for (size_t o = 0; o < acc.size(); ++o)
    out[o] = static_cast<float>(kind == Reduction::Mean ? acc[o] / double(count) : acc[o]);
}

const OpDef kReduceMeanOp{"ReduceMean", 1, infer_reduce, reduce<Reduction::Mean>, nullptr};
const OpDef kReduceSumOp{"ReduceSum", 1, infer_reduce, reduce<Reduction::Sum>, nullptr};
const OpDef kReduceMaxOp{"ReduceMax", 1, infer_reduce, reduce<Reduction::Max>, nullptr};

}  // namespace

void append_reduce_ops(std::vector<const OpDef*>& defs) {
  defs.insert(defs.end(), {&kReduceMeanOp, &kReduceSumOp, &kReduceMaxOp});
}

}  // namespace tandem
