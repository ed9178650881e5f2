// Gemm: Y = alpha * op(A) * op(B) + beta * C, op = optional transpose, C (optional)
// broadcast unidirectionally to (M, N); with an optional fused activation. The
// reference sums each output in double.
#include <algorithm>

#include "ops/activation.h"
#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

// A: (M, K) or (K, M) with transA; B: (K, N) or (N, K) with transB.
struct GemmShapes {
  int64_t m, n, k;
  bool trans_a, trans_b;
};

bool read_flag(const Node& node, const char* name) {
  int64_t value = int_attr(node, name, 0);
  if (value != 0 && value != 1) fail_node(ErrorKind::InvalidModel, node, std::string("attribute '") + name + "' must be 0 or 1");
  return value == 1;
}

GemmShapes gemm_shapes(const Node& node, const Shape& a, const Shape& b) {
  GemmShapes s{0, 0, 0, read_flag(node, "transA"), read_flag(node, "transB")};
  s.m = s.trans_a ? a[1] : a[0];
  s.k = s.trans_a ? a[0] : a[1];
  int64_t k_of_b = s.trans_b ? b[1] : b[0];
  s.n = s.trans_b ? b[0] : b[1];
  if (k_of_b != s.k)
    fail_node(ErrorKind::InvalidModel, node,
              "inner dimensions differ: A " + shape_str(a) + (s.trans_a ? " (transposed)" : "") + ", B " + shape_str(b) +
                  (s.trans_b ? " (transposed)" : ""));
  return s;
}

// Element strides that read C as if broadcast to (M, N): {row stride, column stride}.
struct BroadcastStrides {
  int64_t row = 0, col = 0;
};

BroadcastStrides c_strides(const Node& node, const Shape& c, int64_t m, int64_t n) {
  Shape padded(2 - std::min<size_t>(c.size(), 2), 1);
  padded.insert(padded.end(), c.begin(), c.end());
  bool ok = c.size() <= 2 && (padded[0] == 1 || padded[0] == m) && (padded[1] == 1 || padded[1] == n);
  if (!ok)
    fail_node(ErrorKind::InvalidModel, node,
              "C " + shape_str(c) + " does not broadcast to (" + std::to_string(m) + ", " + std::to_string(n) + ")");
  return {padded[0] == 1 ? 0 : padded[1], padded[1] == 1 ? 0 : 1};
}

void infer_gemm(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 3);
  expect_output_count(node, 1, 1);
  const Value& a = required_input(node, graph, 0);
  const Value& b = required_input(node, graph, 1);
  for (const Value* v : {&a, &b}) {
    expect_dtype(node, *v, DType::f32);
    expect_rank_between(node, *v, 2, 2);
  }
  GemmShapes s = gemm_shapes(node, a.shape, b.shape);
  if (const Value* c = graph.input(node, 2)) {
    expect_dtype(node, *c, DType::f32);
    c_strides(node, c->shape, s.m, s.n);
  }
  float_attr(node, "alpha", 1.0f);  // type checks
  float_attr(node, "beta", 1.0f);
  fused_activation(node);
  set_output(node, graph, 0, DType::f32, {s.m, s.n});
}

double gemm_flops(const Node& node, const Graph& graph) {
  GemmShapes s = gemm_shapes(node, graph.value(node.inputs[0]).shape, graph.value(node.inputs[1]).shape);
  double outputs = double(s.m) * double(s.n);
  double extra = (graph.input(node, 2) ? outputs : 0) + (fused_activation(node).kind != ActivationKind::None ? outputs : 0);
  return 2 * outputs * double(s.k) + extra;
}

void run_gemm(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  GemmShapes s = gemm_shapes(node, inputs[0].shape(), inputs[1].shape());
  MatrixView a{inputs[0].data<float>(), s.trans_a ? 1 : s.k, s.trans_a ? s.m : 1};
  MatrixView b{inputs[1].data<float>(), s.trans_b ? 1 : s.n, s.trans_b ? s.k : 1};
  std::vector<double> product(static_cast<size_t>(s.m * s.n), 0.0);
  multiply_add(a, b, s.m, s.n, s.k, product.data());
  double alpha = float_attr(node, "alpha", 1.0f), beta = float_attr(node, "beta", 1.0f);
  bool has_c = inputs.size() > 2 && !inputs[2].empty();
  BroadcastStrides cs = has_c ? c_strides(node, inputs[2].shape(), s.m, s.n) : BroadcastStrides{};
  const float* c = has_c ? inputs[2].data<float>() : nullptr;
  float* y = outputs[0].data<float>();  // (M, N)
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      double value = alpha * product[size_t(i * s.n + j)];
      if (c) value += beta * double(c[i * cs.row + j * cs.col]);
      y[i * s.n + j] = static_cast<float>(value);
    }
  apply_fused_activation(node, y, s.m * s.n);
}

}  // namespace

extern const OpDef kGemmOp{.type = "Gemm", .since_opset = 7, .infer = infer_gemm, .reference = run_gemm, .flops = gemm_flops};

}  // namespace tandem
