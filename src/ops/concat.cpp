// Concat: joins inputs of one dtype along an axis (negative counts from the end); all
// other dims must match. Works for any dtype by element size.
#include <cstring>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

void infer_concat(const Node& node, Graph& graph) {
  expect_input_count(node, 1, SIZE_MAX);
  expect_output_count(node, 1, 1);
  expect_same_dtype(node, graph, 0, node.inputs.size());
  const Value& first = required_input(node, graph, 0);
  const size_t rank = first.shape.size();
  if (rank == 0) fail_node(ErrorKind::InvalidModel, node, "cannot concatenate scalars");
  if (!node.attrs.has("axis")) fail_node(ErrorKind::InvalidModel, node, "attribute 'axis' is required");
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), rank);
  Shape out = first.shape;
  out[axis] = 0;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value& in = required_input(node, graph, i);
    bool same_rank = in.shape.size() == first.shape.size();
    for (size_t d = 0; same_rank && d < in.shape.size(); ++d) same_rank = d == axis || in.shape[d] == first.shape[d];
    if (!same_rank)
      fail_node(ErrorKind::InvalidModel, node,
                "input '" + in.name + "' has shape " + shape_str(in.shape) + ", which does not match " +
                    shape_str(first.shape) + " off axis " + std::to_string(axis));
    out[axis] += in.shape[axis];
  }
  set_output(node, graph, 0, first.dtype, out);
}

// out viewed as (outer, sum of axis extents x inner): each input fills its column band.
void reference_concat(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  Tensor& out = outputs[0];
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), out.rank());
  int64_t outer = 1;
  for (size_t d = 0; d < axis; ++d) outer *= out.dim(d);
  const size_t out_row = out.nbytes() / static_cast<size_t>(outer ? outer : 1);
  size_t band_start = 0;
  for (const Tensor& in : inputs) {
    const size_t in_row = in.nbytes() / static_cast<size_t>(outer ? outer : 1);
    const auto* src = static_cast<const std::byte*>(in.raw());
    auto* dst = static_cast<std::byte*>(out.raw()) + band_start;
    for (int64_t o = 0; o < outer && in_row > 0; ++o)
      std::memcpy(dst + static_cast<size_t>(o) * out_row, src + static_cast<size_t>(o) * in_row, in_row);
    band_start += in_row;
  }
}

}  // namespace

void append_concat_ops(std::vector<const OpDef*>& defs) {
  static const OpDef concat{
      .type = "Concat", .since_opset = 4, .infer = infer_concat, .reference = reference_concat, .flops = no_flops};
  defs.push_back(&concat);
}

}  // namespace tandem
