// The neural-network OpDefs: shape inference, FLOPs and reference kernels checked
// against hand-computed cases, brute-force oracles and properties (identity
// kernels, grouped = split convs, ceil_mode sizes, Indices), and bad models raising
// tandem::Error rather than crashing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ops/activation.h"
#include "ops/nn_util.h"
#include "ops/op.h"
#include "tandem/error.h"

using namespace tandem;

namespace {

using Floats = std::vector<float>;

Tensor floats(Shape shape, Floats values) { return Tensor::from<float>(std::move(shape), values); }

Tensor random_tensor(Shape shape, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  Floats values(static_cast<size_t>(num_elements(shape)));
  for (float& v : values) v = dist(rng);
  return floats(std::move(shape), values);
}

Tensor arange(Shape shape, float start = 0) {
  Floats values(static_cast<size_t>(num_elements(shape)));
  for (size_t i = 0; i < values.size(); ++i) values[i] = start + float(i);
  return floats(std::move(shape), values);
}

// A one-node graph: every non-empty input tensor becomes a graph input (an empty
// tensor an absent optional input); shapes are inferred on construction.
struct OneNode {
  Graph graph;
  Node node;

  OneNode(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {}, size_t outputs = 1) {
    node.name = "n";
    node.op = op;
    node.attrs = std::move(attrs);
    for (size_t i = 0; i < inputs.size(); ++i) {
      if (inputs[i].empty()) {
        node.inputs.push_back(kNoValue);
        continue;
      }
      int id = graph.add_value("in" + std::to_string(i), inputs[i].dtype(), inputs[i].shape());
      graph.inputs.push_back(id);
      node.inputs.push_back(id);
    }
    for (size_t i = 0; i < outputs; ++i) node.outputs.push_back(graph.add_value("out" + std::to_string(i)));
    graph.outputs = node.outputs;
    graph.nodes.push_back(node);
    infer_shapes(graph);
  }
  const Shape& output_shape(size_t i = 0) const { return graph.output(node, i).shape; }
  std::vector<Tensor> run(const std::vector<Tensor>& inputs) const { return run_reference(node, graph, inputs); }
  double flops() const { return node_cost(node, graph).flops; }
};

std::vector<Tensor> run_op(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {},
                           size_t outputs = 1) {
  return OneNode(op, inputs, std::move(attrs), outputs).run(inputs);
}

Tensor run1(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {}) {
  return run_op(op, inputs, std::move(attrs))[0];
}

Attributes attrs(std::initializer_list<std::pair<std::string, AttributeValue>> list) {
  Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

using Ints = std::vector<int64_t>;

void expect_near_all(const Tensor& got, const Tensor& want, float tolerance = 1e-5f) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_NEAR(got.data<float>()[i], want.data<float>()[i], tolerance) << "element " << i;
}

void expect_values(const Tensor& got, Shape shape, const Floats& want, float tolerance = 1e-5f) {
  expect_near_all(got, floats(std::move(shape), want), tolerance);
}

// Expects building (inferring) the node to throw tandem::Error of `kind`.
void expect_error(ErrorKind kind, const std::string& op, const std::vector<Tensor>& inputs, Attributes a = {},
                  size_t outputs = 1) {
  try {
    OneNode n(op, inputs, std::move(a), outputs);
    FAIL() << "no error for " << op;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    EXPECT_NE(std::string(e.what()).find(op + " 'n'"), std::string::npos) << "message names the node: " << e.what();
  }
}

// An independent brute-force 2-D convolution: every output, every tap, bounds checked.
Tensor naive_conv2d(const Tensor& x, const Tensor& w, const Tensor& b, int64_t group, Ints strides, Ints dilations,
                    Ints pads) {
  int64_t n_ = x.dim(0), c_ = x.dim(1), h = x.dim(2), wd = x.dim(3);
  int64_t m_ = w.dim(0), cg = w.dim(1), kh = w.dim(2), kw = w.dim(3);
  int64_t oh = (h + pads[0] + pads[2] - ((kh - 1) * dilations[0] + 1)) / strides[0] + 1;
  int64_t ow = (wd + pads[1] + pads[3] - ((kw - 1) * dilations[1] + 1)) / strides[1] + 1;
  Tensor y(DType::f32, {n_, m_, oh, ow});
  int64_t mg = m_ / group;
  for (int64_t n = 0; n < n_; ++n)
    for (int64_t m = 0; m < m_; ++m)
      for (int64_t i = 0; i < oh; ++i)
        for (int64_t j = 0; j < ow; ++j) {
          double sum = b.empty() ? 0 : b.data<float>()[m];
          for (int64_t c = 0; c < cg; ++c)
            for (int64_t p = 0; p < kh; ++p)
              for (int64_t q = 0; q < kw; ++q) {
                int64_t ih = i * strides[0] + p * dilations[0] - pads[0];
                int64_t iw = j * strides[1] + q * dilations[1] - pads[1];
                if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
                int64_t channel = (m / mg) * cg + c;
                sum += double(x.data<float>()[((n * c_ + channel) * h + ih) * wd + iw]) *
                       w.data<float>()[((m * cg + c) * kh + p) * kw + q];
              }
          y.data<float>()[((n * m_ + m) * oh + i) * ow + j] = float(sum);
        }
  return y;
}

// Channels [first, first + count) of an (N, C, ...) tensor.
Tensor channel_slice(const Tensor& t, int64_t first, int64_t count) {
  Shape shape = t.shape();
  shape[1] = count;
  Tensor out(DType::f32, shape);
  int64_t plane = t.numel() / (t.dim(0) * t.dim(1));
  for (int64_t n = 0; n < t.dim(0); ++n)
    std::copy_n(t.data<float>() + (n * t.dim(1) + first) * plane, count * plane,
                out.data<float>() + n * count * plane);
  return out;
}

}  // namespace

// ---------------------------------------------------------------- Conv

TEST(NnConv, OnnxStridedCasesMatchPublishedOutputs) {
  Tensor x = arange({1, 1, 7, 5});
  Tensor w = floats({1, 1, 3, 3}, Floats(9, 1.0f));
  expect_values(run1("Conv", {x, w}, attrs({{"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}})), {1, 1, 4, 3},
                {12, 27, 24, 63, 108, 81, 123, 198, 141, 112, 177, 124});
  expect_values(run1("Conv", {x, w}, attrs({{"strides", Ints{2, 2}}})), {1, 1, 3, 2}, {54, 72, 144, 162, 234, 252});
  expect_values(run1("Conv", {x, w}, attrs({{"pads", Ints{1, 0, 1, 0}}, {"strides", Ints{2, 2}}})), {1, 1, 4, 2},
                {21, 33, 99, 117, 189, 207, 171, 183});
  Tensor x5 = arange({1, 1, 5, 5});
  expect_values(run1("Conv", {x5, w}, attrs({{"auto_pad", std::string("SAME_LOWER")}, {"strides", Ints{2, 2}}})),
                {1, 1, 3, 3}, {12, 27, 24, 63, 108, 81, 72, 117, 84});
}

TEST(NnConv, IdentityKernelsReproduceTheInput) {
  Tensor x = random_tensor({2, 3, 5, 4}, 1);
  // 3x3 kernels with a centred 1 on the diagonal channel, pads 1: y == x.
  Tensor w(DType::f32, {3, 3, 3, 3});
  for (int64_t c = 0; c < 3; ++c) w.data<float>()[((c * 3 + c) * 3 + 1) * 3 + 1] = 1;
  expect_near_all(run1("Conv", {x, w}, attrs({{"pads", Ints{1, 1, 1, 1}}})), x, 0);
  // Depthwise 1x1 identity with bias 0.5.
  Tensor w1 = floats({3, 1, 1, 1}, {1, 1, 1});
  Tensor y = run1("Conv", {x, w1, floats({3}, {0.5f, 0.5f, 0.5f})}, attrs({{"group", int64_t(3)}}));
  for (int64_t i = 0; i < x.numel(); ++i) ASSERT_FLOAT_EQ(y.data<float>()[i], x.data<float>()[i] + 0.5f);
}

TEST(NnConv, MatchesBruteForceOverStridesDilationsPadsAndGroups) {
  struct Case {
    Shape x, w;
    int64_t group;
    Ints strides, dilations, pads;
  };
  const Case cases[] = {
      {{2, 4, 7, 6}, {6, 2, 3, 3}, 2, {1, 1}, {1, 1}, {1, 1, 1, 1}},
      {{1, 3, 9, 8}, {5, 3, 3, 2}, 1, {2, 3}, {2, 1}, {0, 2, 1, 0}},
      {{1, 4, 6, 6}, {8, 1, 3, 3}, 4, {2, 2}, {1, 1}, {1, 1, 1, 1}},  // depthwise, multiplier 2
      {{3, 2, 5, 7}, {4, 2, 5, 1}, 1, {1, 2}, {1, 1}, {3, 0, 3, 0}},  // pads larger than needed
      {{1, 6, 11, 10}, {3, 2, 2, 3}, 3, {3, 1}, {3, 2}, {2, 1, 0, 2}},
      {{2, 5, 4, 37}, {9, 5, 2, 3}, 1, {1, 2}, {1, 1}, {1, 1, 0, 1}},  // several column blocks
  };
  uint32_t seed = 10;
  for (const Case& c : cases) {
    Tensor x = random_tensor(c.x, seed++), w = random_tensor(c.w, seed++), b = random_tensor({c.w[0]}, seed++);
    Attributes a = attrs({{"group", c.group}, {"strides", c.strides}, {"dilations", c.dilations}, {"pads", c.pads}});
    expect_near_all(run1("Conv", {x, w, b}, a), naive_conv2d(x, w, b, c.group, c.strides, c.dilations, c.pads));
    expect_near_all(run1("Conv", {x, w}, a), naive_conv2d(x, w, Tensor(), c.group, c.strides, c.dilations, c.pads));
  }
}

TEST(NnConv, GroupedConvEqualsSplitConvs) {
  Tensor x = random_tensor({2, 6, 5, 5}, 3), w = random_tensor({4, 3, 3, 3}, 4);
  Attributes grouped = attrs({{"group", int64_t(2)}, {"pads", Ints{1, 1, 1, 1}}});
  Tensor y = run1("Conv", {x, w}, grouped);
  Attributes single = attrs({{"pads", Ints{1, 1, 1, 1}}});
  for (int64_t g = 0; g < 2; ++g) {  // group g: input channels 3g.., output channels 2g..
    Tensor w_part(DType::f32, {2, 3, 3, 3});
    std::copy_n(w.data<float>() + g * 2 * 27, 2 * 27, w_part.data<float>());
    Tensor part = run1("Conv", {channel_slice(x, 3 * g, 3), w_part}, single);
    expect_near_all(channel_slice(y, 2 * g, 2), part, 0);
  }
}

TEST(NnConv, OneAndThreeSpatialDims) {
  // 1-D: x (1, 1, 5) = 0..4, kernel [1, 2], dilation 2, pad 1 at the end.
  Tensor y1 = run1("Conv", {arange({1, 1, 5}), floats({1, 1, 2}, {1, 2})},
                   attrs({{"dilations", Ints{2}}, {"pads", Ints{0, 1}}}));
  expect_values(y1, {1, 1, 4}, {0 + 2 * 2, 1 + 2 * 3, 2 + 2 * 4, 3});
  // 3-D: a 2x2x2 all-ones kernel sums each 2x2x2 block; stride 2.
  Tensor x = arange({1, 1, 2, 2, 4});
  Tensor y3 = run1("Conv", {x, floats({1, 1, 2, 2, 2}, Floats(8, 1))}, attrs({{"strides", Ints{2, 2, 2}}}));
  expect_values(y3, {1, 1, 1, 1, 2}, {0 + 1 + 4 + 5 + 8 + 9 + 12 + 13, 2 + 3 + 6 + 7 + 10 + 11 + 14 + 15});
}

TEST(NnConv, FusedActivationEqualsSeparateActivation) {
  Tensor x = random_tensor({1, 2, 4, 4}, 5), w = random_tensor({3, 2, 3, 3}, 6);
  Tensor plain = run1("Conv", {x, w});
  struct Fused {
    std::string op;
    Attributes conv, separate;
    std::vector<Tensor> extra;
  };
  std::vector<Fused> cases = {
      {"Relu", attrs({{"activation", std::string("Relu")}}), {}, {}},
      {"LeakyRelu", attrs({{"activation", std::string("LeakyRelu")}, {"activation_alpha", 0.2f}}), attrs({{"alpha", 0.2f}}), {}},
      {"Clip", attrs({{"activation", std::string("Clip")}, {"activation_alpha", -0.1f}, {"activation_beta", 0.3f}}), {},
       {floats({}, {-0.1f}), floats({}, {0.3f})}},
      {"Sigmoid", attrs({{"activation", std::string("Sigmoid")}}), {}, {}},
      {"Tanh", attrs({{"activation", std::string("Tanh")}}), {}, {}},
  };
  for (const Fused& f : cases) {
    std::vector<Tensor> separate_inputs{plain};
    separate_inputs.insert(separate_inputs.end(), f.extra.begin(), f.extra.end());
    expect_near_all(run1("Conv", {x, w}, f.conv), run1(f.op, separate_inputs, f.separate), 1e-6f);
  }
}

TEST(NnConv, FlopsCountMultiplyAddsBiasAndActivation) {
  Tensor x(DType::f32, {2, 4, 8, 8}), w(DType::f32, {6, 2, 3, 3}), b(DType::f32, {6});
  OneNode plain("Conv", {x, w}, attrs({{"group", int64_t(2)}, {"pads", Ints{1, 1, 1, 1}}}));
  double outputs = 2.0 * 6 * 8 * 8;
  EXPECT_DOUBLE_EQ(plain.flops(), 2 * outputs * 2 * 9);
  OneNode fused("Conv", {x, w, b}, attrs({{"group", int64_t(2)}, {"pads", Ints{1, 1, 1, 1}}, {"activation", std::string("Relu")}}));
  EXPECT_DOUBLE_EQ(fused.flops(), 2 * outputs * 2 * 9 + 2 * outputs);
}

TEST(NnConv, BadModelsRaiseErrorsNamingTheNode) {
  Tensor x(DType::f32, {1, 4, 5, 5});
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 3, 3, 3})});  // channels
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {3, 2, 3, 3})}, attrs({{"group", int64_t(2)}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"group", int64_t(0)}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 7, 3})});  // kernel > input
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3})});     // rank
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3}), Tensor(DType::f32, {3})});
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"kernel_shape", Ints{2, 2}}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"strides", Ints{0, 1}}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"pads", Ints{1, 1}}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"auto_pad", std::string("SAME")}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"strides", 2.0f}}));
  expect_error(ErrorKind::Unsupported, "Conv", {x, Tensor(DType::f32, {2, 4, 3, 3})}, attrs({{"activation", std::string("Gelu")}}));
  expect_error(ErrorKind::InvalidModel, "Conv", {x});
  expect_error(ErrorKind::Unsupported, "Conv", {Tensor(DType::f64, {1, 4, 5, 5}), Tensor(DType::f32, {2, 4, 3, 3})});
}

// ---------------------------------------------------------------- window geometry

TEST(NnWindow, CeilModeAndAutoPadOutputSizes) {
  Node node;
  node.op = "MaxPool";
  node.name = "n";
  WindowOptions pool{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  node.attrs = attrs({{"strides", Ints{2}}, {"ceil_mode", int64_t(1)}});
  EXPECT_EQ(window_geometry(node, {4}, {3}, pool).output, Ints{2});  // floor would give 1
  EXPECT_EQ(window_geometry(node, {5}, {3}, pool).output, Ints{2});  // exact fit
  // A window that would start in the right padding is dropped: (5 + 2 - 2) / 2 -> 3, not 4.
  node.attrs.set("pads", Ints{1, 1});
  EXPECT_EQ(window_geometry(node, {5}, {2}, pool).output, Ints{3});
  EXPECT_EQ(window_geometry(node, {6}, {3}, pool).output, Ints{4});
  node.attrs = attrs({{"strides", Ints{2}}, {"auto_pad", std::string("SAME_UPPER")}});
  WindowGeometry upper = window_geometry(node, {7}, {4}, pool);  // 3 pads in all
  EXPECT_EQ(upper.output, Ints{4});
  EXPECT_EQ(upper.pads_begin, Ints{1});
  EXPECT_EQ(upper.pads_end, Ints{2});
  node.attrs.set("auto_pad", std::string("SAME_LOWER"));
  WindowGeometry lower = window_geometry(node, {7}, {4}, pool);
  EXPECT_EQ(lower.pads_begin, Ints{2});
  EXPECT_EQ(lower.pads_end, Ints{1});
  node.attrs.set("auto_pad", std::string("VALID"));
  EXPECT_EQ(window_geometry(node, {7}, {4}, pool).output, Ints{2});
  node.attrs.set("ceil_mode", int64_t(1));  // no effect under auto_pad (ONNX's formulas)
  EXPECT_EQ(window_geometry(node, {7}, {4}, pool).output, Ints{2});
}

// ---------------------------------------------------------------- pools

TEST(NnPool, MaxPoolWithIndicesInBothStorageOrders) {
  Tensor x = arange({1, 2, 5, 5}, 1);
  Attributes a = attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}});
  std::vector<Tensor> row = run_op("MaxPool", {x}, a, 2);
  expect_values(row[0], {1, 2, 2, 2}, {7, 9, 17, 19, 32, 34, 42, 44});
  EXPECT_EQ(row[1].dtype(), DType::i64);
  EXPECT_EQ(row[1].to_int64s(), (Ints{6, 8, 16, 18, 31, 33, 41, 43}));
  a.set("storage_order", int64_t(1));
  std::vector<Tensor> col = run_op("MaxPool", {x}, a, 2);
  EXPECT_EQ(col[1].to_int64s(), (Ints{6, 16, 8, 18, 31, 41, 33, 43}));
}

TEST(NnPool, MaxPoolIgnoresPaddingAndHandlesCeilModeAndDilations) {
  Tensor x = arange({1, 1, 3, 3}, -20);  // all negative: padding must not win
  Tensor y = run1("MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"strides", Ints{2, 2}}}));
  expect_values(y, {1, 1, 2, 2}, {-20, -18, -14, -12});
  Tensor ceil = run1("MaxPool", {arange({1, 1, 4, 4})}, attrs({{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}}));
  expect_values(ceil, {1, 1, 2, 2}, {10, 11, 14, 15});
  Tensor dilated = run1("MaxPool", {arange({1, 1, 4, 4})}, attrs({{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 2}}}));
  expect_values(dilated, {1, 1, 2, 2}, {10, 11, 14, 15});
  std::vector<Tensor> bytes = run_op("MaxPool", {Tensor::from<uint8_t>({1, 1, 1, 3}, {3, 250, 7})},
                                     attrs({{"kernel_shape", Ints{1, 2}}}));
  EXPECT_EQ(bytes[0].to_int64s(), (Ints{250, 250}));
}

TEST(NnPool, AveragePoolCountIncludePadAndCeilOverhang) {
  Tensor ones = floats({1, 1, 3, 3}, Floats(9, 1));
  Attributes a = attrs({{"kernel_shape", Ints{3, 3}}, {"pads", Ints{1, 1, 1, 1}}});
  expect_values(run1("AveragePool", {ones}, a), {1, 1, 3, 3}, Floats(9, 1));
  a.set("count_include_pad", int64_t(1));
  float c = 4.0f / 9, e = 6.0f / 9;
  expect_values(run1("AveragePool", {ones}, a), {1, 1, 3, 3}, {c, e, c, e, 1, e, c, e, c});
  // ceil_mode: the last window overhangs the (padded) input; only taps inside it count.
  Tensor row = arange({1, 1, 1, 5}, 1);
  Attributes ceil = attrs({{"kernel_shape", Ints{1, 2}}, {"strides", Ints{1, 2}}, {"ceil_mode", int64_t(1)}});
  expect_values(run1("AveragePool", {row}, ceil), {1, 1, 1, 3}, {1.5f, 3.5f, 5});
  ceil.set("count_include_pad", int64_t(1));
  expect_values(run1("AveragePool", {row}, ceil), {1, 1, 1, 3}, {1.5f, 3.5f, 5});
  ceil.set("pads", Ints{0, 1, 0, 1});
  expect_values(run1("AveragePool", {row}, ceil), {1, 1, 1, 3}, {0.5f, 2.5f, 4.5f});
}

TEST(NnPool, OneAndThreeDimensionalPools) {
  expect_values(run1("AveragePool", {arange({1, 1, 5})}, attrs({{"kernel_shape", Ints{2}}})), {1, 1, 4}, {0.5f, 1.5f, 2.5f, 3.5f});
  Tensor x = arange({1, 1, 2, 2, 2});
  expect_values(run1("MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2, 2}}})), {1, 1, 1, 1, 1}, {7});
  expect_values(run1("AveragePool", {x}, attrs({{"kernel_shape", Ints{2, 1, 2}}})), {1, 1, 1, 2, 1}, {2.5f, 4.5f});
  // 3-D Indices, column-major: the first spatial dim varies fastest.
  std::vector<Tensor> idx = run_op("MaxPool", {x}, attrs({{"kernel_shape", Ints{1, 2, 2}}, {"storage_order", int64_t(1)}}), 2);
  EXPECT_EQ(idx[1].to_int64s(), (Ints{0 + 1 * 2 + 1 * 4, 1 + 1 * 2 + 1 * 4}));
}

TEST(NnPool, GlobalPoolsReduceEachPlane) {
  Tensor x = arange({2, 2, 2, 3});
  expect_values(run1("GlobalAveragePool", {x}), {2, 2, 1, 1}, {2.5f, 8.5f, 14.5f, 20.5f});
  expect_values(run1("GlobalMaxPool", {x}), {2, 2, 1, 1}, {5, 11, 17, 23});
  expect_values(run1("GlobalAveragePool", {arange({1, 1, 2, 2, 2})}), {1, 1, 1, 1, 1}, {3.5f});
}

TEST(NnPool, FlopsCountKernelElementsPerOutput) {
  OneNode pool("MaxPool", {Tensor(DType::f32, {2, 3, 8, 8})}, attrs({{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}}));
  EXPECT_EQ(pool.output_shape(), (Shape{2, 3, 4, 4}));
  EXPECT_DOUBLE_EQ(pool.flops(), 2.0 * 3 * 16 * 4);
}

TEST(NnPool, BadModelsRaiseErrors) {
  Tensor x(DType::f32, {1, 1, 4, 4});
  expect_error(ErrorKind::InvalidModel, "MaxPool", {x});  // no kernel_shape
  expect_error(ErrorKind::InvalidModel, "MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"pads", Ints{2, 0, 0, 0}}}));
  expect_error(ErrorKind::InvalidModel, "MaxPool", {x}, attrs({{"kernel_shape", Ints{5, 5}}}));
  expect_error(ErrorKind::InvalidModel, "MaxPool", {x}, attrs({{"kernel_shape", Ints{2}}}));
  expect_error(ErrorKind::InvalidModel, "MaxPool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"storage_order", int64_t(2)}}));
  expect_error(ErrorKind::InvalidModel, "AveragePool", {x}, attrs({{"kernel_shape", Ints{2, 2}}, {"ceil_mode", int64_t(3)}}));
  expect_error(ErrorKind::InvalidModel, "AveragePool", {Tensor(DType::f32, {4, 4})}, attrs({{"kernel_shape", Ints{2}}}));
  expect_error(ErrorKind::InvalidModel, "GlobalMaxPool", {Tensor(DType::f32, {2, 3})});
  expect_error(ErrorKind::InvalidModel, "GlobalAveragePool", {Tensor(DType::f32, {1, 3, 0, 2})});
}

// ---------------------------------------------------------------- LRN, BatchNormalization

TEST(NnNorm, LrnFollowsOnnxChannelWindow) {
  Tensor x = floats({1, 3, 1, 1}, {1, 2, 3});
  // size 3, alpha / size = 1: windows {0,1}, {0,1,2}, {1,2}.
  expect_values(run1("LRN", {x}, attrs({{"size", int64_t(3)}, {"alpha", 3.0f}, {"beta", 1.0f}, {"bias", 1.0f}})), {1, 3, 1, 1},
                {1.0f / 6, 2.0f / 15, 3.0f / 14});
  // size 2: floor(1/2) = 0 channels before, ceil(1/2) = 1 after: {0,1}, {1,2}, {2}.
  expect_values(run1("LRN", {x}, attrs({{"size", int64_t(2)}, {"alpha", 2.0f}, {"beta", 1.0f}, {"bias", 1.0f}})), {1, 3, 1, 1},
                {1.0f / 6, 2.0f / 14, 3.0f / 10});
  // Defaults alpha 1e-4, beta 0.75, bias 1.
  Tensor y = run1("LRN", {x}, attrs({{"size", int64_t(1)}}));
  EXPECT_NEAR(y.data<float>()[2], 3.0 / std::pow(1 + 1e-4 * 9, 0.75), 1e-6);
  expect_error(ErrorKind::InvalidModel, "LRN", {x});
  expect_error(ErrorKind::InvalidModel, "LRN", {x}, attrs({{"size", int64_t(0)}}));
}

TEST(NnNorm, BatchNormalizationPerChannel) {
  Tensor x = floats({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scale = floats({2}, {2, 1}), shift = floats({2}, {0.5f, -1}), mean = floats({2}, {1, 3}), var = floats({2}, {4, 0.25f});
  Tensor y = run1("BatchNormalization", {x, scale, shift, mean, var}, attrs({{"epsilon", 0.0f}}));
  expect_values(y, {1, 2, 1, 2}, {0.5f, 1.5f, -1, 1});
  expect_values(run1("BatchNormalization", {floats({2, 2}, {1, 3, 3, 4}), scale, shift, mean, var}, attrs({{"epsilon", 0.0f}})),
                {2, 2}, {0.5f, -1, 2.5f, 1});
  expect_error(ErrorKind::Unsupported, "BatchNormalization", {x, scale, shift, mean, var}, attrs({{"training_mode", int64_t(1)}}));
  expect_error(ErrorKind::Unsupported, "BatchNormalization", {x, scale, shift, mean, var}, {}, 3);
  expect_error(ErrorKind::InvalidModel, "BatchNormalization", {x, floats({3}, {1, 1, 1}), shift, mean, var});
  expect_error(ErrorKind::InvalidModel, "BatchNormalization", {x, scale, shift, mean});
}

// ---------------------------------------------------------------- Gemm, MatMul

TEST(NnDense, GemmTransposesScalesAndBroadcastsC) {
  Tensor a = arange({2, 3}, 1);           // [[1,2,3],[4,5,6]]
  Tensor b = arange({3, 2}, 1);           // [[1,2],[3,4],[5,6]]
  Floats ab = {22, 28, 49, 64};
  expect_values(run1("Gemm", {a, b}), {2, 2}, ab);
  // transA / transB with the transposed operands give the same product.
  Tensor at = floats({3, 2}, {1, 4, 2, 5, 3, 6}), bt = floats({2, 3}, {1, 3, 5, 2, 4, 6});
  expect_values(run1("Gemm", {at, bt}, attrs({{"transA", int64_t(1)}, {"transB", int64_t(1)}})), {2, 2}, ab);
  Attributes scaled = attrs({{"alpha", 0.5f}, {"beta", 2.0f}});
  expect_values(run1("Gemm", {a, b, floats({}, {1})}, scaled), {2, 2}, {13, 16, 26.5f, 34});
  expect_values(run1("Gemm", {a, b, floats({2}, {1, 2})}, scaled), {2, 2}, {13, 18, 26.5f, 36});
  expect_values(run1("Gemm", {a, b, floats({2, 1}, {1, 2})}, scaled), {2, 2}, {13, 16, 28.5f, 36});
  expect_values(run1("Gemm", {a, b, floats({2, 2}, {1, 2, 3, 4})}, scaled), {2, 2}, {13, 18, 30.5f, 40});
  Tensor relu = run1("Gemm", {a, b, floats({2}, {-30, 0})}, attrs({{"activation", std::string("Relu")}}));
  expect_values(relu, {2, 2}, {0, 28, 19, 64});
  EXPECT_DOUBLE_EQ(OneNode("Gemm", {a, b, floats({2}, {1, 2})}).flops(), 2.0 * 2 * 2 * 3 + 4);
}

TEST(NnDense, GemmRejectsMismatchedShapes) {
  Tensor a(DType::f32, {2, 3}), b(DType::f32, {3, 4});
  expect_error(ErrorKind::InvalidModel, "Gemm", {a, Tensor(DType::f32, {2, 4})});
  expect_error(ErrorKind::InvalidModel, "Gemm", {a, b}, attrs({{"transA", int64_t(1)}}));
  expect_error(ErrorKind::InvalidModel, "Gemm", {a, b, Tensor(DType::f32, {3})});
  expect_error(ErrorKind::InvalidModel, "Gemm", {a, b, Tensor(DType::f32, {1, 2, 4})});
  expect_error(ErrorKind::InvalidModel, "Gemm", {Tensor(DType::f32, {2, 3, 1}), b});
  expect_error(ErrorKind::InvalidModel, "Gemm", {a, b}, attrs({{"transB", int64_t(5)}}));
}

TEST(NnDense, GemmWithTransBMatchesLargeDotProducts) {
  // A long K exercises the multi-accumulator dot product.
  Tensor a = random_tensor({3, 1031}, 7), b = random_tensor({5, 1031}, 8);
  Tensor y = run1("Gemm", {a, b}, attrs({{"transB", int64_t(1)}}));
  for (int64_t i = 0; i < 3; ++i)
    for (int64_t j = 0; j < 5; ++j) {
      double sum = 0;
      for (int64_t k = 0; k < 1031; ++k) sum += double(a.data<float>()[i * 1031 + k]) * b.data<float>()[j * 1031 + k];
      EXPECT_NEAR(y.data<float>()[i * 5 + j], sum, 1e-5);
    }
}

TEST(NnDense, MatMulNumpySemantics) {
  Tensor a = arange({2, 3}, 1), b = arange({3, 2}, 1);
  expect_values(run1("MatMul", {a, b}), {2, 2}, {22, 28, 49, 64});
  expect_values(run1("MatMul", {floats({3}, {1, 0, 1}), b}), {2}, {6, 8});  // 1-D left
  expect_values(run1("MatMul", {a, floats({3}, {1, 0, 1})}), {2}, {4, 10});  // 1-D right
  expect_values(run1("MatMul", {floats({3}, {1, 2, 3}), floats({3}, {1, 1, 1})}), {}, {6});
  // Batched with broadcasting: (2, 1, 2, 3) x (3, 3, 2) -> (2, 3, 2, 2).
  Tensor ba = random_tensor({2, 1, 2, 3}, 9), bb = random_tensor({3, 3, 2}, 10);
  Tensor y = run1("MatMul", {ba, bb});
  ASSERT_EQ(y.shape(), (Shape{2, 3, 2, 2}));
  for (int64_t p = 0; p < 2; ++p)
    for (int64_t q = 0; q < 3; ++q)
      for (int64_t i = 0; i < 2; ++i)
        for (int64_t j = 0; j < 2; ++j) {
          double sum = 0;
          for (int64_t k = 0; k < 3; ++k) sum += double(ba.data<float>()[(p * 2 + i) * 3 + k]) * bb.data<float>()[(q * 3 + k) * 2 + j];
          EXPECT_NEAR(y.data<float>()[((p * 3 + q) * 2 + i) * 2 + j], sum, 1e-6);
        }
  EXPECT_DOUBLE_EQ(OneNode("MatMul", {ba, bb}).flops(), 2.0 * 6 * 2 * 2 * 3);
  expect_error(ErrorKind::InvalidModel, "MatMul", {a, a});
  expect_error(ErrorKind::InvalidModel, "MatMul", {Tensor(DType::f32, {2, 2, 3}), Tensor(DType::f32, {3, 3, 2})});
  expect_error(ErrorKind::InvalidModel, "MatMul", {floats({}, {1}), b});
}

// ---------------------------------------------------------------- Softmax, activations

TEST(NnSoftmax, NormalisesAlongTheChosenAxis) {
  Tensor x = floats({2, 3}, {1, 2, 3, 1000, 1000, 1000});
  float e1 = std::exp(1.0f), e2 = std::exp(2.0f), e3 = std::exp(3.0f), s = e1 + e2 + e3;
  expect_values(run1("Softmax", {x}), {2, 3}, {e1 / s, e2 / s, e3 / s, 1.0f / 3, 1.0f / 3, 1.0f / 3});
  Tensor y0 = run1("Softmax", {floats({2, 2}, {0, 5, 0, 5})}, attrs({{"axis", int64_t(0)}}));
  expect_values(y0, {2, 2}, {0.5f, 0.5f, 0.5f, 0.5f});
  Tensor r = random_tensor({2, 3, 4}, 11);
  Tensor y1 = run1("Softmax", {r}, attrs({{"axis", int64_t(-2)}}));
  for (int64_t n = 0; n < 2; ++n)
    for (int64_t k = 0; k < 4; ++k) {
      double sum = 0;
      for (int64_t c = 0; c < 3; ++c) sum += y1.data<float>()[(n * 3 + c) * 4 + k];
      EXPECT_NEAR(sum, 1.0, 1e-6);
    }
  expect_error(ErrorKind::InvalidModel, "Softmax", {r}, attrs({{"axis", int64_t(3)}}));
}

TEST(NnActivation, ElementwiseValues) {
  Tensor x = floats({5}, {-2, -0.5f, 0, 0.5f, 3});
  expect_values(run1("Relu", {x}), {5}, {0, 0, 0, 0.5f, 3});
  expect_values(run1("LeakyRelu", {x}), {5}, {-0.02f, -0.005f, 0, 0.5f, 3});
  expect_values(run1("LeakyRelu", {x}, attrs({{"alpha", 0.5f}})), {5}, {-1, -0.25f, 0, 0.5f, 3});
  Floats sig, th;
  for (float v : Floats{-2, -0.5f, 0, 0.5f, 3}) sig.push_back(1 / (1 + std::exp(-v))), th.push_back(std::tanh(v));
  expect_values(run1("Sigmoid", {x}), {5}, sig);
  expect_values(run1("Tanh", {x}), {5}, th);
  expect_values(run1("Sigmoid", {floats({2}, {-200, 200})}), {2}, {0, 1});
  expect_error(ErrorKind::InvalidModel, "Relu", {x, x});
  expect_error(ErrorKind::InvalidModel, "LeakyRelu", {x}, attrs({{"alpha", std::string("big")}}));
}

TEST(NnActivation, ClipBoundsAreOptionalInputs) {
  Tensor x = floats({4}, {-3, -1, 1, 3});
  expect_values(run1("Clip", {x, floats({}, {-2}), floats({}, {2})}), {4}, {-2, -1, 1, 2});
  expect_values(run1("Clip", {x, floats({}, {0})}), {4}, {0, 0, 1, 3});
  expect_values(run1("Clip", {x, Tensor(), floats({1}, {0})}), {4}, {-3, -1, 0, 0});
  expect_values(run1("Clip", {x}), {4}, {-3, -1, 1, 3});
  Tensor ints = run1("Clip", {Tensor::from<int8_t>({3}, {-100, 5, 100}), Tensor(), Tensor::from<int8_t>({}, {50})});
  EXPECT_EQ(ints.to_int64s(), (Ints{-100, 5, 50}));
  expect_error(ErrorKind::InvalidModel, "Clip", {x, floats({2}, {0, 1})});
  expect_error(ErrorKind::InvalidModel, "Clip", {x, Tensor::from<int8_t>({}, {0})});
}

TEST(NnActivation, FusedActivationAttributes) {
  Node node;
  node.op = "Conv";
  node.name = "n";
  EXPECT_EQ(fused_activation(node).kind, ActivationKind::None);
  node.attrs.set("activation", std::string("Clip"));
  Activation clip = fused_activation(node);
  EXPECT_EQ(clip.kind, ActivationKind::Clip);
  EXPECT_TRUE(std::isinf(clip.alpha) && clip.alpha < 0);
  EXPECT_TRUE(std::isinf(clip.beta) && clip.beta > 0);
  node.attrs.set("activation", std::string("LeakyRelu"));
  EXPECT_FLOAT_EQ(fused_activation(node).alpha, 0.01f);
  Floats data = {-1, 2};
  apply_fused_activation(node, data.data(), 2);
  EXPECT_FLOAT_EQ(data[0], -0.01f);
  EXPECT_FLOAT_EQ(data[1], 2);
  EXPECT_EQ(activation_kind("Tanh"), ActivationKind::Tanh);
  EXPECT_FALSE(activation_kind("Softmax").has_value());
  EXPECT_STREQ(activation_name(ActivationKind::Sigmoid), "Sigmoid");
}
