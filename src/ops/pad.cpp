// Pad (opset 11+ input form): pads = [begin_0.., end_0..] per padded axis (all axes, or
// the opset-18 `axes` input), possibly negative (crops). Modes: constant (the optional
// constant_value input, else 0), reflect (mirror without repeating the edge), edge
// (repeat the edge) and wrap (periodic). Works for any dtype by element size.
#include "ops/tensor_util.h"

namespace tandem {
namespace {

enum class PadMode { constant, reflect, edge, wrap };

PadMode pad_mode(const Node& node) {
  std::string mode = string_attr(node, "mode", "constant");
  if (mode == "constant") return PadMode::constant;
  if (mode == "reflect") return PadMode::reflect;
  if (mode == "edge") return PadMode::edge;
  if (mode == "wrap") return PadMode::wrap;
  fail_node(ErrorKind::Unsupported, node, "pad mode '" + mode + "' is not supported");
}

// Begin and end padding of every dim of x.
struct PadAmounts {
  std::vector<int64_t> begin, end;
};

PadAmounts pad_amounts(const Node& node, const Shape& x, const std::vector<int64_t>& pads,
                       const std::optional<std::vector<int64_t>>& axes_param) {
  std::vector<size_t> axes;
  if (axes_param) {
    axes = normalize_axes(node, *axes_param, x.size());
  } else {
    for (size_t a = 0; a < x.size(); ++a) axes.push_back(a);
  }
  if (pads.size() != 2 * axes.size())
    fail_node(ErrorKind::InvalidModel, node,
              "pads " + ints_str(pads) + " needs " + std::to_string(2 * axes.size()) + " entries");
  PadAmounts p{std::vector<int64_t>(x.size(), 0), std::vector<int64_t>(x.size(), 0)};
  for (size_t i = 0; i < axes.size(); ++i) {
    p.begin[axes[i]] = pads[i];
    p.end[axes[i]] = pads[i + axes.size()];
  }
  return p;
}

Shape padded_shape(const Node& node, const Shape& x, const PadAmounts& p) {
  const bool fills = pad_mode(node) == PadMode::constant;
  Shape out = x;
  for (size_t d = 0; d < x.size(); ++d) {
    out[d] = x[d] + p.begin[d] + p.end[d];
    bool grows = p.begin[d] > 0 || p.end[d] > 0;
    if (out[d] < 0 || (grows && x[d] == 0 && !fills))
      fail_node(ErrorKind::InvalidModel, node,
                "cannot pad dim " + std::to_string(d) + " of shape " + shape_str(x) + " by " +
                    std::to_string(p.begin[d]) + " / " + std::to_string(p.end[d]));
  }
  return out;
}

void infer_pad(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 4);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  const Value* value = graph.input(node, 2);
  if (value && (value->dtype != x.dtype || num_elements(value->shape) != 1))
    fail_node(ErrorKind::InvalidModel, node,
              std::string("constant_value must be one ") + dtype_name(x.dtype) + " element");
  PadAmounts p = pad_amounts(node, x.shape, *constant_ints(node, graph, 1), constant_ints(node, graph, 3));
  set_output(node, graph, 0, x.dtype, padded_shape(node, x.shape, p));
}

// Source index along one dim for output index j (-1: the constant value).
int64_t source_index(PadMode mode, int64_t j, int64_t begin, int64_t dim) {
  int64_t i = j - begin;
  if (i >= 0 && i < dim) return i;
  switch (mode) {
    case PadMode::constant: return -1;
    case PadMode::edge: return i < 0 ? 0 : dim - 1;
    case PadMode::wrap: return ((i % dim) + dim) % dim;
    case PadMode::reflect: {
      if (dim == 1) return 0;
      int64_t period = 2 * (dim - 1);
      int64_t k = ((i % period) + period) % period;
      return k < dim ? k : period - k;
    }
  }
  return -1;
}

// For each dim, the source index of every output index, as an element offset into x
// (index times stride), or -1 for the constant value.
std::vector<std::vector<int64_t>> source_offsets(PadMode mode, const Shape& x, const Shape& out, const PadAmounts& p) {
  std::vector<int64_t> strides = dense_strides(x);
  std::vector<std::vector<int64_t>> maps(x.size());
  for (size_t d = 0; d < x.size(); ++d)
    for (int64_t j = 0; j < out[d]; ++j) {
      int64_t i = source_index(mode, j, p.begin[d], x[d]);
      maps[d].push_back(i < 0 ? -1 : i * strides[d]);
    }
  return maps;
}

// y (dense, out shape): each row along the last dim gathers x through the index maps.
template <class E>
void pad_rows(const E* x, E* y, E fill, const Shape& out, const std::vector<std::vector<int64_t>>& maps) {
  const size_t last = out.size() - 1;
  const int64_t row = out[last], rows = num_elements(out) / row;
  const std::vector<int64_t>& row_map = maps[last];
  std::vector<int64_t> index(last, 0);
  for (int64_t r = 0; r < rows; ++r, y += row) {
    int64_t base = 0;  // offset of the row's source in x, -1 when the row is all fill
    for (size_t d = 0; d < last; ++d) {
      int64_t offset = maps[d][static_cast<size_t>(index[d])];
      if (offset < 0) {
        base = -1;
        break;
      }
      base += offset;
    }
    for (int64_t j = 0; j < row; ++j) {
      int64_t src = row_map[static_cast<size_t>(j)];
      y[j] = base < 0 || src < 0 ? fill : x[base + src];
    }
    for (size_t d = last; d-- > 0;) {  // odometer over the outer dims
      if (++index[d] < out[d]) break;
      index[d] = 0;
    }
  }
}

void reference_pad(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  Tensor& y = outputs[0];
  if (y.numel() == 0) return;
  if (x.rank() == 0) return copy_tensor_data(x, y);
  const PadMode mode = pad_mode(node);
  PadAmounts p = pad_amounts(node, x.shape(), *tensor_ints(inputs, 1), tensor_ints(inputs, 3));
  auto maps = source_offsets(mode, x.shape(), y.shape(), p);
  const bool has_value = inputs.size() > 2 && !inputs[2].empty();
  with_element_bits(dtype_size(x.dtype()), [&](auto element) {
    using E = decltype(element);
    E fill{};
    if (has_value) fill = *static_cast<const E*>(inputs[2].raw());
    pad_rows(static_cast<const E*>(x.raw()), static_cast<E*>(y.raw()), fill, y.shape(), maps);
  });
}

}  // namespace

void append_pad_ops(std::vector<const OpDef*>& defs) {
  static const OpDef pad{
      .type = "Pad", .since_opset = 11, .infer = infer_pad, .reference = reference_pad, .flops = no_flops};
  defs.push_back(&pad);
}

}  // namespace tandem
