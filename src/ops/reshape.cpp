// Ops that change only the shape, never the bytes: Reshape (0 copies the input dim
// unless allowzero=1, -1 is inferred), Flatten (to 2-D at `axis`), Squeeze (the listed
// 1-dims, or all of them) and Unsqueeze (inserts 1-dims at output positions `axes`).
// Works for any dtype.
#include <algorithm>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

void expect_same_count(const Node& node, const Shape& in, const Shape& out) {
  if (num_elements(in) != num_elements(out))
    fail_node(ErrorKind::InvalidModel, node, "cannot reshape " + shape_str(in) + " to " + shape_str(out));
}

// Replaces the single -1 in `out` by whatever makes the element count match `in`.
void resolve_inferred_dim(const Node& node, const Shape& in, Shape& out) {
  auto inferred = std::find(out.begin(), out.end(), -1);
  if (inferred == out.end()) return;
  int64_t known = 1;
  for (int64_t d : out)
    if (d != -1) known *= d;
  if (known == 0 || num_elements(in) % known != 0)
    fail_node(ErrorKind::InvalidModel, node, "cannot reshape " + shape_str(in) + " to " + shape_str(out));
  *inferred = num_elements(in) / known;
}

Shape reshape_target(const Node& node, const Shape& in, const std::vector<int64_t>& requested) {
  const bool allow_zero = int_attr(node, "allowzero", 0) != 0;
  Shape out = requested;
  int inferred = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    if (out[i] == 0 && !allow_zero) {
      if (i >= in.size())
        fail_node(ErrorKind::InvalidModel, node,
                  "shape entry " + std::to_string(i) + " is 0 (copy the input dim) but the input has rank " +
                      std::to_string(in.size()));
      out[i] = in[i];
    }
    inferred += out[i] == -1;
    if (out[i] < -1 || inferred > 1)
      fail_node(ErrorKind::InvalidModel, node, "invalid target shape " + ints_str(requested));
  }
  resolve_inferred_dim(node, in, out);
  expect_same_count(node, in, out);
  return out;
}

void infer_reshape(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 2);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  set_output(node, graph, 0, x.dtype, reshape_target(node, x.shape, *constant_ints(node, graph, 1)));
}

void infer_flatten(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = int_attr(node, "axis", 1);
  if (axis < -rank || axis > rank)
    fail_node(ErrorKind::InvalidModel, node,
              "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  if (axis < 0) axis += rank;
  Shape leading(x.shape.begin(), x.shape.begin() + axis), trailing(x.shape.begin() + axis, x.shape.end());
  set_output(node, graph, 0, x.dtype, {num_elements(leading), num_elements(trailing)});
}

void infer_squeeze(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 2);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  std::optional<std::vector<int64_t>> axes = constant_ints(node, graph, 1);
  std::vector<bool> drop(x.shape.size(), false);
  if (axes) {
    for (size_t a : normalize_axes(node, *axes, x.shape.size())) {
      if (x.shape[a] != 1)
        fail_node(
            ErrorKind::InvalidModel, node,
            "cannot squeeze axis " + std::to_string(a) + " of shape " + shape_str(x.shape) + " (its size is not 1)");
      drop[a] = true;
    }
  } else {
    for (size_t d = 0; d < x.shape.size(); ++d) drop[d] = x.shape[d] == 1;
  }
  Shape out;
  for (size_t d = 0; d < x.shape.size(); ++d)
    if (!drop[d]) out.push_back(x.shape[d]);
  set_output(node, graph, 0, x.dtype, out);
}

void infer_unsqueeze(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 2);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  const std::vector<int64_t> axes = *constant_ints(node, graph, 1);
  std::vector<bool> inserted(x.shape.size() + axes.size(), false);
  for (size_t a : normalize_axes(node, axes, inserted.size())) inserted[a] = true;
  Shape out;
  auto next_input_dim = x.shape.begin();
  for (bool one : inserted) out.push_back(one ? 1 : *next_input_dim++);
  set_output(node, graph, 0, x.dtype, out);
}

}  // namespace

void append_reshape_ops(std::vector<const OpDef*>& defs) {
  static const OpDef reshape{
      .type = "Reshape", .since_opset = 5, .infer = infer_reshape, .reference = copy_first_input, .flops = no_flops};
  static const OpDef flatten{
      .type = "Flatten", .since_opset = 1, .infer = infer_flatten, .reference = copy_first_input, .flops = no_flops};
  static const OpDef squeeze{
      .type = "Squeeze", .since_opset = 13, .infer = infer_squeeze, .reference = copy_first_input, .flops = no_flops};
  static const OpDef unsqueeze{.type = "Unsqueeze",
                               .since_opset = 13,
                               .infer = infer_unsqueeze,
                               .reference = copy_first_input,
                               .flops = no_flops};
  defs.insert(defs.end(), {&reshape, &flatten, &squeeze, &unsqueeze});
}

}  // namespace tandem
