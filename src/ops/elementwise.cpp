// Add, Sub, Mul, Div (two operands) and Sum (one or more) with numpy broadcasting.
// dtypes: float32, float64, int64, int32, int8, uint8. Integer arithmetic wraps like
// two's complement and integer Div truncates toward zero like C++; dividing an integer
// by zero is an InvalidInput error.
#include <type_traits>

#include "ops/broadcast.h"
#include "ops/tensor_util.h"

namespace tandem {
namespace {

// Calls f(T{}) with the C++ type of a dtype the arithmetic ops support.
template <class F>
void with_arithmetic_type(const Node& node, DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: f(float{}); return;
    case DType::f64: f(double{}); return;
    case DType::i64: f(int64_t{}); return;
    case DType::i32: f(int32_t{}); return;
    case DType::i8: f(int8_t{}); return;
    case DType::u8: f(uint8_t{}); return;
    default:
      fail_node(ErrorKind::Unsupported, node, std::string("arithmetic on ") + dtype_name(dtype) + " is not supported");
  }
}

// Integer + - * go through the unsigned type, where overflow wraps instead of being UB.
template <class T, class Op>
T wrapping(T a, T b, Op op) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(op(static_cast<U>(a), static_cast<U>(b))));
  } else {
    return op(a, b);
  }
}

struct AddOp {
  template <class T>
  T operator()(T a, T b) const {
    return wrapping(a, b, [](auto x, auto y) { return x + y; });
  }
};
struct SubOp {
  template <class T>
  T operator()(T a, T b) const {
    return wrapping(a, b, [](auto x, auto y) { return x - y; });
  }
};
struct MulOp {
  template <class T>
  T operator()(T a, T b) const {
    return wrapping(a, b, [](auto x, auto y) { return x * y; });
  }
};
struct DivOp {
  template <class T>
  T operator()(T a, T b) const {
    if constexpr (std::is_integral_v<T> && std::is_signed_v<T>)
      if (b == -1) return SubOp{}(T{0}, a);  // avoids the trap on min / -1
    return static_cast<T>(a / b);
  }
};

// out = op(a, b) with broadcasting; the row loop is specialised for the usual
// contiguous / stretched-scalar cases so that it vectorises.
template <class T, class Op>
void binary_broadcast(const Tensor& a, const Tensor& b, Tensor& out, Op op) {
  BroadcastLoop loop = make_broadcast_loop(out.shape(), {a.shape(), b.shape()});
  const T* pa = static_cast<const T*>(a.raw());
  const T* pb = static_cast<const T*>(b.raw());
  T* po = static_cast<T*>(out.raw());
  const int64_t sa = loop.row_strides[0], sb = loop.row_strides[1], n = loop.row;
  for_each_broadcast_row(loop, [&](int64_t o, const int64_t* offsets) {
    const T* x = pa + offsets[0];
    const T* y = pb + offsets[1];
    T* z = po + o;
    if (sa == 1 && sb == 1) {
      for (int64_t i = 0; i < n; ++i) z[i] = op(x[i], y[i]);
    } else if (sa == 1) {
      const T yv = *y;
      for (int64_t i = 0; i < n; ++i) z[i] = op(x[i], yv);
    } else if (sb == 1) {
      const T xv = *x;
      for (int64_t i = 0; i < n; ++i) z[i] = op(xv, y[i]);
    } else {
      const T v = op(*x, *y);
      for (int64_t i = 0; i < n; ++i) z[i] = v;
    }
  });
}

// The output shape of broadcasting inputs [0, count); fails InvalidModel naming the node.
Shape infer_broadcast(const Node& node, const Graph& graph, size_t count) {
  std::vector<Shape> shapes;
  std::string listed;
  for (size_t i = 0; i < count; ++i) {
    shapes.push_back(required_input(node, graph, i).shape);
    listed += (i ? " and " : "") + shape_str(shapes.back());
  }
  std::optional<Shape> out = broadcast_shapes(shapes);
  if (!out) fail_node(ErrorKind::InvalidModel, node, "shapes " + listed + " cannot be broadcast together");
  return *out;
}

void infer_elementwise(const Node& node, Graph& graph, size_t min_inputs, size_t max_inputs) {
  expect_input_count(node, min_inputs, max_inputs);
  expect_output_count(node, 1, 1);
  size_t count = node.inputs.size();
  expect_same_dtype(node, graph, 0, count);
  DType dtype = required_input(node, graph, 0).dtype;
  with_arithmetic_type(node, dtype, [](auto) {});
  set_output(node, graph, 0, dtype, infer_broadcast(node, graph, count));
}

void infer_binary(const Node& node, Graph& graph) { infer_elementwise(node, graph, 2, 2); }
void infer_sum(const Node& node, Graph& graph) { infer_elementwise(node, graph, 1, SIZE_MAX); }

// Integer division by zero would trap; it is bad input, reported before computing.
template <class T>
void check_divisors(const Node& node, const Tensor& divisor) {
  const T* d = static_cast<const T*>(divisor.raw());
  for (int64_t i = 0; i < divisor.numel(); ++i)
    if (d[i] == 0) fail_node(ErrorKind::InvalidInput, node, "integer division by zero");
}

template <class Op>
void reference_binary(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  with_arithmetic_type(node, inputs[0].dtype(), [&](auto zero) {
    using T = decltype(zero);
    if constexpr (std::is_same_v<Op, DivOp> && std::is_integral_v<T>) check_divisors<T>(node, inputs[1]);
    binary_broadcast<T>(inputs[0], inputs[1], outputs[0], Op{});
  });
}

// out = in0 (stretched) then out += in_k for k >= 1, left to right.
void reference_sum(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  Tensor& out = outputs[0];
  with_arithmetic_type(node, inputs[0].dtype(), [&](auto zero) {
    using T = decltype(zero);
    binary_broadcast<T>(inputs[0], inputs[0], out, [](T a, T) { return a; });
    for (size_t k = 1; k < inputs.size(); ++k) binary_broadcast<T>(out, inputs[k], out, AddOp{});
  });
}

}  // namespace

void append_elementwise_ops(std::vector<const OpDef*>& defs) {
  static const OpDef add{.type = "Add", .since_opset = 7, .infer = infer_binary, .reference = reference_binary<AddOp>};
  static const OpDef sub{.type = "Sub", .since_opset = 7, .infer = infer_binary, .reference = reference_binary<SubOp>};
  static const OpDef mul{.type = "Mul", .since_opset = 7, .infer = infer_binary, .reference = reference_binary<MulOp>};
  static const OpDef div{.type = "Div", .since_opset = 7, .infer = infer_binary, .reference = reference_binary<DivOp>};
  static const OpDef sum{.type = "Sum", .since_opset = 8, .infer = infer_sum, .reference = reference_sum};
  defs.insert(defs.end(), {&add, &sub, &mul, &div, &sum});
}

}  // namespace tandem
