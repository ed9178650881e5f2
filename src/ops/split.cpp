// Split: cuts the input along `axis` into one piece per output. Piece sizes come from
// the optional `split` input; without it the axis is cut into equal parts, or, with the
// opset-18 `num_outputs` attribute, into parts of ceil(dim / n) with a smaller last one.
// Works for any dtype by element size.
#include <cstring>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

std::vector<int64_t> equal_parts(const Node& node, int64_t dim, int64_t parts) {
  if (node.attrs.has("num_outputs")) {
    int64_t chunk = (dim + parts - 1) / parts;
    if (int_attr(node, "num_outputs", 0) != parts || chunk * (parts - 1) > dim)
      fail_node(ErrorKind::InvalidModel, node,
                "num_outputs must equal the " + std::to_string(parts) + " outputs and leave no part negative for dim " +
                    std::to_string(dim));
    std::vector<int64_t> sizes(static_cast<size_t>(parts), chunk);
    sizes.back() = dim - chunk * (parts - 1);
    return sizes;
  }
  if (dim % parts != 0)
    fail_node(ErrorKind::InvalidModel, node,
              "dim " + std::to_string(dim) + " cannot be split into " + std::to_string(parts) + " equal parts");
  return std::vector<int64_t>(static_cast<size_t>(parts), dim / parts);
}

// The extent of each piece along the axis.
std::vector<int64_t> split_sizes(const Node& node, int64_t dim, const std::optional<std::vector<int64_t>>& split) {
  const int64_t parts = static_cast<int64_t>(node.outputs.size());
  if (!split) return equal_parts(node, dim, parts);
  int64_t total = 0;
  bool valid = static_cast<int64_t>(split->size()) == parts;
  for (int64_t s : *split) {
    valid = valid && s >= 0;
    total += s;
  }
  if (!valid || total != dim)
    fail_node(
        ErrorKind::InvalidModel, node,
        "split sizes must be " + std::to_string(parts) + " non-negative numbers adding up to " + std::to_string(dim));
  return *split;
}

void infer_split(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 2);
  expect_output_count(node, 1, SIZE_MAX);
  const Value& x = required_input(node, graph, 0);
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), x.shape.size());
  std::vector<int64_t> sizes = split_sizes(node, x.shape[axis], constant_ints(node, graph, 1));
  for (size_t i = 0; i < sizes.size(); ++i) {
    Shape piece = x.shape;
    piece[axis] = sizes[i];
    set_output(node, graph, i, x.dtype, piece);
  }
}

// x viewed as (outer, dim x inner): output i takes its column band from every row.
void reference_split(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), x.rank());
  std::vector<int64_t> sizes = split_sizes(node, x.dim(axis), tensor_ints(inputs, 1));
  int64_t outer = 1;
  for (size_t d = 0; d < axis; ++d) outer *= x.dim(d);
  if (outer == 0 || x.numel() == 0) return;
  const size_t in_row = x.nbytes() / static_cast<size_t>(outer);
  const size_t band_unit = in_row / static_cast<size_t>(x.dim(axis));  // bytes per axis step
  size_t band_start = 0;
  for (size_t i = 0; i < outputs.size(); ++i) {
    const size_t band = band_unit * static_cast<size_t>(sizes[i]);
    if (!outputs[i].empty() && band > 0) {
      const auto* src = static_cast<const std::byte*>(x.raw()) + band_start;
      auto* dst = static_cast<std::byte*>(outputs[i].raw());
      for (int64_t o = 0; o < outer; ++o)
        std::memcpy(dst + static_cast<size_t>(o) * band, src + static_cast<size_t>(o) * in_row, band);
    }
    band_start += band;
  }
}

}  // namespace

void append_split_ops(std::vector<const OpDef*>& defs) {
  static const OpDef split{
      .type = "Split", .since_opset = 13, .infer = infer_split, .reference = reference_split, .flops = no_flops};
  defs.push_back(&split);
}

}  // namespace tandem
