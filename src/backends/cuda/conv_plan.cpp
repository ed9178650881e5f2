// The geometry and epilogue planned for Conv nodes (see conv_plan.h).
#include "backends/cuda/conv_plan.h"

#include <algorithm>
#include <limits>

#include "backends/cuda/activation_plan.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/segment_compiler.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

// Appends one spatial dim: input size, kernel size, output size, pads before and
// after, stride and dilation (pads, stride and dilation within int).
void add_spatial_dim(ConvGeometry& g, int64_t input, int64_t kernel, int64_t output, int64_t pad_before,
                     int64_t pad_after, int64_t stride, int64_t dilation) {
  int64_t shared = std::min(pad_before, pad_after);
  g.source.push_back(input);
  g.x.push_back(input + (pad_before - shared) + (pad_after - shared));
  g.pad_begin.push_back(pad_before - shared);
  g.w.push_back(kernel);
  g.y.push_back(output);
  g.pads.push_back(static_cast<int>(shared));
  g.strides.push_back(static_cast<int>(stride));
  g.dilations.push_back(static_cast<int>(dilation));
}

bool all_fit_int(const Shape& values) {
  for (int64_t v : values)
    if (!fits_int(v)) return false;
  return true;
}

// The Add `add`'s operand other than `value` when it can be fused as a residual: same
// shape and dtype as `value` and the Add's output (no broadcasting), already computed.
int residual_operand(const SegmentCompiler& c, const Node& add, int value) {
  const Graph& graph = c.graph();
  if (add.op != "Add" || add.inputs.size() != 2 || add.outputs.size() != 1 || add.inputs[0] == add.inputs[1])
    return kNoValue;
  int other = add.inputs[0] == value ? add.inputs[1] : add.inputs[0];
  if (other == kNoValue) return kNoValue;
  const Value& r = graph.value(other);
  const Shape& shape = graph.value(value).shape;
  if (r.dtype != DType::f32 || r.shape != shape || graph.output(add, 0).shape != shape) return kNoValue;
  return c.is_defined(other) ? other : kNoValue;
}

}  // namespace

std::optional<ConvGeometry> conv_geometry(const Node& node, const Shape& x, const Shape& w, const Shape& y) {
  WindowGeometry win = window_geometry(node, spatial_dims(x), spatial_dims(w), WindowOptions{});
  ConvGeometry g;
  g.source = {x[0], x[1]};
  g.x = g.source;
  g.pad_begin = {0, 0};
  g.w = {w[0], w[1]};
  g.y = {y[0], y[1]};
  if (win.rank() == 1) add_spatial_dim(g, 1, 1, 1, 0, 0, 1, 1);
  for (size_t d = 0; d < win.rank(); ++d) {
    if (!all_fit_int({win.pads_begin[d], win.pads_end[d], win.strides[d], win.dilations[d]})) return std::nullopt;
    add_spatial_dim(g, win.input[d], win.kernel[d], win.output[d], win.pads_begin[d], win.pads_end[d],
                    win.strides[d], win.dilations[d]);
  }
  int64_t group = int_attr(node, "group", 1);
  if (!fits_int(group) || !fits_cudnn(g.source) || !fits_cudnn(g.x) || !fits_cudnn(g.w) || !fits_cudnn(g.y))
    return std::nullopt;
  g.group = static_cast<int>(group);
  return g;
}

ConvEpilogue conv_epilogue(const SegmentCompiler& c, const Node& node) {
  const Graph& graph = c.graph();
  ConvEpilogue e;
  e.bias = graph.input(node, 2) != nullptr;
  e.activation = fused_activation(node);
  e.result = node.outputs[0];
  if (e.activation.kind != ActivationKind::None) return e;
  int add_index = c.sole_consumer(e.result);
  if (add_index < 0) return e;
  const Node& add = graph.nodes[static_cast<size_t>(add_index)];
  e.residual = residual_operand(c, add, e.result);
  if (e.residual == kNoValue) return e;
  e.fused.push_back(add_index);
  e.result = add.outputs[0];
  int act_index = c.sole_consumer(e.result);
  if (act_index < 0) return e;
  const Node& act = graph.nodes[static_cast<size_t>(act_index)];
  std::optional<Activation> tail = node_activation(graph, act);
  if (!tail || act.inputs[0] != e.result) return e;
  e.fused.push_back(act_index);
  e.activation = *tail;
  e.result = act.outputs[0];
  return e;
}

}  // namespace tandem::cuda
