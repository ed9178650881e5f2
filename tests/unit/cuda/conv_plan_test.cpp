// Host checks of the cuDNN convolution and pooling plans (backends/cuda/conv_plan.h,
// backends/cuda/pool_plan.h). No GPU runs here: the Conv geometry (1-D lifted to 2-D,
// the excess of asymmetric pads applied by padding first, symmetric pads for cuDNN)
// is replayed as "zero-pad, then cuDNN's cross-correlation with groups, strides and
// dilations" and compared with the reference Conv; the pools cuDNN is given are
// replayed with cuDNN's pooling semantics (floor output size, max over real taps,
// averages over the whole window or the real taps) and compared with the reference
// MaxPool and AveragePool, and the others must stay off cuDNN; and the epilogue's
// fusion decisions (residual Add, trailing activation) are checked on a real
// SegmentCompiler.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "../op_test_util.h"
#include "backends/cuda/conv_plan.h"
#include "backends/cuda/pool_plan.h"
#include "backends/cuda/segment_compiler.h"
#include "ops/activation.h"

using namespace tandem;
using namespace tandem::cuda;
using namespace tandem::test_util;

namespace {

using Ints = std::vector<int64_t>;

constexpr double kConvTolerance = 1e-4;
constexpr double kPoolTolerance = 1e-5;

// Row-major offset of a multi-index.
int64_t offset(const Shape& shape, const Shape& index) {
  int64_t o = 0;
  for (size_t i = 0; i < shape.size(); ++i) o = o * shape[i] + index[i];
  return o;
}

// Calls f(index) for every multi-index of shape, last dim fastest.
template <class F>
void for_each_index(const Shape& shape, F f) {
  Shape index(shape.size(), 0);
  for (int64_t n = num_elements(shape); n > 0; --n) {
    f(index);
    for (size_t d = shape.size(); d-- > 0;) {
      if (++index[d] < shape[d]) break;
      index[d] = 0;
    }
  }
}

// ---- Conv ----

// source (g.source) zero-padded by the excess into g.x, as kernels::pad does.
std::vector<float> pad_source(const ConvGeometry& g, const Tensor& source) {
  std::vector<float> padded(size_t(num_elements(g.x)), 0.0f);
  for_each_index(g.source, [&](const Shape& i) {
    Shape j = i;
    for (size_t d = 0; d < j.size(); ++d) j[d] += g.pad_begin[d];
    padded[size_t(offset(g.x, j))] = source.data<float>()[offset(g.source, i)];
  });
  return padded;
}

// cuDNN's output size for g.x with symmetric pads: (x + 2 pad - extent) / stride + 1.
Shape cudnn_conv_output(const ConvGeometry& g) {
  Shape y{g.y[0], g.y[1]};
  for (size_t d = 0; d + 2 < g.x.size(); ++d) {
    const int64_t extent = (g.w[d + 2] - 1) * g.dilations[d] + 1;
    y.push_back((g.x[d + 2] + 2 * g.pads[d] - extent) / g.strides[d] + 1);
  }
  return y;
}

// The lowering's plan on the host: zero-pad the excess, then cuDNN's
// cross-correlation with symmetric pads, groups, strides and dilations, plus bias.
std::vector<float> emulate_conv(const ConvGeometry& g, const Tensor& x, const Tensor& w, const Tensor* b) {
  const std::vector<float> padded = pad_source(g, x);
  const size_t rank = g.x.size() - 2;
  const int64_t group_in = g.w[1], group_out = g.y[1] / g.group;
  const Shape kernel(g.w.begin() + 2, g.w.end());
  std::vector<float> y(size_t(num_elements(g.y)));
  for_each_index(g.y, [&](const Shape& o) {
    const int64_t n = o[0], m = o[1], group = m / group_out;
    double sum = b ? b->data<float>()[m] : 0.0;
    for (int64_t c = 0; c < group_in; ++c)
      for_each_index(kernel, [&](const Shape& k) {
        Shape xi{n, group * group_in + c};
        for (size_t d = 0; d < rank; ++d) {
          const int64_t p = o[d + 2] * g.strides[d] + k[d] * g.dilations[d] - g.pads[d];
          if (p < 0 || p >= g.x[d + 2]) return;
          xi.push_back(p);
        }
        Shape wi{m, c};
        wi.insert(wi.end(), k.begin(), k.end());
        sum += double(padded[size_t(offset(g.x, xi))]) * w.data<float>()[offset(g.w, wi)];
      });
    y[size_t(offset(g.y, o))] = float(sum);
  });
  return y;
}

void check_conv(const std::string& name, const Shape& x_shape, const Shape& w_shape, const Attributes& at, bool bias,
                bool want_padding) {
  SCOPED_TRACE("Conv " + name);
  GraphBuilder gb;
  const int x = gb.input("x", x_shape), w = gb.weights("w", w_shape);
  std::vector<int> ins{x, w};
  if (bias) ins.push_back(gb.weights("b", {w_shape[0]}));
  const int y = gb.node("Conv", ins, at);
  gb.output(y);
  const Graph g = gb.finish();
  const Node& node = g.nodes[0];
  std::vector<Tensor> inputs{gb.feeds[x], *g.value(w).data};
  if (bias) inputs.push_back(*g.value(ins[2]).data);
  const Tensor want = run_reference(node, g, inputs)[0];

  const std::optional<ConvGeometry> geometry = conv_geometry(node, x_shape, w_shape, g.value(y).shape);
  ASSERT_TRUE(geometry.has_value());
  EXPECT_EQ(geometry->needs_padding(), want_padding);
  EXPECT_EQ(cudnn_conv_output(*geometry), geometry->y);
  EXPECT_EQ(num_elements(geometry->y), want.numel());
  const std::vector<float> got = emulate_conv(*geometry, inputs[0], inputs[1], bias ? &inputs[2] : nullptr);
  EXPECT_LT(max_abs_diff(want, Tensor::from<float>(want.shape(), got)), kConvTolerance);
}

// ---- pooling ----

// cuDNN's floor output size for p.x with symmetric pads.
Shape cudnn_pool_output(const CudnnPoolShape& p) {
  Shape y{p.x[0], p.x[1]};
  for (size_t d = 0; d + 2 < p.x.size(); ++d) y.push_back((p.x[d + 2] + 2 * p.pads[d] - p.window[d]) / p.strides[d] + 1);
  return y;
}

// cuDNN's pooling: max over the real taps, averages over the whole window
// (COUNT_INCLUDE_PADDING) or the real taps (COUNT_EXCLUDE_PADDING).
std::vector<float> emulate_cudnn_pool(const PoolSpec& s, const CudnnPoolShape& p, const Tensor& x) {
  const size_t rank = p.x.size() - 2;
  const Shape window(p.window.begin(), p.window.end());
  std::vector<float> y(size_t(num_elements(p.y)));
  for_each_index(p.y, [&](const Shape& o) {
    double sum = 0;
    float best = -INFINITY;
    int64_t real = 0;
    for_each_index(window, [&](const Shape& k) {
      Shape xi{o[0], o[1]};
      for (size_t d = 0; d < rank; ++d) {
        const int64_t q = o[d + 2] * p.strides[d] + k[d] - p.pads[d];
        if (q < 0 || q >= p.x[d + 2]) return;
        xi.push_back(q);
      }
      const float v = x.data<float>()[offset(p.x, xi)];
      sum += v;
      best = std::max(best, v);
      ++real;
    });
    y[size_t(offset(p.y, o))] =
        s.max ? best : float(sum / double(s.count_include_pad ? num_elements(window) : real));
  });
  return y;
}

// want_cudnn: whether the lowering should run the pool on cuDNN (cudnn_pool_shape
// gives a shape and cuDNN's floor output size is the node's, as make_cudnn_pool_state
// checks); else kernels::pool runs it.
void check_pool(const std::string& name, const std::string& op, const Shape& x_shape, const Attributes& at,
                bool want_cudnn) {
  SCOPED_TRACE(op + " " + name);
  GraphBuilder gb;
  const int x = gb.input("x", x_shape);
  const int y = gb.node(op, {x}, at);
  gb.output(y);
  const Graph g = gb.finish();
  const Node& node = g.nodes[0];
  const Tensor want = run_reference(node, g, {gb.feeds[x]})[0];

  const PoolSpec s = pool_spec(node, x_shape);
  const std::optional<CudnnPoolShape> p = cudnn_pool_shape(s, x_shape, g.value(y).shape);
  const bool cudnn = p && cudnn_pool_output(*p) == p->y;
  EXPECT_EQ(cudnn, want_cudnn);
  if (!cudnn) return;
  EXPECT_EQ(num_elements(p->y), want.numel());
  const std::vector<float> got = emulate_cudnn_pool(s, *p, gb.feeds[x]);
  EXPECT_LT(max_abs_diff(want, Tensor::from<float>(want.shape(), got)), kPoolTolerance);
}

// ---- epilogue ----

// A Conv (1, 2, 4, 4) -> (1, 2, 4, 4) with bias, an Add of its output and a residual,
// and optionally a tail node reading the Add's result.
struct ResidualGraph {
  GraphBuilder gb;
  Graph graph;
  int residual = kNoValue, sum = kNoValue, out = kNoValue;
};

struct ResidualOptions {
  bool broadcast_residual = false;  // the residual is (1, 2, 1, 1)
  bool conv_activation = false;     // the Conv carries a fused Relu
  bool residual_first = true;       // the residual is a graph input, not computed after the Conv
};

// The tail is built by `tail(gb, sum)`, returning its output (or `sum` for no tail).
template <class Tail>
void build_residual_graph(ResidualGraph& r, const ResidualOptions& o, Tail tail) {
  GraphBuilder& gb = r.gb;
  const int x = gb.input("x", {1, 2, 4, 4});
  if (o.residual_first) r.residual = gb.input("r", o.broadcast_residual ? Shape{1, 2, 1, 1} : Shape{1, 2, 4, 4});
  Attributes at = attrs({{"pads", Ints{1, 1, 1, 1}}});
  if (o.conv_activation) at.set("activation", std::string("Relu"));
  const int y = gb.node("Conv", {x, gb.weights("w", {2, 2, 3, 3}), gb.weights("b", {2})}, at);
  if (!o.residual_first) r.residual = gb.node("Relu", {x});
  r.sum = gb.node("Add", {r.residual, y});
  r.out = tail(gb, r.sum);
  gb.output(r.out);
  r.graph = gb.finish();
}

ConvEpilogue epilogue_of(const ResidualGraph& r) {
  const Segment segment = whole_graph_segment(r.graph);
  const SegmentCompiler c(segment, nullptr);
  return conv_epilogue(c, r.graph.nodes[0]);
}

auto unary_tail(const std::string& op) {
  return [op](GraphBuilder& gb, int sum) { return op.empty() ? sum : gb.node(op, {sum}); };
}

// The Conv alone: bias and its own activation, nothing fused.
void expect_nothing_fused(const ResidualGraph& r, const ConvEpilogue& e, ActivationKind activation) {
  EXPECT_TRUE(e.bias);
  EXPECT_TRUE(e.fused.empty());
  EXPECT_EQ(e.residual, kNoValue);
  EXPECT_EQ(e.result, r.graph.nodes[0].outputs[0]);
  EXPECT_EQ(e.activation.kind, activation);
}

}  // namespace

TEST(CudaConvPlan, GeometryMatchesReferenceConv) {
  const std::string same_upper = "SAME_UPPER", same_lower = "SAME_LOWER", valid = "VALID";
  check_conv("2-D plain", {2, 3, 7, 6}, {4, 3, 3, 3}, {}, true, false);
  check_conv("2-D symmetric pads, stride 2", {1, 3, 9, 8}, {5, 3, 3, 3},
             attrs({{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}), true, false);
  check_conv("2-D asymmetric pads", {1, 2, 6, 7}, {3, 2, 3, 2}, attrs({{"pads", Ints{0, 2, 2, 1}}}), false, true);
  check_conv("2-D SAME_UPPER stride 2, symmetric", {1, 2, 8, 7}, {3, 2, 4, 3},
             attrs({{"auto_pad", same_upper}, {"strides", Ints{2, 2}}}), true, false);
  check_conv("2-D SAME_UPPER, odd total pad", {1, 2, 6, 6}, {3, 2, 2, 2}, attrs({{"auto_pad", same_upper}}), true,
             true);
  check_conv("2-D SAME_LOWER", {1, 2, 6, 6}, {3, 2, 2, 4}, attrs({{"auto_pad", same_lower}}), true, true);
  check_conv("2-D VALID dilated", {1, 2, 9, 9}, {2, 2, 3, 3},
             attrs({{"auto_pad", valid}, {"dilations", Ints{2, 3}}}), false, false);
  check_conv("2-D groups, asymmetric pads", {2, 6, 5, 5}, {9, 2, 3, 3},
             attrs({{"group", int64_t(3)}, {"pads", Ints{1, 0, 2, 1}}}), true, true);
  check_conv("2-D depthwise", {1, 4, 5, 5}, {4, 1, 3, 3}, attrs({{"group", int64_t(4)}, {"pads", Ints{1, 1, 1, 1}}}),
             true, false);
  check_conv("1-D asymmetric pads, stride 2", {2, 3, 10}, {4, 3, 3}, attrs({{"pads", Ints{2, 1}}, {"strides", Ints{2}}}),
             true, true);
  check_conv("1-D SAME_UPPER dilated", {1, 2, 9}, {2, 2, 2}, attrs({{"auto_pad", same_upper}, {"dilations", Ints{2}}}),
             false, false);
  check_conv("3-D asymmetric pads", {1, 2, 4, 5, 6}, {3, 2, 2, 3, 3},
             attrs({{"pads", Ints{1, 0, 1, 0, 1, 2}}, {"strides", Ints{1, 2, 1}}}), true, true);
}

TEST(CudaConvPlan, OneDimensionalConvLiftsToHeightOne) {
  GraphBuilder gb;
  const int x = gb.input("x", {2, 3, 10});
  const int y = gb.node("Conv", {x, gb.weights("w", {4, 3, 3})}, attrs({{"pads", Ints{2, 1}}, {"strides", Ints{2}}}));
  gb.output(y);
  const Graph g = gb.finish();
  const std::optional<ConvGeometry> geometry = conv_geometry(g.nodes[0], {2, 3, 10}, {4, 3, 3}, g.value(y).shape);
  ASSERT_TRUE(geometry.has_value());
  EXPECT_EQ(geometry->source, (Shape{2, 3, 1, 10}));
  EXPECT_EQ(geometry->x, (Shape{2, 3, 1, 11}));  // one extra zero before the row
  EXPECT_EQ(geometry->pad_begin, (Shape{0, 0, 0, 1}));
  EXPECT_EQ(geometry->w, (Shape{4, 3, 1, 3}));
  EXPECT_EQ(geometry->y, (Shape{2, 4, 1, 6}));
  EXPECT_EQ(geometry->pads, (std::vector<int>{0, 1}));
  EXPECT_EQ(geometry->strides, (std::vector<int>{1, 2}));
  EXPECT_EQ(geometry->dilations, (std::vector<int>{1, 1}));
  EXPECT_EQ(geometry->spatial_outputs(), 6);
}

TEST(CudaPoolPlan, CudnnPoolsMatchReference) {
  const std::string same_upper = "SAME_UPPER";
  check_pool("2x2 stride 2", "MaxPool", {1, 2, 6, 6}, attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}),
             true);
  check_pool("3x3 stride 2 pads 1", "MaxPool", {2, 3, 7, 8},
             attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}), true);
  check_pool("ceil_mode not changing the size", "MaxPool", {1, 2, 8, 8},
             attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}), true);
  check_pool("1-D", "MaxPool", {2, 3, 9}, attrs({{"kernel_shape", Ints{3}}, {"strides", Ints{2}}, {"pads", Ints{1, 1}}}),
             true);
  check_pool("3-D", "MaxPool", {1, 2, 4, 5, 6},
             attrs({{"kernel_shape", Ints{2, 2, 3}}, {"pads", Ints{1, 1, 1, 1, 1, 1}}}), true);
  check_pool("SAME_UPPER symmetric", "MaxPool", {1, 2, 5, 5},
             attrs({{"kernel_shape", Ints{3, 3}}, {"auto_pad", same_upper}}), true);
  check_pool("exclude pad", "AveragePool", {2, 3, 7, 8},
             attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}}), true);
  check_pool("include pad", "AveragePool", {2, 3, 7, 8},
             attrs({{"kernel_shape", Ints{3, 3}},
                    {"strides", Ints{2, 2}},
                    {"pads", Ints{1, 1, 1, 1}},
                    {"count_include_pad", int64_t(1)}}),
             true);
  check_pool("include pad 1-D", "AveragePool", {1, 2, 9},
             attrs({{"kernel_shape", Ints{4}}, {"strides", Ints{3}}, {"pads", Ints{2, 2}}, {"count_include_pad", int64_t(1)}}),
             true);
}

TEST(CudaPoolPlan, OtherPoolsStayOffCudnn) {
  const std::string same_upper = "SAME_UPPER";
  check_pool("asymmetric pads", "MaxPool", {1, 2, 6, 6}, attrs({{"kernel_shape", Ints{3, 3}}, {"pads", Ints{0, 1, 1, 0}}}),
             false);
  check_pool("dilated", "MaxPool", {1, 2, 7, 7}, attrs({{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}), false);
  check_pool("ceil_mode changing the size", "MaxPool", {1, 2, 7, 7},
             attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}), false);
  check_pool("SAME_UPPER asymmetric", "MaxPool", {1, 2, 6, 6},
             attrs({{"kernel_shape", Ints{2, 2}}, {"auto_pad", same_upper}}), false);
  check_pool("include pad with ceil_mode", "AveragePool", {1, 2, 6, 6},
             attrs({{"kernel_shape", Ints{3, 3}},
                    {"strides", Ints{2, 2}},
                    {"pads", Ints{1, 1, 1, 1}},
                    {"ceil_mode", int64_t(1)},
                    {"count_include_pad", int64_t(1)}}),
             false);
}

TEST(CudaPoolPlan, MaxPoolIndicesStayOffCudnn) {
  GraphBuilder gb;
  const int x = gb.input("x", {1, 2, 6, 6});
  const std::vector<int> outs = gb.node_outputs(
      "MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}), {"y", "indices"});
  gb.output(outs[0]);
  gb.output(outs[1]);
  const Graph g = gb.finish();
  const PoolSpec s = pool_spec(g.nodes[0], {1, 2, 6, 6});
  EXPECT_TRUE(s.max);
  EXPECT_TRUE(s.indices);
  EXPECT_FALSE(cudnn_pool_shape(s, {1, 2, 6, 6}, g.value(outs[0]).shape).has_value());
}

TEST(CudaConvPlan, EpilogueFusesResidualAddAndActivation) {
  for (const auto& [tail, kind] : {std::pair<std::string, ActivationKind>{"Relu", ActivationKind::Relu},
                                   {"Sigmoid", ActivationKind::Sigmoid},
                                   {"Tanh", ActivationKind::Tanh}}) {
    SCOPED_TRACE("Conv + Add + " + tail);
    ResidualGraph r;
    build_residual_graph(r, {}, unary_tail(tail));
    const ConvEpilogue e = epilogue_of(r);
    EXPECT_TRUE(e.bias);
    EXPECT_EQ(e.residual, r.residual);
    EXPECT_EQ(e.fused, (std::vector<int>{1, 2}));
    EXPECT_EQ(e.result, r.out);
    EXPECT_EQ(e.activation.kind, kind);
  }
}

TEST(CudaConvPlan, EpilogueFusesResidualAddAlone) {
  ResidualGraph r;
  build_residual_graph(r, {}, unary_tail(""));
  const ConvEpilogue e = epilogue_of(r);
  EXPECT_EQ(e.residual, r.residual);
  EXPECT_EQ(e.fused, (std::vector<int>{1}));
  EXPECT_EQ(e.result, r.sum);
  EXPECT_EQ(e.activation.kind, ActivationKind::None);
}

TEST(CudaConvPlan, EpilogueTakesActivationParameters) {
  ResidualGraph leaky;
  build_residual_graph(leaky, {}, [](GraphBuilder& gb, int sum) {
    return gb.node("LeakyRelu", {sum}, attrs({{"alpha", 0.2f}}));
  });
  ConvEpilogue e = epilogue_of(leaky);
  EXPECT_EQ(e.fused.size(), 2u);
  EXPECT_EQ(e.activation.kind, ActivationKind::LeakyRelu);
  EXPECT_FLOAT_EQ(e.activation.alpha, 0.2f);

  ResidualGraph leaky_default;
  build_residual_graph(leaky_default, {}, unary_tail("LeakyRelu"));
  e = epilogue_of(leaky_default);
  EXPECT_EQ(e.activation.kind, ActivationKind::LeakyRelu);
  EXPECT_FLOAT_EQ(e.activation.alpha, 0.01f);

  ResidualGraph clip;
  build_residual_graph(clip, {}, [](GraphBuilder& gb, int sum) {
    return gb.node("Clip", {sum, gb.scalar("low", -0.5f), gb.scalar("high", 6.0f)});
  });
  e = epilogue_of(clip);
  EXPECT_EQ(e.fused.size(), 2u);
  EXPECT_EQ(e.activation.kind, ActivationKind::Clip);
  EXPECT_FLOAT_EQ(e.activation.alpha, -0.5f);
  EXPECT_FLOAT_EQ(e.activation.beta, 6.0f);

  ResidualGraph clip_upper_only;
  build_residual_graph(clip_upper_only, {}, [](GraphBuilder& gb, int sum) {
    return gb.node("Clip", {sum, kNoValue, gb.scalar("high", 6.0f)});
  });
  e = epilogue_of(clip_upper_only);
  EXPECT_EQ(e.activation.kind, ActivationKind::Clip);
  EXPECT_EQ(e.activation.alpha, -INFINITY);
  EXPECT_FLOAT_EQ(e.activation.beta, 6.0f);
}

TEST(CudaConvPlan, EpilogueKeepsUnfusableNodes) {
  {
    SCOPED_TRACE("the Conv has its own activation");
    ResidualGraph r;
    build_residual_graph(r, {.conv_activation = true}, unary_tail("Relu"));
    expect_nothing_fused(r, epilogue_of(r), ActivationKind::Relu);
  }
  {
    SCOPED_TRACE("the Add broadcasts the residual");
    ResidualGraph r;
    build_residual_graph(r, {.broadcast_residual = true}, unary_tail("Relu"));
    expect_nothing_fused(r, epilogue_of(r), ActivationKind::None);
  }
  {
    SCOPED_TRACE("the residual is computed after the Conv");
    ResidualGraph r;
    build_residual_graph(r, {.residual_first = false}, unary_tail("Relu"));
    expect_nothing_fused(r, epilogue_of(r), ActivationKind::None);
  }
}
