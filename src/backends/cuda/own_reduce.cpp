// Lowerings of the reductions onto the backend's own kernels: GlobalAveragePool and
// GlobalMaxPool (each (n, c) plane reduced to one value) and ReduceMean, ReduceSum,
// ReduceMax over constant axes (attribute before opset 18, constant input from 18).
// Axes computed at run time and ranks above kernels::kMaxRank run the reference
// kernel on the host; a sum or mean that reduces nothing (noop_with_empty_axes, or
// only size-1 axes) is the input under the output's shape.
#include <optional>

#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "ops/tensor_util.h"

namespace tandem::cuda {
namespace {

// The axes parameter of a Reduce node; nullopt when it is an input not known until
// run time. Empty: none given.
std::optional<std::vector<int64_t>> reduce_axes(const Node& node, const Graph& graph) {
  if (node.attrs.has("axes")) return ints_attr(node, "axes");
  const Value* axes = graph.input(node, 1);
  if (!axes) return std::vector<int64_t>{};
  if (!axes->is_constant()) return std::nullopt;
  return axes->data->to_int64s();
}

// Bit d set for every reduced dim d of a rank-`rank` input, as ONNX defines them:
// the listed axes; none given: all, or none under noop_with_empty_axes.
uint32_t reduced_axes_mask(const Node& node, const std::vector<int64_t>& axes, size_t rank) {
  uint32_t mask = 0;
  if (axes.empty()) {
    if (int_attr(node, "noop_with_empty_axes", 0) != 0) return 0;
    for (size_t d = 0; d < rank; ++d) mask |= 1u << d;
    return mask;
  }
  for (size_t axis : normalize_axes(node, axes, rank)) mask |= 1u << axis;
  return mask;
}

// Elements reduced into each output element.
int64_t reduced_count(const Shape& x, uint32_t mask) {
  int64_t count = 1;
  for (size_t d = 0; d < x.size(); ++d)
    if ((mask >> d) & 1u) count *= x[d];
  return count;
}

kernels::ReduceKind reduce_kind(const std::string& op) {
  if (op == "ReduceSum") return kernels::ReduceKind::Sum;
  if (op == "ReduceMax") return kernels::ReduceKind::Max;
  return kernels::ReduceKind::Mean;
}

}  // namespace

void lower_global_pool(SegmentCompiler& c, const Node& node) {
  const DeviceTensor x = c.input(node.inputs[0]);  // (N, C, D1..Dk)
  const DeviceTensor y = c.output(node.outputs[0]);  // (N, C, 1..1)
  const int64_t rows = x.shape[0] * x.shape[1];
  const int64_t cols = rows == 0 ? 0 : x.numel() / rows;
  const kernels::PoolKind kind = node.op == "GlobalMaxPool" ? kernels::PoolKind::Max : kernels::PoolKind::Average;
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    kernels::global_pool(kind, ctx.data<float>(x), ctx.data<float>(y), rows, cols, ctx.stream);
    check_launch("kernels::global_pool", where);
  }, {x, y});
}

void lower_reduce(SegmentCompiler& c, const Node& node) {
  const Value& input = *c.graph().input(node, 0);
  const std::optional<std::vector<int64_t>> axes = reduce_axes(node, c.graph());
  if (!axes || input.dtype != DType::f32 || input.shape.size() > static_cast<size_t>(kernels::kMaxRank))
    return lower_host_fallback(c, node);
  const uint32_t mask = reduced_axes_mask(node, *axes, input.shape.size());
  const DeviceTensor x = c.input(node.inputs[0]);
  const kernels::ReduceKind kind = reduce_kind(node.op);
  // A sum or mean of one element is that element; the max of one still runs, since
  // the reference's max (from -infinity, skipping NaN) turns a lone NaN into -inf.
  if (reduced_count(x.shape, mask) == 1 && kind != kernels::ReduceKind::Max) return c.alias(node.outputs[0], x);
  const DeviceTensor y = c.output(node.outputs[0]);
  const kernels::Dims shape = kernel_dims(x.shape);
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    kernels::reduce(kind, ctx.data<float>(x), shape, mask, ctx.data<float>(y), ctx.stream);
    check_launch("kernels::reduce", where);
  }, {x, y});
}

}  // namespace tandem::cuda
