// Shape (the input's dims as int64, opset-15 start/end slicing), Gather (picks slices
// along any axis by int32/int64 indices, negative ones counting from the end; any data
// dtype) and Cast (between float32, float64, int64, int32, int8, uint8 and bool).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

// --- Shape ---------------------------------------------------------------------------

// The [start, end) range of dims that Shape outputs, clamped like ONNX.
std::pair<int64_t, int64_t> shape_range(const Node& node, int64_t rank) {
  auto clamp_dim = [rank](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + rank : i, 0, rank); };
  int64_t start = clamp_dim(int_attr(node, "start", 0));
  int64_t end = clamp_dim(int_attr(node, "end", rank));
  return {start, std::max(start, end)};
}

void infer_shape(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  auto [start, end] = shape_range(node, static_cast<int64_t>(x.shape.size()));
  set_output(node, graph, 0, DType::i64, {end - start});
}

void reference_shape(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Shape& dims = inputs[0].shape();
  auto [start, end] = shape_range(node, static_cast<int64_t>(dims.size()));
  std::copy(dims.begin() + start, dims.begin() + end, outputs[0].data<int64_t>());
}

// --- Gather --------------------------------------------------------------------------

void check_indices(const Node& node, const std::vector<int64_t>& indices, int64_t extent, ErrorKind kind) {
  for (int64_t i : indices)
    if (i < -extent || i >= extent)
      fail_node(kind, node, "index " + std::to_string(i) + " is out of range for an axis of " + std::to_string(extent));
}

void infer_gather(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 2);
  expect_output_count(node, 1, 1);
  const Value& data = required_input(node, graph, 0);
  const Value& indices = required_input(node, graph, 1);
  if (indices.dtype != DType::i64 && indices.dtype != DType::i32)
    fail_node(ErrorKind::InvalidModel, node,
              std::string("indices must be int32 or int64, not ") + dtype_name(indices.dtype));
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), data.shape.size());
  if (indices.is_constant()) check_indices(node, indices.data->to_int64s(), data.shape[axis], ErrorKind::InvalidModel);
  Shape out(data.shape.begin(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis));
  out.insert(out.end(), indices.shape.begin(), indices.shape.end());
  out.insert(out.end(), data.shape.begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape.end());
  set_output(node, graph, 0, data.dtype, out);
}

// data viewed as (outer, extent, inner), y as (outer, count, inner):
// y[o, j, :] = data[o, indices[j], :].
void reference_gather(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& data = inputs[0];
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), data.rank());
  std::vector<int64_t> indices = inputs[1].to_int64s();
  const int64_t extent = data.dim(axis);
  check_indices(node, indices, extent, ErrorKind::InvalidInput);
  int64_t outer = 1;
  for (size_t d = 0; d < axis; ++d) outer *= data.dim(d);
  const size_t inner_bytes = dtype_size(data.dtype()) *
                             static_cast<size_t>(num_elements(Shape(
                                 data.shape().begin() + static_cast<std::ptrdiff_t>(axis) + 1, data.shape().end())));
  const auto* src = static_cast<const std::byte*>(data.raw());
  auto* dst = static_cast<std::byte*>(outputs[0].raw());
  if (inner_bytes == 0) return;
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i : indices) {
      int64_t row = o * extent + (i < 0 ? i + extent : i);
      std::memcpy(dst, src + static_cast<size_t>(row) * inner_bytes, inner_bytes);
      dst += inner_bytes;
    }
}

// --- Cast ----------------------------------------------------------------------------

// ONNX TensorProto data type codes of the dtypes Cast converts between.
std::optional<DType> dtype_from_onnx(int64_t code) {
  switch (code) {
    case 1: return DType::f32;
    case 2: return DType::u8;
    case 3: return DType::i8;
    case 6: return DType::i32;
    case 7: return DType::i64;
    case 9: return DType::boolean;
    case 11: return DType::f64;
    default: return std::nullopt;
  }
}

template <class F>
void with_castable_type(const Node& node, DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: f(float{}); return;
    case DType::f64: f(double{}); return;
    case DType::i64: f(int64_t{}); return;
    case DType::i32: f(int32_t{}); return;
    case DType::i8: f(int8_t{}); return;
    case DType::u8: f(uint8_t{}); return;
    case DType::boolean: f(bool{}); return;
    default:
      fail_node(ErrorKind::Unsupported, node,
                std::string("cast from or to ") + dtype_name(dtype) + " is not supported");
  }
}

// Floats to integers saturate (NaN gives 0) instead of being undefined out of range;
// integers narrow modulo 2^n; anything to bool is "not zero".
template <class To, class From>
To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    const double d = static_cast<double>(v);
    constexpr double lo = static_cast<double>(std::numeric_limits<To>::min());
    constexpr double hi = static_cast<double>(std::numeric_limits<To>::max());
    if (std::isnan(d)) return To(0);
    if (d <= lo) return std::numeric_limits<To>::min();
    if (d >= hi) return std::numeric_limits<To>::max();
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

void infer_cast(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  if (!node.attrs.has("to")) fail_node(ErrorKind::InvalidModel, node, "attribute 'to' is required");
  const int64_t code = int_attr(node, "to", 0);
  std::optional<DType> to = dtype_from_onnx(code);
  if (!to)
    fail_node(ErrorKind::Unsupported, node, "cast to ONNX data type " + std::to_string(code) + " is not supported");
  with_castable_type(node, x.dtype, [](auto) {});
  set_output(node, graph, 0, *to, x.shape);
}

void reference_cast(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  Tensor& y = outputs[0];
  with_castable_type(node, x.dtype(), [&](auto from_zero) {
    with_castable_type(node, y.dtype(), [&](auto to_zero) {
      using From = decltype(from_zero);
      using To = decltype(to_zero);
      const From* in = static_cast<const From*>(x.raw());
      To* out = static_cast<To*>(y.raw());
      for (int64_t i = 0; i < x.numel(); ++i) out[i] = convert<To>(in[i]);
    });
  });
}

}  // namespace

void append_shape_ops(std::vector<const OpDef*>& defs) {
  static const OpDef shape{
      .type = "Shape", .since_opset = 15, .infer = infer_shape, .reference = reference_shape, .flops = no_flops};
  static const OpDef gather{
      .type = "Gather", .since_opset = 13, .infer = infer_gather, .reference = reference_gather, .flops = no_flops};
  static const OpDef cast{
      .type = "Cast", .since_opset = 13, .infer = infer_cast, .reference = reference_cast, .flops = no_flops};
  defs.insert(defs.end(), {&shape, &gather, &cast});
}

}  // namespace tandem
