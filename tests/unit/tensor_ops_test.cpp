// Tensor ops (elementwise, shape and data movement): shape inference, reference kernels
// on small hand-computed cases, properties (broadcasting against a naive oracle,
// transpose round trips) and bad models raising tandem::Error.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

#include "ops/broadcast.h"
#include "ops/op.h"
#include "tandem/error.h"

using namespace tandem;

namespace {

// One node in a fresh graph: runtime inputs (`in`), constant inputs (`param`) and
// absent optional ones, then shape inference and the reference kernel.
class OneNode {
 public:
  explicit OneNode(std::string op) {
    node_.op = std::move(op);
    node_.name.push_back('n');  // not = "n": GCC 12 warns there (-Wrestrict, a false positive)
  }

  OneNode& in(Tensor t) {
    node_.inputs.push_back(graph_.add_value("in" + std::to_string(feeds_.size()), t.dtype(), t.shape()));
    feeds_.push_back(std::move(t));
    return *this;
  }
  OneNode& param(Tensor t) {
    node_.inputs.push_back(graph_.add_constant("param" + std::to_string(feeds_.size()), t));
    feeds_.push_back(std::move(t));
    return *this;
  }
  OneNode& absent() {
    node_.inputs.push_back(kNoValue);
    feeds_.emplace_back();
    return *this;
  }
  OneNode& attr(const std::string& name, AttributeValue value) {
    node_.attrs.set(name, std::move(value));
    return *this;
  }

  // Shape inference only; returns the graph for inspection.
  const Graph& infer(size_t outputs = 1) {
    for (size_t i = 0; i < outputs; ++i) node_.outputs.push_back(graph_.add_value("out" + std::to_string(i)));
    graph_.nodes.push_back(node_);
    infer_shapes(graph_);
    return graph_;
  }
  std::vector<Tensor> run(size_t outputs = 1) {
    infer(outputs);
    return run_reference(graph_.nodes.back(), graph_, feeds_);
  }
  Tensor run1() { return run(1).at(0); }

 private:
  Graph graph_;
  Node node_;
  std::vector<Tensor> feeds_;
};

template <class T>
std::vector<T> values(const Tensor& t) {
  return std::vector<T>(t.data<T>(), t.data<T>() + t.numel());
}

Tensor f32(Shape shape, std::vector<float> v) { return Tensor::from<float>(std::move(shape), v); }
Tensor i64(Shape shape, std::vector<int64_t> v) { return Tensor::from<int64_t>(std::move(shape), v); }
Tensor i64s(const std::vector<int64_t>& v) { return i64({static_cast<int64_t>(v.size())}, v); }

// 0, 1, 2, ... as float32.
Tensor iota(Shape shape) {
  Tensor t(DType::f32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(i);
  return t;
}

template <class F>
ErrorKind error_kind_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.kind();
  }
  ADD_FAILURE() << "no tandem::Error was thrown";
  return ErrorKind::Internal;
}

}  // namespace

// --- broadcasting ----------------------------------------------------------------------

TEST(Broadcast, ShapesFollowNumpyRules) {
  EXPECT_EQ(broadcast_shapes({{3, 1, 5}, {4, 1}}), (Shape{3, 4, 5}));
  EXPECT_EQ(broadcast_shapes({{2, 3}, {}}), (Shape{2, 3}));
  EXPECT_EQ(broadcast_shapes({{0}, {1}}), (Shape{0}));
  EXPECT_FALSE(broadcast_shapes({{2, 3}, {2}}).has_value());
  EXPECT_FALSE(broadcast_shapes({{0}, {3}}).has_value());
}

TEST(Broadcast, SameShapesCollapseToOneContiguousRow) {
  BroadcastLoop loop = make_broadcast_loop({2, 3, 4}, {{2, 3, 4}, {2, 3, 4}});
  EXPECT_TRUE(loop.outer.empty());
  EXPECT_EQ(loop.row, 24);
  EXPECT_EQ(loop.row_strides, (std::vector<int64_t>{1, 1}));
  BroadcastLoop channel = make_broadcast_loop({2, 3, 4, 5}, {{2, 3, 4, 5}, {3, 1, 1}});
  EXPECT_EQ(channel.outer, (Shape{2, 3}));
  EXPECT_EQ(channel.row, 20);
  EXPECT_EQ(channel.row_strides, (std::vector<int64_t>{1, 0}));
}

// Every operand offset the loop yields matches unravelling the output index by hand.
TEST(Broadcast, RandomShapesMatchNaiveIndexing) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 200; ++trial) {
    Shape out(rng() % 5);
    for (int64_t& d : out) d = 1 + static_cast<int64_t>(rng() % 4);
    std::vector<Shape> operands(2);
    for (Shape& s : operands) {
      s.assign(out.begin() + static_cast<std::ptrdiff_t>(rng() % (out.size() + 1)), out.end());
      for (int64_t& d : s)
        if (rng() % 3 == 0) d = 1;
    }
    ASSERT_EQ(broadcast_shapes({out, operands[0], operands[1]}), out);
    BroadcastLoop loop = make_broadcast_loop(out, operands);
    std::vector<std::vector<int64_t>> seen(2);
    for_each_broadcast_row(loop, [&](int64_t o, const int64_t* offsets) {
      for (int64_t j = 0; j < loop.row; ++j) {
        ASSERT_EQ(static_cast<int64_t>(seen[0].size()), o + j);
        for (size_t k = 0; k < 2; ++k) seen[k].push_back(offsets[k] + j * loop.row_strides[k]);
      }
    });
    ASSERT_EQ(static_cast<int64_t>(seen[0].size()), num_elements(out));
    for (int64_t flat = 0; flat < num_elements(out); ++flat)
      for (size_t k = 0; k < 2; ++k) {
        std::vector<int64_t> strides = broadcast_strides(operands[k], out);
        int64_t rest = flat, want = 0;
        for (size_t d = out.size(); d-- > 0;) {
          want += (rest % out[d]) * strides[d];
          rest /= out[d];
        }
        ASSERT_EQ(seen[k][static_cast<size_t>(flat)], want) << "trial " << trial << " operand " << k;
      }
  }
}

// --- elementwise -----------------------------------------------------------------------

TEST(Elementwise, AddBroadcastsRowAndColumn) {
  Tensor y = OneNode("Add").in(f32({2, 1}, {10, 20})).in(f32({3}, {1, 2, 3})).run1();
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{11, 12, 13, 21, 22, 23}));
}

TEST(Elementwise, SubMulDivWithScalars) {
  EXPECT_EQ(values<float>(OneNode("Sub").in(f32({}, {10})).in(f32({3}, {1, 2, 3})).run1()),
            (std::vector<float>{9, 8, 7}));
  EXPECT_EQ(values<float>(OneNode("Mul").in(f32({3}, {1, 2, 3})).in(f32({}, {2})).run1()),
            (std::vector<float>{2, 4, 6}));
  EXPECT_EQ(values<float>(OneNode("Div").in(f32({2}, {1, -3})).in(f32({2}, {4, 2})).run1()),
            (std::vector<float>{0.25f, -1.5f}));
}

TEST(Elementwise, IntegerDivTruncatesTowardZero) {
  Tensor y =
      OneNode("Div").in(i64s({7, -7, 7, -7, std::numeric_limits<int64_t>::min()})).in(i64s({2, 2, -2, -2, -1})).run1();
  EXPECT_EQ(values<int64_t>(y), (std::vector<int64_t>{3, -3, -3, 3, std::numeric_limits<int64_t>::min()}));
}

TEST(Elementwise, IntegerDivisionByZeroIsAnError) {
  EXPECT_EQ(error_kind_of([] { OneNode("Div").in(i64s({1, 2})).in(i64s({1, 0})).run1(); }), ErrorKind::InvalidInput);
}

TEST(Elementwise, Uint8ArithmeticWraps) {
  Tensor a = Tensor::from<uint8_t>({2}, {200, 7});
  Tensor b = Tensor::from<uint8_t>({2}, {100, 2});
  EXPECT_EQ(values<uint8_t>(OneNode("Add").in(a).in(b).run1()), (std::vector<uint8_t>{44, 9}));
  EXPECT_EQ(values<uint8_t>(OneNode("Div").in(a).in(b).run1()), (std::vector<uint8_t>{2, 3}));
}

TEST(Elementwise, SumAddsAnyNumberOfBroadcastInputs) {
  Tensor y = OneNode("Sum").in(f32({2, 1}, {1, 2})).in(f32({2}, {10, 20})).in(f32({}, {100})).run1();
  EXPECT_EQ(y.shape(), (Shape{2, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{111, 121, 112, 122}));
  Tensor single = OneNode("Sum").in(f32({2}, {-0.0f, 3})).run1();
  EXPECT_TRUE(std::signbit(single.data<float>()[0]));  // a copy, not x + 0
}

TEST(Elementwise, BadOperandsAreModelErrors) {
  EXPECT_EQ(error_kind_of([] { OneNode("Add").in(iota({2, 3})).in(iota({2})).infer(); }), ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] { OneNode("Mul").in(iota({2})).in(i64s({1, 2})).infer(); }), ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] { OneNode("Add").in(iota({2})).infer(); }), ErrorKind::InvalidModel);
  Tensor flags = Tensor::from<bool>({1}, {true});
  EXPECT_EQ(error_kind_of([&] { OneNode("Add").in(flags).in(flags).infer(); }), ErrorKind::Unsupported);
}

TEST(Elementwise, FlopsAreOnePerOutputElement) {
  OneNode add("Add");
  const Graph& g = add.in(iota({2, 1, 4})).in(iota({3, 1})).infer();
  EXPECT_EQ(node_cost(g.nodes[0], g).flops, 24);
}

// --- Concat / Split --------------------------------------------------------------------

TEST(Concat, JoinsInt64AlongNegativeAxis) {
  Tensor y = OneNode("Concat")
                 .attr("axis", int64_t{-1})
                 .in(i64({2, 1}, {1, 2}))
                 .in(i64({2, 2}, {3, 4, 5, 6}))
                 .in(i64({2, 0}, {}))
                 .run1();
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(values<int64_t>(y), (std::vector<int64_t>{1, 3, 4, 2, 5, 6}));
}

TEST(Concat, MismatchedDimsAreAnError) {
  EXPECT_EQ(error_kind_of([] {
              OneNode("Concat").attr("axis", int64_t{0}).in(iota({1, 2})).in(iota({1, 3})).infer();
            }),
            ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Concat").attr("axis", int64_t{2}).in(iota({1, 2})).infer();
            }),
            ErrorKind::InvalidModel);
}

TEST(Split, VariableAndEqualParts) {
  std::vector<Tensor> parts = OneNode("Split").attr("axis", int64_t{1}).in(iota({2, 3})).param(i64s({1, 2})).run(2);
  EXPECT_EQ(values<float>(parts[0]), (std::vector<float>{0, 3}));
  EXPECT_EQ(values<float>(parts[1]), (std::vector<float>{1, 2, 4, 5}));
  std::vector<Tensor> halves = OneNode("Split").in(iota({4})).run(2);
  EXPECT_EQ(values<float>(halves[1]), (std::vector<float>{2, 3}));
}

TEST(Split, NumOutputsLeavesASmallerLastPart) {
  std::vector<Tensor> parts = OneNode("Split").attr("num_outputs", int64_t{3}).in(iota({7})).run(3);
  EXPECT_EQ(parts[0].shape(), (Shape{3}));
  EXPECT_EQ(values<float>(parts[2]), (std::vector<float>{6}));
}

TEST(Split, UnevenOrWrongSizesAreErrors) {
  EXPECT_EQ(error_kind_of([] { OneNode("Split").in(iota({5})).infer(2); }), ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Split").in(iota({5})).param(i64s({1, 1})).infer(2);
            }),
            ErrorKind::InvalidModel);
}

// --- Slice -----------------------------------------------------------------------------

TEST(Slice, NegativeStepsAndClampedBounds) {
  // x: (3, 4) = [[0 1 2 3] [4 5 6 7] [8 9 10 11]]; x[::-2, 1:1000]
  Tensor y = OneNode("Slice")
                 .in(iota({3, 4}))
                 .param(i64s({-1, 1}))
                 .param(i64s({-1000, 1000}))
                 .param(i64s({0, 1}))
                 .param(i64s({-2, 1}))
                 .run1();
  EXPECT_EQ(y.shape(), (Shape{2, 3}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{9, 10, 11, 1, 2, 3}));
}

TEST(Slice, DefaultAxesAndNegativeAxis) {
  Tensor lead = OneNode("Slice").in(iota({3, 4})).param(i64s({1})).param(i64s({2})).run1();
  EXPECT_EQ(values<float>(lead), (std::vector<float>{4, 5, 6, 7}));
  Tensor last = OneNode("Slice").in(iota({2, 4})).param(i64s({-3})).param(i64s({-1})).param(i64s({-1})).absent().run1();
  EXPECT_EQ(values<float>(last), (std::vector<float>{1, 2, 5, 6}));
  Tensor none = OneNode("Slice").in(iota({4})).param(i64s({3})).param(i64s({1})).run1();
  EXPECT_EQ(none.shape(), (Shape{0}));
}

TEST(Slice, RuntimeStartsAreUnsupportedAndZeroStepInvalid) {
  EXPECT_EQ(error_kind_of([] { OneNode("Slice").in(iota({4})).in(i64s({0})).param(i64s({2})).infer(); }),
            ErrorKind::Unsupported);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Slice").in(iota({4})).param(i64s({0})).param(i64s({2})).absent().param(i64s({0})).infer();
            }),
            ErrorKind::InvalidModel);
}

// --- Reshape family --------------------------------------------------------------------

TEST(Reshape, ZeroCopiesAndMinusOneInfers) {
  OneNode reshape("Reshape");
  const Graph& g = reshape.in(iota({2, 3, 4})).param(i64s({0, -1})).infer();
  EXPECT_EQ(g.values[static_cast<size_t>(g.nodes[0].outputs[0])].shape, (Shape{2, 12}));
  Tensor y = OneNode("Reshape").attr("allowzero", int64_t{1}).in(Tensor(DType::f32, {0, 3})).param(i64s({3, 0})).run1();
  EXPECT_EQ(y.shape(), (Shape{3, 0}));
}

TEST(Reshape, WrongCountsAreErrors) {
  EXPECT_EQ(error_kind_of([] {
              OneNode("Reshape").in(iota({2, 3})).param(i64s({4, -1})).infer();
            }),
            ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Reshape").in(iota({6})).param(i64s({-1, -1})).infer();
            }),
            ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] { OneNode("Reshape").in(iota({6})).in(i64s({6})).infer(); }), ErrorKind::Unsupported);
}

TEST(Flatten, AxisZeroAndNegative) {
  EXPECT_EQ(OneNode("Flatten").attr("axis", int64_t{0}).in(iota({2, 3})).run1().shape(), (Shape{1, 6}));
  Tensor y = OneNode("Flatten").attr("axis", int64_t{-1}).in(iota({2, 3, 4})).run1();
  EXPECT_EQ(y.shape(), (Shape{6, 4}));
  EXPECT_EQ(y.data<float>()[23], 23);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Flatten").attr("axis", int64_t{3}).in(iota({2, 3})).infer();
            }),
            ErrorKind::InvalidModel);
}

TEST(Squeeze, AllOnesOrListedAxes) {
  EXPECT_EQ(OneNode("Squeeze").in(iota({1, 3, 1, 2})).run1().shape(), (Shape{3, 2}));
  EXPECT_EQ(OneNode("Squeeze").in(iota({1, 3, 1, 2})).param(i64s({-2})).run1().shape(), (Shape{1, 3, 2}));
  EXPECT_EQ(error_kind_of([] {
              OneNode("Squeeze").in(iota({1, 3})).param(i64s({1})).infer();
            }),
            ErrorKind::InvalidModel);
}

TEST(Unsqueeze, NegativeUnsortedAxes) {
  Tensor y = OneNode("Unsqueeze").in(iota({3, 2})).param(i64s({-1, 0})).run1();
  EXPECT_EQ(y.shape(), (Shape{1, 3, 2, 1}));
  EXPECT_EQ(values<float>(y), values<float>(iota({6})));
  EXPECT_EQ(error_kind_of([] {
              OneNode("Unsqueeze").in(iota({3})).param(i64s({0, -3})).infer();
            }),
            ErrorKind::InvalidModel);
}

// --- Transpose -------------------------------------------------------------------------

TEST(Transpose, DefaultReversesDims) {
  Tensor y = OneNode("Transpose").in(iota({2, 3})).run1();
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{0, 3, 1, 4, 2, 5}));
}

TEST(Transpose, InversePermutationRestoresInt8Input) {
  Tensor x(DType::i8, {2, 3, 4, 5});
  for (int64_t i = 0; i < x.numel(); ++i) x.data<int8_t>()[i] = static_cast<int8_t>(i);
  Tensor t = OneNode("Transpose").attr("perm", std::vector<int64_t>{2, 0, 3, 1}).in(x).run1();
  EXPECT_EQ(t.shape(), (Shape{4, 2, 5, 3}));
  EXPECT_EQ(t.data<int8_t>()[1], x.data<int8_t>()[20]);  // t[0,0,0,1] = x[0,1,0,0]
  Tensor back = OneNode("Transpose").attr("perm", std::vector<int64_t>{1, 3, 0, 2}).in(t).run1();
  EXPECT_EQ(values<int8_t>(back), values<int8_t>(x));
}

TEST(Transpose, BadPermIsAnError) {
  EXPECT_EQ(error_kind_of([] {
              OneNode("Transpose").attr("perm", std::vector<int64_t>{0, 0}).in(iota({2, 2})).infer();
            }),
            ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Transpose").attr("perm", std::vector<int64_t>{0}).in(iota({2, 2})).infer();
            }),
            ErrorKind::InvalidModel);
}

// --- Pad -------------------------------------------------------------------------------

Tensor pad_row(const std::string& mode, std::vector<int64_t> pads) {
  return OneNode("Pad").attr("mode", mode).in(f32({1, 3}, {1, 2, 3})).param(i64s(std::move(pads))).run1();
}

TEST(Pad, ModesOnOneRow) {
  EXPECT_EQ(values<float>(pad_row("constant", {0, 2, 0, 1})), (std::vector<float>{0, 0, 1, 2, 3, 0}));
  EXPECT_EQ(values<float>(pad_row("reflect", {0, 2, 0, 2})), (std::vector<float>{3, 2, 1, 2, 3, 2, 1}));
  EXPECT_EQ(values<float>(pad_row("edge", {0, 2, 0, 1})), (std::vector<float>{1, 1, 1, 2, 3, 3}));
  EXPECT_EQ(values<float>(pad_row("wrap", {0, 2, 0, 1})), (std::vector<float>{2, 3, 1, 2, 3, 1}));
  EXPECT_EQ(values<float>(pad_row("constant", {0, -1, 0, 1})), (std::vector<float>{2, 3, 0}));
}

TEST(Pad, ConstantValueAxesAndRows) {
  // x: (2, 2) padded by one row above with 7; the axes input names dim 0 only.
  Tensor y = OneNode("Pad").in(f32({2, 2}, {1, 2, 3, 4})).param(i64s({1, 0})).in(f32({}, {7})).param(i64s({-2})).run1();
  EXPECT_EQ(y.shape(), (Shape{3, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{7, 7, 1, 2, 3, 4}));
}

TEST(Pad, BadPadsAreErrors) {
  EXPECT_EQ(error_kind_of([] {
              OneNode("Pad").in(iota({2, 2})).param(i64s({1, 1})).infer();
            }),
            ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] { OneNode("Pad").in(iota({2})).param(i64s({-2, -1})).infer(); }), ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] {
              OneNode("Pad").attr("mode", std::string("mirror")).in(iota({2})).param(i64s({1, 1})).infer();
            }),
            ErrorKind::Unsupported);
}

// --- Identity, Dropout, Constant -------------------------------------------------------

TEST(Passthrough, DropoutCopiesAndMasksAllTrue) {
  std::vector<Tensor> out = OneNode("Dropout").in(f32({3}, {1, 2, 3})).in(f32({}, {0.5f})).run(2);
  EXPECT_EQ(values<float>(out[0]), (std::vector<float>{1, 2, 3}));
  EXPECT_EQ(out[1].dtype(), DType::boolean);
  EXPECT_EQ(values<bool>(out[1]), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(values<int64_t>(OneNode("Identity").in(i64s({4, 5})).run1()), (std::vector<int64_t>{4, 5}));
  EXPECT_EQ(
      error_kind_of([] { OneNode("Dropout").in(iota({3})).absent().param(Tensor::from<bool>({}, {true})).infer(); }),
      ErrorKind::Unsupported);
}

TEST(Constant, TensorAndListAttributes) {
  Tensor t = OneNode("Constant").attr("value", i64({2}, {8, 9})).run1();
  EXPECT_EQ(values<int64_t>(t), (std::vector<int64_t>{8, 9}));
  Tensor floats = OneNode("Constant").attr("value_floats", std::vector<float>{1.5f, 2}).run1();
  EXPECT_EQ(floats.shape(), (Shape{2}));
  Tensor scalar = OneNode("Constant").attr("value_int", int64_t{3}).run1();
  EXPECT_EQ(scalar.shape(), Shape{});
  EXPECT_EQ(scalar.data<int64_t>()[0], 3);
  EXPECT_EQ(error_kind_of([] { OneNode("Constant").infer(); }), ErrorKind::InvalidModel);
}

// --- Shape, Gather, Cast ---------------------------------------------------------------

TEST(ShapeOp, StartAndEndAreClamped) {
  EXPECT_EQ(values<int64_t>(OneNode("Shape").in(iota({2, 3, 4})).run1()), (std::vector<int64_t>{2, 3, 4}));
  Tensor tail = OneNode("Shape").attr("start", int64_t{-2}).attr("end", int64_t{10}).in(iota({2, 3, 4})).run1();
  EXPECT_EQ(values<int64_t>(tail), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(OneNode("Shape").attr("start", int64_t{2}).attr("end", int64_t{1}).in(iota({2, 3})).run1().numel(), 0);
}

TEST(Gather, AnyAxisWithNegativeIndices) {
  // x: (2, 3) = [[0 1 2] [3 4 5]]; columns [-1, 0] as a (1, 2) index block.
  Tensor y = OneNode("Gather").attr("axis", int64_t{1}).in(iota({2, 3})).in(i64({1, 2}, {-1, 0})).run1();
  EXPECT_EQ(y.shape(), (Shape{2, 1, 2}));
  EXPECT_EQ(values<float>(y), (std::vector<float>{2, 0, 5, 3}));
  Tensor picked = OneNode("Gather").in(i64s({10, 20, 30})).param(i64({}, {1})).run1();
  EXPECT_EQ(picked.shape(), Shape{});
  EXPECT_EQ(picked.data<int64_t>()[0], 20);
}

TEST(Gather, OutOfRangeIndicesAreErrors) {
  EXPECT_EQ(error_kind_of([] { OneNode("Gather").in(iota({3})).param(i64s({3})).infer(); }), ErrorKind::InvalidModel);
  EXPECT_EQ(error_kind_of([] { OneNode("Gather").in(iota({3})).in(i64s({-4})).run1(); }), ErrorKind::InvalidInput);
}

TEST(Cast, FloatToIntTruncatesAndSaturates) {
  float nan = std::numeric_limits<float>::quiet_NaN();
  Tensor y = OneNode("Cast").attr("to", int64_t{6}).in(f32({5}, {2.7f, -2.7f, 1e20f, -1e20f, nan})).run1();
  EXPECT_EQ(y.dtype(), DType::i32);
  EXPECT_EQ(values<int32_t>(y),
            (std::vector<int32_t>{2, -2, std::numeric_limits<int32_t>::max(), std::numeric_limits<int32_t>::min(), 0}));
}

TEST(Cast, BoolRoundTripAndUnsupportedTargets) {
  Tensor flags = OneNode("Cast").attr("to", int64_t{9}).in(f32({3}, {0, -0.5f, 2})).run1();
  EXPECT_EQ(values<bool>(flags), (std::vector<bool>{false, true, true}));
  Tensor back = OneNode("Cast").attr("to", int64_t{11}).in(flags).run1();
  EXPECT_EQ(values<double>(back), (std::vector<double>{0, 1, 1}));
  EXPECT_EQ(error_kind_of([] { OneNode("Cast").attr("to", int64_t{8}).in(iota({2})).infer(); }),
            ErrorKind::Unsupported);
}

TEST(TensorOps, DataMovementCostsNoFlops) {
  OneNode concat("Concat");
  const Graph& g = concat.attr("axis", int64_t{0}).in(iota({2})).in(iota({3})).infer();
  EXPECT_EQ(node_cost(g.nodes[0], g).flops, 0);
}
