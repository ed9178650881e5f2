// Pad on cuda for every dtype: constant, reflect and edge modes with constant pads
// (and opset-18 axes), negative pads cropping, through kernels::pad. The host
// fallback takes wrap mode, pads, axes or a constant_value computed at run time, and
// inputs with more than kernels::kMaxRank axes left after merging unpadded ones.
#include <cstring>
#include <optional>
#include <string>

#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "backends/cuda/strides.h"
#include "ops/nn_util.h"

namespace tandem::cuda {
namespace {

std::optional<kernels::PadMode> kernel_mode(const std::string& mode) {
  if (mode == "constant") return kernels::PadMode::Constant;
  if (mode == "reflect") return kernels::PadMode::Reflect;
  if (mode == "edge") return kernels::PadMode::Edge;
  return std::nullopt;  // wrap
}

bool absent_or_constant(const Value* v) { return !v || v->is_constant(); }

// The fill's bytes in the low-order bytes of a uint64_t (0 without constant_value).
uint64_t fill_bits(const Value* value, size_t element_bytes) {
  uint64_t bits = 0;
  if (value) std::memcpy(&bits, value->data->raw(), element_bytes);
  return bits;
}

}  // namespace

void lower_pad(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  const Value* pads = g.input(node, 1);
  const Value* value = g.input(node, 2);
  const Value* axes = g.input(node, 3);
  const std::optional<kernels::PadMode> mode = kernel_mode(string_attr(node, "mode", "constant"));
  if (!mode || !pads || !pads->is_constant() || !absent_or_constant(value) || !absent_or_constant(axes))
    return lower_host_fallback(c, node);
  const PadAmounts amounts =
      pad_amounts(x.shape.size(), pads->data->to_int64s(), axes ? axes->data->to_int64s() : std::vector<int64_t>());
  const std::optional<index_math::PadLayout<int64_t>> layout = pad_layout(x.shape, amounts);
  if (!layout) return lower_host_fallback(c, node);
  const DeviceTensor y = c.output(node.outputs[0]);
  if (y.numel() == 0) return;
  const DeviceTensor src = c.input(node.inputs[0]);
  const auto in_shape = dims_of<kernels::Dims>(layout->in, layout->rank);
  const auto out_shape = dims_of<kernels::Dims>(layout->out, layout->rank);
  const auto begin = dims_of<kernels::Dims>(layout->begin, layout->rank);
  const size_t element_bytes = dtype_size(x.dtype);
  const uint64_t bits = fill_bits(value, element_bytes);
  c.push(
      [=, pad_mode = *mode, where = c.where(node)](const RunContext& ctx) {
        kernels::pad(ctx.ptr(src), in_shape, ctx.ptr(y), out_shape, begin, pad_mode, bits, static_cast<int>(element_bytes),
                     ctx.stream);
        check_launch("kernels::pad", where);
      },
      {src, y});
}

}  // namespace tandem::cuda
