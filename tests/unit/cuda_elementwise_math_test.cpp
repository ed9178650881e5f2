// Host checks of the cuda backend's per-element math (kernels/elementwise_math.h),
// the code its elementwise, reduction and LRN kernels run for each element, against
// the reference ops: activations, Cast between every dtype pair, batch norm, the LRN
// window, the collapsed broadcast walk and its fast-path plans for binary ops, and
// the index mapping of reductions over any set of axes.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "backends/cuda/kernels/elementwise_math.h"
#include "ops/activation.h"
#include "ops/broadcast.h"
#include "ops/op.h"

using namespace tandem;
namespace math = tandem::cuda::math;

namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

// Runs the reference kernel of a one-node graph whose inputs are graph inputs
// (constants when `constant_from` <= their index); shapes are inferred first.
std::vector<Tensor> run_one(const std::string& op, const std::vector<Tensor>& inputs, Attributes attrs = {},
                            size_t constant_from = SIZE_MAX) {
  Graph graph;
  Node node;
  node.name = "n";
  node.op = op;
  node.attrs = std::move(attrs);
  for (size_t i = 0; i < inputs.size(); ++i) {
    int id = i >= constant_from ? graph.add_constant("in" + std::to_string(i), inputs[i])
                                : graph.add_value("in" + std::to_string(i), inputs[i].dtype(), inputs[i].shape());
    if (i < constant_from) graph.inputs.push_back(id);
    node.inputs.push_back(id);
  }
  node.outputs.push_back(graph.add_value("out"));
  graph.outputs = node.outputs;
  graph.nodes.push_back(node);
  infer_shapes(graph);
  return run_reference(graph.nodes[0], graph, inputs);
}

Tensor random_floats(const Shape& shape, uint32_t seed, float low = -2.0f, float high = 2.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(low, high);
  Tensor t(DType::f32, shape);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// Same bits, or both NaN.
bool same_float(float a, float b) { return (std::isnan(a) && std::isnan(b)) || std::memcmp(&a, &b, sizeof a) == 0; }

const std::vector<float> kActivationInputs = {0.0f, -0.0f, 0.5f, -0.5f, 3.0f, -3.0f, 7.0f, -7.0f, 20.0f, -20.0f,
                                              88.0f, -88.0f, 1e-30f, -1e-30f, kInf, -kInf, kNan};

// ---- activations ----

TEST(CudaElementwiseMath, ExactActivationsMatchTheReferenceBitForBit) {
  const std::vector<Activation> acts = {{ActivationKind::None, 0, 0},
                                        {ActivationKind::Relu, 0, 0},
                                        {ActivationKind::LeakyRelu, 0.1f, 0},
                                        {ActivationKind::Clip, -1.0f, 6.0f},
                                        {ActivationKind::Clip, -kInf, kInf}};
  std::vector<float> want(kActivationInputs.size());
  for (const Activation& act : acts) {
    apply_activation(act, kActivationInputs.data(), want.data(), int64_t(want.size()));
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_TRUE(same_float(math::activate(act, kActivationInputs[i]), want[i]))
          << activation_name(act.kind) << "(" << kActivationInputs[i] << ") = " << math::activate(act, kActivationInputs[i])
          << ", reference " << want[i];
  }
}

TEST(CudaElementwiseMath, SigmoidAndTanhAreWithinAFewUlpsOfTheDoubleReference) {
  for (ActivationKind kind : {ActivationKind::Sigmoid, ActivationKind::Tanh}) {
    const Activation act{kind, 0, 0};
    std::vector<float> want(kActivationInputs.size());
    apply_activation(act, kActivationInputs.data(), want.data(), int64_t(want.size()));
    for (size_t i = 0; i < want.size(); ++i) {
      const float got = math::activate(act, kActivationInputs[i]);
      if (std::isnan(want[i])) {
        EXPECT_TRUE(std::isnan(got));
        continue;
      }
      // Relative error within a few float ulps, or an absolute error far below any
      // tolerance where the result underflows (sigmoid(-88) is a denormal).
      EXPECT_NEAR(got, want[i], std::max(4e-7 * std::fabs(want[i]), 1e-37))
          << activation_name(kind) << "(" << kActivationInputs[i] << ")";
    }
  }
}

// ---- Cast ----

struct CastCase {
  DType dtype;
  int64_t onnx_code;
};
const CastCase kCastTypes[] = {{DType::f32, 1},  {DType::u8, 2},  {DType::i8, 3},      {DType::i32, 6},
                               {DType::i64, 7},  {DType::boolean, 9}, {DType::f64, 11}};

// Sample values of every dtype: fractions, both signs, each integer type's edges and
// beyond, huge values, infinities and NaN (floats only).
Tensor cast_samples(DType dtype) {
  const std::vector<double> floats = {0.0, -0.0, 0.4, -0.4, 1.5, -1.5, 2.9, -2.9, 127.0, 127.9, 128.0, -128.9,
                                      -129.0, 255.5, 256.0, 32767.5, -40000.0, 2147483647.0, 2147483648.5,
                                      -2147483649.0, 3e9, -3e9, 9.3e18, -9.3e18, 1e30, -1e30, INFINITY, -INFINITY, NAN};
  const std::vector<int64_t> ints = {0, 1, -1, 2, 127, 128, -128, -129, 255, 256, 300, -300, 65537, 2147483647,
                                     -2147483648LL, 4294967297LL, 16777217, 9007199254740993LL,
                                     std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()};
  const Shape shape{static_cast<int64_t>(dtype == DType::f32 || dtype == DType::f64 ? floats.size() : ints.size())};
  Tensor t(dtype, shape);
  for (int64_t i = 0; i < t.numel(); ++i) {
    const size_t k = static_cast<size_t>(i);
    switch (dtype) {
      case DType::f32: t.data<float>()[i] = static_cast<float>(floats[k]); break;
      case DType::f64: t.data<double>()[i] = floats[k]; break;
      case DType::i64: t.data<int64_t>()[i] = ints[k]; break;
      case DType::i32: t.data<int32_t>()[i] = static_cast<int32_t>(ints[k]); break;
      case DType::i8: t.data<int8_t>()[i] = static_cast<int8_t>(ints[k]); break;
      case DType::u8: t.data<uint8_t>()[i] = static_cast<uint8_t>(ints[k]); break;
      case DType::boolean: t.data<bool>()[i] = ints[k] % 2 != 0; break;
      default: break;
    }
  }
  return t;
}

template <class F>
void with_cast_type(DType dtype, F&& f) {
  switch (dtype) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    case DType::i64: return f(int64_t{});
    case DType::i32: return f(int32_t{});
    case DType::i8: return f(int8_t{});
    case DType::u8: return f(uint8_t{});
    case DType::boolean: return f(bool{});
    default: FAIL() << "no cast type for " << dtype_name(dtype);
  }
}

TEST(CudaElementwiseMath, ConvertMatchesReferenceCastForEveryDtypePair) {
  for (const CastCase& from : kCastTypes)
    for (const CastCase& to : kCastTypes) {
      const Tensor x = cast_samples(from.dtype);
      Attributes attrs;
      attrs.set("to", to.onnx_code);
      const Tensor want = run_one("Cast", {x}, attrs)[0];
      Tensor got(to.dtype, x.shape());
      with_cast_type(from.dtype, [&](auto from_zero) {
        with_cast_type(to.dtype, [&](auto to_zero) {
          using From = decltype(from_zero);
          using To = decltype(to_zero);
          for (int64_t i = 0; i < x.numel(); ++i)
            static_cast<To*>(got.raw())[i] = math::convert<To>(static_cast<const From*>(x.raw())[i]);
        });
      });
      ASSERT_EQ(want.nbytes(), got.nbytes());
      for (int64_t i = 0; i < x.numel(); ++i) {
        const size_t size = dtype_size(to.dtype);
        const auto* w = static_cast<const std::byte*>(want.raw()) + i * int64_t(size);
        const auto* g = static_cast<const std::byte*>(got.raw()) + i * int64_t(size);
        const bool nan_both = to.dtype == DType::f32 ? std::isnan(want.data<float>()[i]) && std::isnan(got.data<float>()[i])
                              : to.dtype == DType::f64 ? std::isnan(want.data<double>()[i]) && std::isnan(got.data<double>()[i])
                                                       : false;
        EXPECT_TRUE(nan_both || std::memcmp(w, g, size) == 0)
            << dtype_name(from.dtype) << " -> " << dtype_name(to.dtype) << ", sample " << i;
      }
    }
}

// ---- per-channel ops ----

TEST(CudaElementwiseMath, ChannelOfWalksChannelsOfEachImage) {
  // (outer 2, channels 3, inner 4): element 4k..4k+3 is channel k % 3.
  for (uint32_t i = 0; i < 24; ++i) EXPECT_EQ(math::channel_of(i, 4u, 3u), (i / 4) % 3);
  EXPECT_EQ(math::channel_of<int64_t>(int64_t(5) << 33, int64_t(1) << 33, 7), 5);
}

TEST(CudaElementwiseMath, BatchnormAndFoldedAffineMatchTheReference) {
  const Shape shape{2, 3, 2, 2};
  const Tensor x = random_floats(shape, 1);
  const Tensor gamma = random_floats({3}, 2), beta = random_floats({3}, 3), mean = random_floats({3}, 4);
  const Tensor var = random_floats({3}, 5, 0.0f, 3.0f);
  const float epsilon = 1e-3f;
  Attributes attrs;
  attrs.set("epsilon", epsilon);
  const Tensor want = run_one("BatchNormalization", {x, gamma, beta, mean, var}, attrs, 1)[0];
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t c = math::channel_of<int64_t>(i, 4, 3);
    const float g = gamma.data<float>()[c], b = beta.data<float>()[c], m = mean.data<float>()[c];
    const float v = var.data<float>()[c];
    EXPECT_NEAR(math::batchnorm(x.data<float>()[i], g, b, m, v, epsilon), want.data<float>()[i], 2e-6);
    // The constant-parameter path: scale and shift folded in double, rounded to float.
    const double scale = double(g) / std::sqrt(double(v) + double(epsilon));
    const float folded = math::affine(x.data<float>()[i], float(scale), float(double(b) - double(m) * scale));
    EXPECT_NEAR(folded, want.data<float>()[i], 2e-6);
  }
}

// ---- LRN ----

TEST(CudaElementwiseMath, LrnWindowFollowsOnnxAndClipsToTheChannels) {
  // size 5: [c - 2, c + 2]; size 4: [c - 1, c + 2]; size 1: [c, c].
  EXPECT_EQ(math::lrn_window(0, 10, 5).first, 0);
  EXPECT_EQ(math::lrn_window(0, 10, 5).last, 2);
  EXPECT_EQ(math::lrn_window(5, 10, 5).first, 3);
  EXPECT_EQ(math::lrn_window(5, 10, 5).last, 7);
  EXPECT_EQ(math::lrn_window(9, 10, 5).last, 9);
  EXPECT_EQ(math::lrn_window(5, 10, 4).first, 4);
  EXPECT_EQ(math::lrn_window(5, 10, 4).last, 7);
  EXPECT_EQ(math::lrn_window(3, 10, 1).first, 3);
  EXPECT_EQ(math::lrn_window(3, 10, 1).last, 3);
  EXPECT_EQ(math::lrn_window(1, 3, 9).first, 0);
  EXPECT_EQ(math::lrn_window(1, 3, 9).last, 2);
}

TEST(CudaElementwiseMath, LrnPerElementMathMatchesTheReference) {
  for (int64_t size : {1, 2, 3, 5, 8}) {
    const int64_t batch = 2, channels = 7, inner = 6;
    const Tensor x = random_floats({batch, channels, 2, 3}, uint32_t(size));
    const float alpha = 0.3f, beta = 0.75f, bias = 2.0f;
    Attributes attrs;
    attrs.set("size", size);
    attrs.set("alpha", alpha);
    attrs.set("beta", beta);
    attrs.set("bias", bias);
    const Tensor want = run_one("LRN", {x}, attrs)[0];
    const float* in = x.data<float>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      // As lrn_kernel computes element i.
      const int64_t position = i % inner, row = i / inner, c = row % channels;
      const math::ChannelWindow w = math::lrn_window(c, channels, size);
      float square_sum = 0;
      for (int64_t k = w.first; k <= w.last; ++k) {
        const float v = in[(row - c) * inner + position + k * inner];
        square_sum += v * v;
      }
      const float got = math::lrn_value(in[i], square_sum, float(double(alpha) / double(size)), beta, bias);
      EXPECT_NEAR(got, want.data<float>()[i], 1e-6 + 1e-6 * std::fabs(want.data<float>()[i])) << "size " << size;
    }
  }
}

// ---- binary ops with broadcasting ----

// The collapsed walk of a binary op over shapes a and b, as the lowering builds it.
math::BroadcastDims walk_of(const Shape& a, const Shape& b) {
  const Shape out = *broadcast_shapes({a, b});
  const std::vector<int64_t> as = broadcast_strides(a, out), bs = broadcast_strides(b, out);
  math::BroadcastDims d;
  d.rank = int(out.size());
  for (size_t k = 0; k < out.size(); ++k) {
    d.extent[k] = out[k];
    d.a_stride[k] = as[k];
    d.b_stride[k] = bs[k];
  }
  return math::collapse_broadcast(d);
}

float apply_op(const std::string& op, float a, float b) {
  if (op == "Add") return a + b;
  if (op == "Sub") return a - b;
  if (op == "Mul") return a * b;
  return a / b;
}

// Output element i as the kernel the plan selects computes it.
float planned_element(const std::string& op, const math::BroadcastDims& d, const math::BroadcastPlan& plan,
                      const float* a, const float* b, int64_t i) {
  switch (plan.kind) {
    case math::BroadcastCase::Same: return apply_op(op, a[i], b[i]);
    case math::BroadcastCase::ScalarB: return apply_op(op, a[i], b[0]);
    case math::BroadcastCase::ScalarA: return apply_op(op, a[0], b[i]);
    case math::BroadcastCase::ChannelB: return apply_op(op, a[i], b[math::channel_of(i, plan.inner, plan.channels)]);
    case math::BroadcastCase::ChannelA: return apply_op(op, a[math::channel_of(i, plan.inner, plan.channels)], b[i]);
    case math::BroadcastCase::General: break;
  }
  int64_t ao = 0, bo = 0;
  math::broadcast_offsets(i, d, ao, bo);
  return apply_op(op, a[ao], b[bo]);
}

struct BroadcastCaseSpec {
  Shape a, b;
  math::BroadcastCase expected;
};

TEST(CudaElementwiseMath, BroadcastPlansPickTheFastPathsAndMatchTheReference) {
  using C = math::BroadcastCase;
  const std::vector<BroadcastCaseSpec> cases = {
      {{2, 3, 4, 5}, {2, 3, 4, 5}, C::Same},     {{}, {}, C::Same},
      {{1, 1}, {1}, C::Same},                    {{2, 3, 4}, {}, C::ScalarB},
      {{1}, {2, 3, 4}, C::ScalarA},              {{2, 3, 4, 5}, {1, 1, 1, 1}, C::ScalarB},
      {{2, 3, 4, 5}, {3, 1, 1}, C::ChannelB},    {{1, 3, 1, 1}, {2, 3, 4, 5}, C::ChannelA},
      {{2, 6}, {6}, C::ChannelB},                {{4, 3, 1}, {4, 3, 5}, C::ChannelA},
      {{2, 3, 4, 5}, {4, 5}, C::ChannelB},       {{2, 3, 4, 5}, {3, 4, 1}, C::ChannelB},
      {{2, 3, 4, 5}, {2, 1, 4, 1}, C::General},  {{3, 1}, {1, 4}, C::General},
      {{2, 1, 4}, {1, 3, 1}, C::General},        {{5, 1, 3}, {5, 2, 1}, C::General},
      {{1, 2, 1, 3}, {2, 1, 3}, C::Same},     {{0, 3}, {3}, C::ChannelB},
  };
  uint32_t seed = 10;
  for (const BroadcastCaseSpec& spec : cases)
    for (const std::string op : {"Add", "Sub", "Mul", "Div"}) {
      const Tensor a = random_floats(spec.a, ++seed, 0.5f, 2.0f), b = random_floats(spec.b, ++seed, 0.5f, 2.0f);
      const Tensor want = run_one(op, {a, b})[0];
      const math::BroadcastDims d = walk_of(spec.a, spec.b);
      const math::BroadcastPlan plan = math::plan_broadcast(d);
      EXPECT_EQ(plan.kind, spec.expected) << shape_str(spec.a) << " " << op << " " << shape_str(spec.b);
      for (int64_t i = 0; i < want.numel(); ++i)
        ASSERT_EQ(planned_element(op, d, plan, a.data<float>(), b.data<float>(), i), want.data<float>()[i])
            << shape_str(spec.a) << " " << op << " " << shape_str(spec.b) << ", element " << i;
    }
}

TEST(CudaElementwiseMath, CollapseMergesDimsWhereBothOperandsStepAlike) {
  // (2, 3, 4, 5) + (3, 4, 1): a dense, b per (3*4) "channel" -> dims (2, 12, 5).
  const math::BroadcastDims d = walk_of({2, 3, 4, 5}, {3, 4, 1});
  ASSERT_EQ(d.rank, 3);
  EXPECT_EQ(d.extent[0], 2);
  EXPECT_EQ(d.extent[1], 12);
  EXPECT_EQ(d.extent[2], 5);
  EXPECT_EQ(d.b_stride[1], 1);
  const math::BroadcastPlan plan = math::plan_broadcast(d);
  EXPECT_EQ(plan.outer, 2);
  EXPECT_EQ(plan.channels, 12);
  EXPECT_EQ(plan.inner, 5);
}

// ---- reductions ----

// What the reduce kernels compute for output o: rows reduce x[o * count, ...), the
// strided kernels walk the layout.
float reduce_element(const std::string& op, const math::ReduceLayout& r, const float* x, int64_t o, bool as_rows) {
  double acc = op == "ReduceMax" ? -INFINITY : 0.0;
  for (int64_t k = 0; k < r.count; ++k) {
    const int64_t offset = as_rows ? o * r.count + k
                                   : math::strided_offset(o, r.kept_rank, r.kept_extent, r.kept_stride) +
                                         math::strided_offset(k, r.reduced_rank, r.reduced_extent, r.reduced_stride);
    acc = op == "ReduceMax" ? std::fmax(acc, double(x[offset])) : acc + x[offset];
  }
  return static_cast<float>(op == "ReduceMean" ? acc / double(r.count) : acc);
}

TEST(CudaElementwiseMath, ReduceLayoutsMatchTheReferenceOverAnyAxes) {
  const Shape shape{2, 3, 1, 4, 5};
  const Tensor x = random_floats(shape, 99);
  for (uint32_t mask = 0; mask < (1u << shape.size()); ++mask) {
    std::vector<int64_t> axes;
    for (int64_t d = 0; d < int64_t(shape.size()); ++d)
      if ((mask >> d) & 1u) axes.push_back(d);
    const math::ReduceLayout r = math::make_reduce_layout(int(shape.size()), shape.data(), mask);
    for (const std::string op : {"ReduceSum", "ReduceMean", "ReduceMax"}) {
      Attributes attrs;
      if (!axes.empty()) attrs.set("axes", axes);
      attrs.set("noop_with_empty_axes", int64_t{1});
      attrs.set("keepdims", int64_t{0});
      const Tensor want = run_one(op, {x}, attrs)[0];
      ASSERT_EQ(r.outputs, want.numel()) << "mask " << mask;
      for (int64_t o = 0; o < r.outputs; ++o) {
        EXPECT_NEAR(reduce_element(op, r, x.data<float>(), o, false), want.data<float>()[o], 1e-5)
            << op << " mask " << mask << " output " << o;
        if (math::reduces_rows(r)) {
          EXPECT_NEAR(reduce_element(op, r, x.data<float>(), o, true), want.data<float>()[o], 1e-5)
              << op << " mask " << mask << " output " << o << " as rows";
        }
      }
    }
  }
}

TEST(CudaElementwiseMath, ReduceLayoutMergesNeighboursAndSpotsRows) {
  const Shape nchw{2, 8, 7, 7};
  // Mean over H, W (ShuffleNet's global pool): rows of 49.
  math::ReduceLayout r = math::make_reduce_layout(4, nchw.data(), 0b1100);
  EXPECT_TRUE(math::reduces_rows(r));
  EXPECT_EQ(r.outputs, 16);
  EXPECT_EQ(r.count, 49);
  EXPECT_EQ(r.kept_rank, 1);
  EXPECT_EQ(r.reduced_rank, 1);
  // Over C: kept (N, H*W), reduced C with stride 49.
  r = math::make_reduce_layout(4, nchw.data(), 0b0010);
  EXPECT_FALSE(math::reduces_rows(r));
  ASSERT_EQ(r.kept_rank, 2);
  EXPECT_EQ(r.kept_extent[0], 2);
  EXPECT_EQ(r.kept_stride[0], 392);
  EXPECT_EQ(r.kept_extent[1], 49);
  EXPECT_EQ(r.kept_stride[1], 1);
  ASSERT_EQ(r.reduced_rank, 1);
  EXPECT_EQ(r.reduced_extent[0], 8);
  EXPECT_EQ(r.reduced_stride[0], 49);
  // Everything: one row.
  r = math::make_reduce_layout(4, nchw.data(), 0b1111);
  EXPECT_TRUE(math::reduces_rows(r));
  EXPECT_EQ(r.outputs, 1);
  EXPECT_EQ(r.count, 2 * 8 * 49);
}

TEST(CudaElementwiseMath, BlocksCoverTheWorkUpToTheCap) {
  EXPECT_EQ(math::blocks_for(0, 256), 0u);
  EXPECT_EQ(math::blocks_for(1, 256), 1u);
  EXPECT_EQ(math::blocks_for(256, 256), 1u);
  EXPECT_EQ(math::blocks_for(257, 256), 2u);
  EXPECT_EQ(math::blocks_for(int64_t(1) << 40, 256), 65535u);
}

}  // namespace
