// The model zoo: every model builds in standard ONNX form, infers the right output
// shape at any batch, has torchvision's parameter count, and its weights depend only
// on the seed.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "ir/zoo/zoo.h"
#include "ops/op.h"
#include "tandem/error.h"

using namespace tandem;

namespace {

// Trainable parameters as torchvision counts them: constant inputs of every node,
// without BatchNormalization's running mean and variance (buffers, not parameters)
// and without Clip's bounds.
int64_t trainable_parameters(const Graph& graph) {
  std::set<int> counted;
  int64_t total = 0;
  for (const Node& node : graph.nodes) {
    if (node.op == "Clip") continue;
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      const Value* in = graph.input(node, i);
      if (!in || !in->is_constant()) continue;
      if (node.op == "BatchNormalization" && i >= 3) continue;
      if (counted.insert(node.inputs[i]).second) total += in->data->numel();
    }
  }
  return total;
}

struct Expected {
  int64_t parameters;
  int64_t classes;
};

const std::map<std::string, Expected> kExpected = {
    {"lenet5", {61'706, 10}},             // 156 + 2,416 + 48,120 + 10,164 + 850
    {"alexnet", {61'100'840, 1000}},      // torchvision
    {"alexnet_lrn", {60'965'224, 1000}},  // Krizhevsky et al. (Caffe's bvlc_alexnet)
    {"vgg16", {138'357'544, 1000}},
    {"resnet18", {11'689'512, 1000}},
    {"resnet50", {25'557'032, 1000}},
    {"mobilenetv2", {3'504'872, 1000}},
    {"googlenet", {6'624'904, 1000}},     // without the auxiliary classifiers
    {"squeezenet1_1", {1'235'496, 1000}},
};

const std::set<std::string> kStandardOps = {"Conv", "BatchNormalization", "Relu", "Clip", "LRN",
                                            "MaxPool", "GlobalAveragePool", "Concat", "Add",
                                            "Flatten", "Gemm"};

bool same_constants(const Graph& a, const Graph& b) {
  if (a.values.size() != b.values.size()) return false;
  for (size_t i = 0; i < a.values.size(); ++i) {
    const Value& va = a.values[i];
    const Value& vb = b.values[i];
    if (va.is_constant() != vb.is_constant() || va.name != vb.name) return false;
    if (!va.is_constant()) continue;
    if (va.data->shape() != vb.data->shape()) return false;
    if (!std::equal(va.data->data<float>(), va.data->data<float>() + va.data->numel(), vb.data->data<float>()))
      return false;
  }
  return true;
}

class ZooModelTest : public ::testing::TestWithParam<std::string> {};

}  // namespace

TEST(Zoo, ListsTheNineModels) {
  std::set<std::string> names;
  for (const ZooModel& model : zoo_models()) names.insert(model.name);
  std::set<std::string> expected;
  for (const auto& [name, unused] : kExpected) expected.insert(name);
  EXPECT_EQ(names, expected);
  EXPECT_EQ(zoo_models().size(), 9u);
}

TEST(Zoo, UnknownNameIsAnInvalidInputError) {
  EXPECT_EQ(find_zoo_model("resnet19"), nullptr);
  try {
    build_zoo_model("resnet19");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("resnet19"), std::string::npos);
  }
}

TEST(Zoo, SameSeedGivesSameWeights) {
  for (const char* name : {"lenet5", "mobilenetv2"}) {
    EXPECT_TRUE(same_constants(build_zoo_model(name, 7), build_zoo_model(name, 7))) << name;
    EXPECT_FALSE(same_constants(build_zoo_model(name, 7), build_zoo_model(name, 8))) << name;
  }
}

TEST(Zoo, BatchNormVariancesArePositive) {
  Graph g = build_zoo_model("resnet18");
  int bn_count = 0;
  for (const Node& node : g.nodes) {
    if (node.op != "BatchNormalization") continue;
    ++bn_count;
    const Tensor& var = *g.input(node, 4)->data;
    for (int64_t i = 0; i < var.numel(); ++i) ASSERT_GT(var.data<float>()[i], 0.0f) << node.name;
  }
  EXPECT_EQ(bn_count, 20);
}

TEST_P(ZooModelTest, BuildsWithTorchvisionShapeAndParameterCount) {
  const std::string name = GetParam();
  const ZooModel* model = find_zoo_model(name);
  ASSERT_NE(model, nullptr);
  Graph g = model->build(0);
  EXPECT_EQ(g.name, name);
  EXPECT_EQ(g.opset, 17);
  ASSERT_EQ(g.inputs.size(), 1u);
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.value(g.inputs[0]).name, "input");
  EXPECT_EQ(g.value(g.inputs[0]).shape, model->input_shape);
  EXPECT_EQ(g.value(g.outputs[0]).name, "output");

  std::set<std::string> node_names;
  for (const Node& node : g.nodes) {
    EXPECT_TRUE(kStandardOps.count(node.op)) << describe(node);
    EXPECT_TRUE(node_names.insert(node.name).second) << "duplicate node name " << node.name;
  }
  EXPECT_EQ(trainable_parameters(g), kExpected.at(name).parameters);

  // The builder's shapes (batch 1) are those of shape inference.
  std::vector<Shape> built;
  for (const Value& v : g.values) built.push_back(v.shape);
  infer_shapes(g);
  for (size_t i = 0; i < g.values.size(); ++i) EXPECT_EQ(g.values[i].shape, built[i]) << g.values[i].name;
  EXPECT_EQ(g.value(g.outputs[0]).shape, Shape({1, kExpected.at(name).classes}));

  // Shape inference at batch 3 gives (3, classes).
  Shape input_shape = model->input_shape;
  input_shape[0] = 3;
  g.value(g.inputs[0]).shape = input_shape;
  infer_shapes(g);
  EXPECT_EQ(g.value(g.outputs[0]).shape, Shape({3, kExpected.at(name).classes}));
}

INSTANTIATE_TEST_SUITE_P(AllModels, ZooModelTest,
                         ::testing::Values("lenet5", "alexnet", "alexnet_lrn", "vgg16", "resnet18", "resnet50",
                                           "mobilenetv2", "googlenet", "squeezenet1_1"),
                         [](const auto& info) { return info.param; });
