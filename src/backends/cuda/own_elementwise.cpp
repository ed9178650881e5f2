// Lowerings of the elementwise ops onto the backend's own kernels: the activations
// (Relu, LeakyRelu, Clip, Sigmoid, Tanh), Add/Sub/Mul/Div with numpy broadcasting,
// n-ary Sum as a chain of Adds, and Cast. Float32 runs on the GPU (Cast: every dtype
// pair kernels::cast knows); other dtypes, Clip with bounds computed at run time and
// ranks above kernels::kMaxRank run the reference kernel on the host. A binary op or
// Sum whose result only feeds an activation applies that activation on the way out.
#include <algorithm>
#include <limits>
#include <optional>

#include "backends/cuda/activation_plan.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "ops/activation.h"
#include "ops/broadcast.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

bool fits_kernel_rank(const Shape& shape) { return shape.size() <= static_cast<size_t>(kernels::kMaxRank); }

kernels::BinaryOp binary_op(const std::string& op) {
  if (op == "Add") return kernels::BinaryOp::Add;
  if (op == "Sub") return kernels::BinaryOp::Sub;
  if (op == "Mul") return kernels::BinaryOp::Mul;
  return kernels::BinaryOp::Div;
}

// The graph index of `node` (a reference into graph.nodes).
int node_index(const Graph& graph, const Node& node) { return static_cast<int>(&node - graph.nodes.data()); }

// Whether `value` is still needed after node `index`: read by a later node or a
// segment output. (Picks the operand to try writing over; output_inplace decides.)
bool needed_later(const SegmentCompiler& c, int value, int index) {
  if (c.is_segment_output(value)) return true;
  for (int user : c.consumers(value))
    if (user > index) return true;
  return false;
}

// An operand the result may be written over.
struct Candidate {
  int value = kNoValue;
  DeviceTensor tensor;
};

// Whether writing over `target` could change what `reader` reads before it reads it:
// they share a buffer without being the very same elements (read and written by the
// same thread), or `reader` is read by a later step (`whole_step_later`).
bool clashes(const DeviceTensor& target, const DeviceTensor& reader, bool whole_step_later) {
  if (reader.buffer != target.buffer) return false;
  return whole_step_later || reader.offset != target.offset || reader.bytes() != target.bytes();
}

// Where the node's result goes: over the first candidate that has the result's size,
// is not needed after this node and clashes with nothing the node reads (`read_now`
// by its first step, `read_later` by later ones); else a fresh buffer.
// (output_inplace has the last word.)
DeviceTensor result_tensor(SegmentCompiler& c, const Node& node, int result, const std::vector<Candidate>& candidates,
                           const std::vector<DeviceTensor>& read_now, const std::vector<DeviceTensor>& read_later) {
  const int64_t size = num_elements(c.graph().value(result).shape);
  const int index = node_index(c.graph(), node);
  for (const Candidate& candidate : candidates) {
    if (candidate.tensor.numel() != size || needed_later(c, candidate.value, index)) continue;
    const DeviceTensor& target = candidate.tensor;
    const bool clash =
        std::any_of(read_now.begin(), read_now.end(), [&](const DeviceTensor& t) { return clashes(target, t, false); }) ||
        std::any_of(read_later.begin(), read_later.end(), [&](const DeviceTensor& t) { return clashes(target, t, true); });
    if (!clash) return c.output_inplace(result, target);
  }
  return c.output(result);
}

// Enqueues y = act(a op b), a and b broadcast to y's shape.
void push_binary(SegmentCompiler& c, const std::string& where, kernels::BinaryOp op, const DeviceTensor& a,
                 const DeviceTensor& b, const DeviceTensor& y, kernels::ActivationParams act) {
  const kernels::Dims out = kernel_dims(y.shape);
  const kernels::Dims a_strides = kernel_dims(broadcast_strides(a.shape, y.shape));
  const kernels::Dims b_strides = kernel_dims(broadcast_strides(b.shape, y.shape));
  c.push([=](const RunContext& ctx) {
    kernels::binary(op, ctx.data<float>(a), a_strides, ctx.data<float>(b), b_strides, ctx.data<float>(y), out, act,
                    ctx.stream);
    check_launch("kernels::binary", where);
  }, {a, b, y});
}

// The kernels' element type of a dtype; nullopt for dtypes kernels::cast lacks.
std::optional<kernels::ElementType> element_type(DType dtype) {
  switch (dtype) {
    case DType::f32: return kernels::ElementType::f32;
    case DType::f64: return kernels::ElementType::f64;
    case DType::i8: return kernels::ElementType::i8;
    case DType::u8: return kernels::ElementType::u8;
    case DType::i32: return kernels::ElementType::i32;
    case DType::i64: return kernels::ElementType::i64;
    case DType::boolean: return kernels::ElementType::boolean;
    default: return std::nullopt;
  }
}

}  // namespace

std::optional<kernels::ActivationParams> standalone_activation(const Node& node, const Graph& graph) {
  const std::optional<Activation> act = node_activation(graph, node);
  if (!act) return std::nullopt;
  return kernel_activation(*act);
}

kernels::ActivationParams fuse_tail_activation(SegmentCompiler& c, int& result) {
  const int next = c.sole_consumer(result);
  if (next < 0) return {};
  const Node& act_node = c.graph().nodes[static_cast<size_t>(next)];
  if (act_node.inputs[0] != result) return {};  // a Clip reading `result` as a bound
  const std::optional<kernels::ActivationParams> act = standalone_activation(act_node, c.graph());
  if (!act) return {};
  c.fuse(next);
  result = act_node.outputs[0];
  return *act;
}

void lower_activation(SegmentCompiler& c, const Node& node) {
  const std::optional<kernels::ActivationParams> act = standalone_activation(node, c.graph());
  if (!act) return lower_host_fallback(c, node);
  const DeviceTensor x = c.input(node.inputs[0]);
  const DeviceTensor y = c.output_inplace(node.outputs[0], x);
  const int64_t n = x.numel();
  const kernels::ActivationParams params = *act;
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    kernels::activation(ctx.data<float>(x), ctx.data<float>(y), n, params, ctx.stream);
    check_launch("kernels::activation", where);
  }, {x, y});
}

void lower_binary(SegmentCompiler& c, const Node& node) {
  const Value& out = c.graph().output(node, 0);
  if (out.dtype != DType::f32 || !fits_kernel_rank(out.shape)) return lower_host_fallback(c, node);
  const DeviceTensor a = c.input(node.inputs[0]);
  const DeviceTensor b = c.input(node.inputs[1]);
  int result = node.outputs[0];
  const kernels::ActivationParams act = fuse_tail_activation(c, result);
  const DeviceTensor y = result_tensor(c, node, result, {{node.inputs[0], a}, {node.inputs[1], b}}, {a, b}, {});
  push_binary(c, c.where(node), binary_op(node.op), a, b, y, act);
}

// Sum(x0, x1, ..., xn) = ((x0 + x1) + x2) + ... in the reference's order: the first
// Add writes the result, the others accumulate into it; the last applies the tail.
void lower_sum(SegmentCompiler& c, const Node& node) {
  const Value& out = c.graph().output(node, 0);
  if (node.inputs.size() == 1) return c.alias(node.outputs[0], c.input(node.inputs[0]));
  if (out.dtype != DType::f32 || !fits_kernel_rank(out.shape)) return lower_host_fallback(c, node);
  std::vector<DeviceTensor> terms;
  for (int in : node.inputs) terms.push_back(c.input(in));
  int result = node.outputs[0];
  const kernels::ActivationParams tail = fuse_tail_activation(c, result);
  const std::vector<DeviceTensor> read_later(terms.begin() + 2, terms.end());
  const DeviceTensor y = result_tensor(c, node, result, {{node.inputs[0], terms[0]}, {node.inputs[1], terms[1]}},
                                       {terms[0], terms[1]}, read_later);
  const std::string where = c.where(node);
  for (size_t k = 1; k < terms.size(); ++k) {
    const kernels::ActivationParams act = k + 1 == terms.size() ? tail : kernels::ActivationParams{};
    push_binary(c, where, kernels::BinaryOp::Add, k == 1 ? terms[0] : y, terms[k], y, act);
  }
}

void lower_cast(SegmentCompiler& c, const Node& node) {
  const DeviceTensor x = c.input(node.inputs[0]);
  const DType to_dtype = c.graph().output(node, 0).dtype;
  const std::optional<kernels::ElementType> from = element_type(x.dtype), to = element_type(to_dtype);
  if (!from || !to) return lower_host_fallback(c, node);
  if (x.dtype == to_dtype) return c.alias(node.outputs[0], x);
  const DeviceTensor y = c.output(node.outputs[0]);
  const int64_t n = x.numel();
  const kernels::ElementType from_type = *from, to_type = *to;
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    kernels::cast(ctx.ptr(x), from_type, ctx.ptr(y), to_type, n, ctx.stream);
    check_launch("kernels::cast", where);
  }, {x, y});
}

}  // namespace tandem::cuda
