// Host checks of the cuBLAS lowerings' plans (backends/cuda/blas_plan.h). No GPU runs
// here: the BlasCalls planned for Gemm and MatMul nodes go through a host emulation of
// cuBLAS's column-major GEMM (every buffer access and leading dim checked), with the
// Gemm step's C prefill, row bias and activation replayed as lower_gemm enqueues
// them, and the results are compared with the reference ops: every transpose pair,
// every C shape and beta, alpha, each fused activation, and MatMul's 1-D rules and
// batch broadcasting.
#include <gtest/gtest.h>

#include <climits>
#include <optional>
#include <string>
#include <vector>

#include "../op_test_util.h"
#include "backends/cuda/blas_plan.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/kernels/elementwise_math.h"
#include "ops/activation.h"

using namespace tandem;
using namespace tandem::cuda;
using namespace tandem::test_util;

namespace {

constexpr double kTolerance = 1e-4;

std::vector<float> floats(const Tensor& t) { return std::vector<float>(t.data<float>(), t.data<float>() + t.numel()); }

// Whether the leading dims hold the matrices cuBLAS reads and writes: op N reads A as
// m x k with lda >= m, op T reads it stored k x m with lda >= k; likewise B (k x n);
// C is m x n with ldc >= m.
void expect_leading_dims_fit(const BlasCall& call) {
  EXPECT_GE(call.lda, call.trans_a ? call.k : call.m);
  EXPECT_GE(call.ldb, call.trans_b ? call.n : call.k);
  EXPECT_GE(call.ldc, call.m);
}

// cuBLAS's GEMM on the host, column-major: for each of call.batch products,
// C = alpha op(A) op(B) + beta C (C not read when beta is 0). Accesses outside the
// buffers throw std::out_of_range.
void emulate_blas(const BlasCall& call, float alpha, const std::vector<float>& a, const std::vector<float>& b,
                  float beta, std::vector<float>& c) {
  expect_leading_dims_fit(call);
  for (int p = 0; p < call.batch; ++p) {
    const int64_t oa = call.offset_a + p * call.stride_a, ob = call.offset_b + p * call.stride_b;
    const int64_t oc = call.offset_c + p * call.stride_c;
    for (int i = 0; i < call.m; ++i)
      for (int j = 0; j < call.n; ++j) {
        double sum = 0;
        for (int q = 0; q < call.k; ++q) {
          const float av = call.trans_a ? a.at(oa + q + int64_t(i) * call.lda) : a.at(oa + i + int64_t(q) * call.lda);
          const float bv = call.trans_b ? b.at(ob + j + int64_t(q) * call.ldb) : b.at(ob + q + int64_t(j) * call.ldb);
          sum += double(av) * bv;
        }
        float& cv = c.at(oc + i + int64_t(j) * call.ldc);
        cv = float(alpha * sum + (beta == 0 ? 0.0 : beta * cv));
      }
  }
}

// ---- Gemm ----

struct GemmCase {
  Shape a, b;
  std::optional<Shape> c;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  std::string activation;  // fused activation, "" for none
  GemmCMode mode = GemmCMode::None;

  std::string name() const {
    std::string out = "A";
    out += shape_str(a) + " B" + shape_str(b) + " C" + (c ? shape_str(*c) : std::string("-"));
    out += " transA " + std::to_string(trans_a) + " transB " + std::to_string(trans_b);
    out += " alpha " + std::to_string(alpha) + " beta " + std::to_string(beta) + " ";
    out += activation.empty() ? std::string("no activation") : activation;
    return out;
  }
};

// A Gemm graph for `gc`, with random feeds.
struct GemmGraph {
  GraphBuilder builder;
  Graph graph;
  std::vector<Tensor> inputs;  // A, B and C when present

  explicit GemmGraph(const GemmCase& gc) {
    const int a = builder.input("a", gc.a), b = builder.input("b", gc.b);
    std::vector<int> ins{a, b};
    if (gc.c) ins.push_back(builder.input("c", *gc.c));
    Attributes at = attrs({{"transA", int64_t(gc.trans_a)},
                           {"transB", int64_t(gc.trans_b)},
                           {"alpha", gc.alpha},
                           {"beta", gc.beta}});
    if (!gc.activation.empty()) at.set("activation", gc.activation);
    if (gc.activation == "Clip") {
      at.set("activation_alpha", -0.3f);
      at.set("activation_beta", 0.4f);
    }
    builder.output(builder.node("Gemm", ins, at));
    graph = builder.finish();
    for (int id : ins) inputs.push_back(builder.feeds.at(id));
  }
  const Node& node() const { return graph.nodes[0]; }
};

// lower_gemm's step on the host: y (M, N) prefilled with C broadcast, the cuBLAS
// product (cuBLAS's A is the node's B), then the row bias and the activation.
std::vector<float> run_gemm_plan(const GemmGraph& g, GemmCMode& mode) {
  const Node& node = g.node();
  const GemmSpec s = gemm_spec(node, g.inputs[0].shape(), g.inputs[1].shape());
  EXPECT_TRUE(gemm_fits_cublas(s));
  const BlasCall call = gemm_call(s);
  const Value* c_value = g.graph.input(node, 2);
  mode = gemm_c_mode(s, c_value);
  const GemmCStrides cs = c_value ? gemm_c_strides(c_value->shape) : GemmCStrides{};
  const kernels::ActivationParams act = kernel_activation(fused_activation(node));
  std::vector<float> y(size_t(s.m * s.n), NAN);
  if (mode == GemmCMode::Prefill) {
    const std::vector<float> c = floats(g.inputs[2]);
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) y[size_t(i * s.n + j)] = c.at(size_t(i * cs.row + j * cs.col));
  }
  emulate_blas(call, s.alpha, floats(g.inputs[1]), floats(g.inputs[0]), mode == GemmCMode::Prefill ? s.beta : 0.0f,
               y);
  const std::vector<float> bias = mode == GemmCMode::RowBias ? floats(g.inputs[2]) : std::vector<float>();
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      float& v = y[size_t(i * s.n + j)];
      if (mode == GemmCMode::RowBias) v += bias.at(size_t(j));
      v = math::activate(act, v);
    }
  return y;
}

void check_gemm(const GemmCase& gc) {
  SCOPED_TRACE("Gemm " + gc.name());
  GemmGraph g(gc);
  const Tensor want = run_reference(g.node(), g.graph, g.inputs)[0];
  GemmCMode mode = GemmCMode::None;
  const std::vector<float> got = run_gemm_plan(g, mode);
  EXPECT_EQ(mode, gc.mode);
  EXPECT_LT(max_abs_diff(want, Tensor::from<float>(want.shape(), got)), kTolerance);
}

// ---- MatMul ----

void check_matmul(const Shape& a_shape, const Shape& b_shape) {
  SCOPED_TRACE("MatMul " + shape_str(a_shape) + " x " + shape_str(b_shape));
  GraphBuilder gb;
  const int a = gb.input("a", a_shape), b = gb.input("b", b_shape);
  gb.output(gb.node("MatMul", {a, b}));
  const Graph g = gb.finish();
  const Tensor want = run_reference(g.nodes[0], g, {gb.feeds[a], gb.feeds[b]})[0];
  const MatMulShapes s = matmul_shapes(a_shape, b_shape);
  ASSERT_TRUE(matmul_fits_cublas(s));
  std::vector<float> y(size_t(want.numel()), NAN);
  for (const BlasCall& call : matmul_calls(s)) emulate_blas(call, 1.0f, floats(gb.feeds[b]), floats(gb.feeds[a]), 0.0f, y);
  EXPECT_LT(max_abs_diff(want, Tensor::from<float>(want.shape(), y)), kTolerance);
}

}  // namespace

TEST(CudaBlasPlan, GemmMatchesReferenceForEveryTransposeAndC) {
  using M = GemmCMode;
  for (bool ta : {false, true})
    for (bool tb : {false, true}) {
      const Shape a = ta ? Shape{5, 3} : Shape{3, 5}, b = tb ? Shape{4, 5} : Shape{5, 4};  // M 3, K 5, N 4
      const std::vector<GemmCase> cases = {
          {a, b, std::nullopt, ta, tb, 1.0f, 1.0f, "", M::None},
          {a, b, Shape{4}, ta, tb, 1.0f, 1.0f, "Relu", M::RowBias},
          {a, b, Shape{1, 4}, ta, tb, 0.5f, 1.0f, "Clip", M::RowBias},
          {a, b, Shape{4}, ta, tb, 1.0f, 0.25f, "LeakyRelu", M::Prefill},
          {a, b, Shape{3, 1}, ta, tb, 2.0f, 1.5f, "Sigmoid", M::Prefill},
          {a, b, Shape{3, 4}, ta, tb, 1.0f, -1.0f, "Tanh", M::Prefill},
          {a, b, Shape{}, ta, tb, 1.0f, 1.0f, "", M::Prefill},
          {a, b, Shape{1}, ta, tb, 1.0f, 2.0f, "", M::Prefill},
          {a, b, Shape{1, 1}, ta, tb, 1.0f, 0.0f, "", M::None},
      };
      for (const GemmCase& gc : cases) check_gemm(gc);
    }
}

TEST(CudaBlasPlan, GemmSingleColumnAndFullyConnectedLayer) {
  // N = 1: a one-element C is both a scalar and a row of N.
  check_gemm({{1, 7}, {7, 1}, Shape{1}, false, false, 1.0f, 1.0f, "Relu", GemmCMode::RowBias});
  // A fully connected layer: weights (N, K) with transB, bias (N).
  check_gemm({{2, 64}, {10, 64}, Shape{10}, false, true, 1.0f, 1.0f, "Relu", GemmCMode::RowBias});
}

TEST(CudaBlasPlan, GemmCallSwapsOperandsForColumnMajor) {
  GemmSpec s;
  s.m = 3;
  s.k = 5;
  s.n = 4;
  BlasCall call = gemm_call(s);
  EXPECT_FALSE(call.trans_a);
  EXPECT_FALSE(call.trans_b);
  EXPECT_EQ(call.m, 4);
  EXPECT_EQ(call.n, 3);
  EXPECT_EQ(call.k, 5);
  EXPECT_EQ(call.lda, 4);  // B (K, N) row-major
  EXPECT_EQ(call.ldb, 5);  // A (M, K) row-major
  EXPECT_EQ(call.ldc, 4);
  EXPECT_EQ(call.batch, 1);

  s.trans_a = s.trans_b = true;
  call = gemm_call(s);
  EXPECT_TRUE(call.trans_a);  // from transB
  EXPECT_TRUE(call.trans_b);  // from transA
  EXPECT_EQ(call.lda, 5);     // B stored (N, K)
  EXPECT_EQ(call.ldb, 3);     // A stored (K, M)
  EXPECT_EQ(call.ldc, 4);
}

TEST(CudaBlasPlan, GemmOffCublasWhenEmptyOrBeyondInt) {
  GemmSpec s;
  s.m = 3;
  s.k = 5;
  s.n = 4;
  EXPECT_TRUE(gemm_fits_cublas(s));
  s.k = 0;
  EXPECT_FALSE(gemm_fits_cublas(s));
  s.k = 5;
  s.m = 0;
  EXPECT_FALSE(gemm_fits_cublas(s));
  s.m = int64_t(INT_MAX) + 1;
  EXPECT_FALSE(gemm_fits_cublas(s));
  s.m = INT_MAX;
  EXPECT_TRUE(gemm_fits_cublas(s));
}

TEST(CudaBlasPlan, MatMulMatchesReferenceWithBroadcasting) {
  const std::vector<std::pair<Shape, Shape>> shapes = {
      {{3, 4}, {4, 5}},
      {{4}, {4, 5}},
      {{3, 4}, {4}},
      {{4}, {4}},
      {{2, 3, 4}, {4, 5}},
      {{5, 4}, {4}},
      {{2, 3, 4}, {4}},
      {{4}, {2, 4, 5}},
      {{3, 4}, {2, 4, 5}},
      {{2, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {1, 6, 4, 5}},
      {{2, 6, 3, 4}, {6, 4, 5}},
      {{1, 3, 4}, {2, 4, 5}},
      {{2, 1, 3, 4}, {2, 6, 4, 5}},
      {{2, 6, 3, 4}, {2, 1, 4, 5}},
      {{2, 3, 1, 3, 4}, {3, 2, 4, 5}},
      {{1, 1, 3, 4}, {4, 5}},
      {{2, 2, 3, 4}, {1, 1, 4, 5}},
      {{5, 1, 2, 3, 4}, {1, 7, 1, 4, 2}},
      {{2, 3, 4}, {2, 1, 4, 5}},
  };
  for (const auto& [a, b] : shapes) check_matmul(a, b);
}

TEST(CudaBlasPlan, MatMulFoldsSharedBAndSplitsMixedBatches) {
  // B shared by A's contiguous matrices: one plain product of 2 * 3 rows.
  std::vector<BlasCall> calls = matmul_calls(matmul_shapes({2, 3, 4}, {4, 5}));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].batch, 1);
  EXPECT_EQ(calls[0].n, 6);

  // Both contiguous: one strided batched call.
  calls = matmul_calls(matmul_shapes({2, 3, 4}, {2, 4, 5}));
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].batch, 2);
  EXPECT_EQ(calls[0].n, 3);
  EXPECT_EQ(calls[0].stride_a, 20);  // B's matrices (K x N)
  EXPECT_EQ(calls[0].stride_b, 12);  // A's matrices (M x K)
  EXPECT_EQ(calls[0].stride_c, 15);

  // A shared over the inner dim, contiguous over the outer: one call per outer index,
  // each batched over B's 6 matrices with A's stride 0.
  calls = matmul_calls(matmul_shapes({2, 1, 3, 4}, {1, 6, 4, 5}));
  ASSERT_EQ(calls.size(), 2u);
  for (size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].batch, 6);
    EXPECT_EQ(calls[i].stride_a, 20);
    EXPECT_EQ(calls[i].stride_b, 0);
    EXPECT_EQ(calls[i].offset_a, 0);
    EXPECT_EQ(calls[i].offset_b, int64_t(i) * 12);
    EXPECT_EQ(calls[i].offset_c, int64_t(i) * 6 * 15);
  }
}

TEST(CudaBlasPlan, MatMulBroadcastsEmptyBatches) {
  EXPECT_EQ(matmul_shapes({0, 3, 4}, {4, 5}).batch, Shape{0});
  EXPECT_EQ(matmul_shapes({2, 1, 3, 4}, {0, 4, 5}).batch, (Shape{2, 0}));
  EXPECT_EQ(matmul_shapes({1, 3, 4}, {0, 4, 5}).batch, Shape{0});
}

TEST(CudaBlasPlan, MatMulOffCublasWhenEmpty) {
  EXPECT_TRUE(matmul_fits_cublas(matmul_shapes({2, 3, 4}, {4, 5})));
  EXPECT_FALSE(matmul_fits_cublas(matmul_shapes({0, 3, 4}, {4, 5})));  // no batch
  EXPECT_FALSE(matmul_fits_cublas(matmul_shapes({1, 3, 4}, {0, 4, 5})));
  EXPECT_FALSE(matmul_fits_cublas(matmul_shapes({3, 0}, {0, 5})));     // K = 0
  EXPECT_FALSE(matmul_fits_cublas(matmul_shapes({0, 4}, {4, 5})));     // M = 0
}
