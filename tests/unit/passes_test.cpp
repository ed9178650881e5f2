// Graph passes keep outputs the same and remove nodes: each test builds a small
// graph, evaluates it node by node with the reference kernels, applies a pass and
// compares the outputs and the node count.
#include "ir/passes/passes.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ops/op.h"

using namespace tandem;

namespace {

Tensor ramp(Shape shape, float scale, float offset = 0) {
  Tensor t(DType::f32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = offset + scale * static_cast<float>((i * 7) % 13 - 6);
  return t;
}

Tensor ints(std::vector<int64_t> values) {
  return Tensor::from<int64_t>({static_cast<int64_t>(values.size())}, values);
}

// Evaluates the graph node by node on a copy in which every computed value becomes
// a constant, so that each node's shape inference sees constant parameters (even
// an unfolded Shape -> ... -> Reshape chain). Returns the graph outputs.
std::vector<Tensor> evaluate(Graph g, const std::vector<Tensor>& inputs) {
  for (size_t i = 0; i < g.inputs.size(); ++i) {
    Value& v = g.value(g.inputs[i]);
    v.shape = inputs.at(i).shape();
    v.data = inputs[i];
  }
  g.sort_topologically();
  for (const Node& node : g.nodes) {
    find_op(node.op)->infer(node, g);
    std::vector<Tensor> in;
    for (int id : node.inputs) in.push_back(id == kNoValue ? Tensor() : *g.value(id).data);
    std::vector<Tensor> out = run_reference(node, g, in);
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (node.outputs[i] != kNoValue) g.value(node.outputs[i]).data = out[i];
  }
  std::vector<Tensor> results;
  for (int id : g.outputs) results.push_back(*g.value(id).data);
  return results;
}

void expect_same_outputs(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].shape(), want[k].shape()) << "output " << k;
    std::vector<float> g = got[k].to_floats(), w = want[k].to_floats();
    for (size_t i = 0; i < g.size(); ++i)
      ASSERT_NEAR(g[i], w[i], 1e-5 + 1e-5 * std::fabs(w[i])) << "output " << k << " element " << i;
  }
}

// A graph under construction: values by name, nodes appended in order.
struct Builder {
  Graph g;
  int input(const std::string& name, Shape shape) {
    int id = g.add_value(name, DType::f32, std::move(shape));
    g.inputs.push_back(id);
    return id;
  }
  int constant(const std::string& name, Tensor t) { return g.add_constant(name, std::move(t)); }
  int node(const std::string& op, std::vector<int> inputs, Attributes attrs = {}, int outputs = 1) {
    Node n{op + "_" + std::to_string(g.nodes.size()), op, std::move(inputs), {}, std::move(attrs)};
    for (int i = 0; i < outputs; ++i) n.outputs.push_back(g.add_value(n.name + "_out" + std::to_string(i)));
    g.nodes.push_back(n);
    return n.outputs[0];
  }
  Graph done(std::vector<int> outputs) {
    g.outputs = std::move(outputs);
    infer_shapes(g);
    return g;
  }
};

Attributes ints_attr(const std::string& name, std::vector<int64_t> values) {
  Attributes a;
  a.set(name, std::move(values));
  return a;
}

int conv3x3(Builder& b, int x, int64_t in_channels, int64_t out_channels, bool bias) {
  std::vector<int> inputs = {x, b.constant(b.g.unique_name("w"), ramp({out_channels, in_channels, 3, 3}, 0.05f))};
  if (bias) inputs.push_back(b.constant(b.g.unique_name("b"), ramp({out_channels}, 0.1f)));
  return b.node("Conv", inputs, ints_attr("pads", {1, 1, 1, 1}));
}

int batchnorm(Builder& b, int x, int64_t channels) {
  Attributes eps;
  eps.set("epsilon", 1e-3f);
  return b.node("BatchNormalization",
                {x, b.constant(b.g.unique_name("gamma"), ramp({channels}, 0.1f, 1.0f)),
                 b.constant(b.g.unique_name("beta"), ramp({channels}, 0.2f)),
                 b.constant(b.g.unique_name("mean"), ramp({channels}, 0.3f)),
                 b.constant(b.g.unique_name("var"), ramp({channels}, 0.05f, 1.0f))},
                eps);
}

size_t count_ops(const Graph& g, const std::string& op) {
  size_t n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

// Applies `pass`, checks outputs against the graph before it and returns the result.
Graph check_pass(Graph before, void (*pass)(Graph&), const std::vector<Tensor>& inputs, size_t expect_nodes) {
  Graph after = before;
  pass(after);
  EXPECT_EQ(after.nodes.size(), expect_nodes);
  infer_shapes(after);
  expect_same_outputs(evaluate(after, inputs), evaluate(before, inputs));
  return after;
}

}  // namespace

TEST(DropIdentities, RemovesIdentityAndDropoutKeepingOutputNames) {
  Builder b;
  int x = b.input("x", {2, 3});
  int a = b.node("Identity", {x});
  int r = b.node("Relu", {a});
  int d = b.node("Dropout", {r, b.constant("ratio", Tensor::from<float>({}, {0.5f}))});
  int y = b.node("Identity", {d});
  Graph g = b.done({y});
  Graph after = check_pass(g, drop_identities, {ramp({2, 3}, 1.0f)}, 1);
  EXPECT_EQ(after.nodes[0].op, "Relu");
  EXPECT_EQ(after.value(after.nodes[0].outputs[0]).name, g.value(y).name);
}

TEST(DropIdentities, KeepsAGraphOutputCopiedFromAGraphInputAndAUsedMask) {
  Builder b;
  int x = b.input("x", {4});
  int copy = b.node("Identity", {x});
  b.node("Dropout", {x}, {}, 2);
  int mask = b.g.nodes.back().outputs[1];
  Graph g = b.done({copy, mask});
  check_pass(g, drop_identities, {ramp({4}, 1.0f)}, 2);
}

TEST(FoldConstants, FoldsExporterShapeChainBeforeShapeInference) {
  // y = Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) * (c1 + c2)
  Builder b;
  int x = b.input("x", {2, 3, 4});
  int shape = b.node("Shape", {x});
  int batch = b.node("Gather", {shape, b.constant("zero", Tensor::from<int64_t>({}, {0}))});
  int batch1 = b.node("Unsqueeze", {batch, b.constant("axes", ints({0}))});
  Attributes axis0;
  axis0.set("axis", int64_t{0});
  int target = b.node("Concat", {batch1, b.constant("minus_one", ints({-1}))}, axis0);
  int flat = b.node("Reshape", {x, target});
  int scale = b.node("Add", {b.constant("c1", ramp({12}, 0.5f)), b.constant("c2", ramp({12}, 0.25f))});
  int y = b.node("Mul", {flat, scale});
  b.g.outputs = {y};
  Graph before = b.g;  // not shape-inferred: the Reshape target is not constant yet
  Graph after = b.g;
  fold_constants(after);
  EXPECT_EQ(after.nodes.size(), 2u);
  EXPECT_EQ(count_ops(after, "Reshape") + count_ops(after, "Mul"), 2u);
  infer_shapes(after);
  EXPECT_EQ(after.value(y).shape, (Shape{2, 12}));
  Tensor input = ramp({2, 3, 4}, 1.0f);
  expect_same_outputs(evaluate(after, {input}), evaluate(before, {input}));
}

TEST(FoldConstants, KeepsNodesThatProduceGraphOutputs) {
  Builder b;
  int x = b.input("x", {3});
  int c = b.node("Add", {b.constant("c1", ramp({3}, 1.0f)), b.constant("c2", ramp({3}, 2.0f))});
  int y = b.node("Add", {x, c});
  int z = b.node("Relu", {b.constant("c3", ramp({3}, 1.0f))});
  check_pass(b.done({y, z}), fold_constants, {ramp({3}, 0.5f)}, 2);
}

TEST(FoldBatchnorm, FoldsIntoConvWithAndWithoutBias) {
  Builder b;
  int x = b.input("x", {2, 3, 5, 5});
  int y1 = batchnorm(b, conv3x3(b, x, 3, 4, true), 4);
  int y2 = batchnorm(b, conv3x3(b, x, 3, 2, false), 2);
  Graph after = check_pass(b.done({y1, y2}), fold_batchnorm, {ramp({2, 3, 5, 5}, 0.3f)}, 2);
  EXPECT_EQ(count_ops(after, "BatchNormalization"), 0u);
  for (const Node& conv : after.nodes) EXPECT_NE(after.input(conv, 2), nullptr) << conv.name << " has no bias";
}

TEST(FoldBatchnorm, LeavesConvWithAnotherReader) {
  Builder b;
  int x = b.input("x", {1, 2, 4, 4});
  int c = conv3x3(b, x, 2, 2, true);
  int y = batchnorm(b, c, 2);
  int z = b.node("Relu", {c});
  check_pass(b.done({y, z}), fold_batchnorm, {ramp({1, 2, 4, 4}, 0.3f)}, 3);
}

TEST(FuseActivations, FusesEveryActivationIntoConvAndGemm) {
  Builder b;
  int x = b.input("x", {2, 2, 4, 4});
  Attributes leaky;
  leaky.set("alpha", 0.2f);
  std::vector<int> outputs = {
      b.node("Relu", {conv3x3(b, x, 2, 3, true)}),
      b.node("LeakyRelu", {conv3x3(b, x, 2, 3, false)}, leaky),
      b.node("Clip", {conv3x3(b, x, 2, 3, true), b.constant("lo", Tensor::from<float>({}, {-0.1f})),
                      b.constant("hi", Tensor::from<float>({}, {0.2f}))}),
      b.node("Clip", {conv3x3(b, x, 2, 3, true), kNoValue, b.constant("hi2", Tensor::from<float>({}, {0.3f}))}),
      b.node("Sigmoid", {conv3x3(b, x, 2, 3, true)}),
  };
  int flat = b.node("Flatten", {x});
  Attributes trans_b;
  trans_b.set("transB", int64_t{1});
  outputs.push_back(b.node("Tanh", {b.node("Gemm", {flat, b.constant("fc", ramp({5, 32}, 0.02f))}, trans_b)}));
  Graph after = check_pass(b.done(outputs), fuse_activations, {ramp({2, 2, 4, 4}, 0.4f)}, 7);
  for (const char* op : {"Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh"}) EXPECT_EQ(count_ops(after, op), 0u) << op;
  EXPECT_EQ(after.nodes.back().attrs.get_string("activation", ""), "Tanh");
}

TEST(FuseActivations, LeavesConvWhoseOutputIsAGraphOutput) {
  Builder b;
  int x = b.input("x", {1, 1, 3, 3});
  int c = conv3x3(b, x, 1, 1, true);
  int y = b.node("Relu", {c});
  Graph after = check_pass(b.done({c, y}), fuse_activations, {ramp({1, 1, 3, 3}, 0.4f)}, 2);
  EXPECT_FALSE(after.nodes[0].attrs.has("activation"));
}

TEST(OptimizeGraph, FoldsFusesAndDropsAWholeBlock) {
  // Conv -> BN -> Relu -> Identity -> Reshape(Shape chain) -> Gemm -> Dropout -> y
  Builder b;
  int x = b.input("x", {2, 3, 4, 4});
  int act = b.node("Identity", {b.node("Relu", {batchnorm(b, conv3x3(b, x, 3, 4, false), 4)})});
  int batch = b.node("Gather", {b.node("Shape", {act}), b.constant("zero", Tensor::from<int64_t>({}, {0}))});
  Attributes axis0;
  axis0.set("axis", int64_t{0});
  int target =
      b.node("Concat",
             {b.node("Unsqueeze", {batch, b.constant("axes", ints({0}))}), b.constant("minus_one", ints({-1}))}, axis0);
  Attributes trans_b;
  trans_b.set("transB", int64_t{1});
  int fc = b.node("Gemm",
                  {b.node("Reshape", {act, target}), b.constant("fc", ramp({3, 64}, 0.01f)),
                   b.constant("fc_bias", ramp({3}, 0.1f))},
                  trans_b);
  int y = b.node("Dropout", {fc});
  b.g.outputs = {y};
  Graph before = b.g;
  Graph after = b.g;
  optimize_graph(after);
  ASSERT_EQ(after.nodes.size(), 3u);
  EXPECT_EQ(after.nodes[0].op, "Conv");
  EXPECT_EQ(after.nodes[0].attrs.get_string("activation", ""), "Relu");
  EXPECT_EQ(after.nodes[1].op, "Reshape");
  EXPECT_EQ(after.nodes[2].op, "Gemm");
  EXPECT_EQ(after.value(after.outputs[0]).name, before.value(y).name);
  Tensor input = ramp({2, 3, 4, 4}, 0.2f);
  expect_same_outputs(evaluate(after, {input}), evaluate(before, {input}));
}
