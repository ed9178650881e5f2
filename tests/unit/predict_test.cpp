// Latency predictors: each model recovers a known synthetic law, the predictor file
// round-trips and rejects bad files clearly, the cpu backend's execution features follow
// its rules, learned corrections stay in their trained range, held-out evaluation
// and its ceilings count correctly, and the drift monitor flags a sustained slowdown
// only.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <random>
#include <set>

#include <nlohmann/json.hpp>

#include "ir/prepare.h"
#include "predict/accuracy.h"
#include "predict/boundary_fit.h"
#include "predict/boosted_trees.h"
#include "predict/evaluate.h"
#include "predict/host_execution.h"
#include "predict/linear_model.h"
#include "predict/log_features.h"
#include "predict/op_model.h"
#include "predict/predictor.h"
#include "predict/roofline.h"
#include "runtime/drift.h"
#include "tandem/error.h"

namespace tandem {
namespace {

// The law the synthetic samples follow: 3 µs overhead plus 1000 FLOP/µs.
double law_us(double flops) { return 3 + flops / 1e3; }

NodeFeatures conv_features(double flops, double batch = 1) {
  NodeFeatures f;
  f.op = "Conv";
  f.flops = flops;
  f.input_bytes = 4 * std::sqrt(flops);  // grows slower than FLOPs: compute-bound
  f.output_bytes = 4 * std::sqrt(flops);
  f.kernel = 9;
  f.in_channels = f.out_channels = 16;
  f.spatial = flops / 1e3;
  f.batch = batch;
  f.threads = 2;
  return f;
}

// `count` samples with FLOPs log-uniform in [1e3, 1e7] and ±`noise` relative noise.
std::vector<LatencySample> law_samples(int count, double noise, uint64_t seed, const std::string& source = "m") {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> exponent(3, 7), jitter(-noise, noise);
  std::vector<LatencySample> samples;
  for (int i = 0; i < count; ++i) {
    double flops = std::pow(10, exponent(rng));
    LatencySample s;
    s.device = "cpu";
    s.source = source;
    s.signature = source + "/conv" + std::to_string(i);
    s.features = conv_features(flops);
    s.us = law_us(flops) * (1 + jitter(rng));
    samples.push_back(s);
  }
  return samples;
}

double relative_error(double predicted, double measured) { return std::abs(predicted - measured) / measured; }

TEST(Roofline, RecoversOverheadAndPeak) {
  Roofline r = Roofline::fit(law_samples(200, 0.02, 1), 2, 1.0);
  EXPECT_NEAR(r.overhead_us, 3, 0.3);
  EXPECT_NEAR(r.flops_per_us, 1e3, 30);
  for (double flops : {1e3, 1e4, 1e5, 1e6, 3e7}) EXPECT_LT(relative_error(r.time_us(conv_features(flops)), law_us(flops)), 0.03);
}

TEST(Roofline, RecoversLoadSlope) {
  std::vector<LatencySample> samples = law_samples(200, 0.02, 11);
  for (size_t i = 0; i < samples.size(); i += 2) {
    samples[i].features.load = 1;
    samples[i].us *= 1.8;  // slope 0.8
  }
  Roofline r = Roofline::fit(samples, 2, 1.0);
  EXPECT_NEAR(r.load_slope, 0.8, 0.05);
}

TEST(Roofline, OverheadStaysWithinTheGivenLimit) {
  // Only large nodes: they cannot tell a 3 µs overhead from a 60 µs one.
  std::vector<LatencySample> samples = law_samples(100, 0.02, 12);
  for (LatencySample& s : samples) s.us += 200;
  EXPECT_GT(Roofline::fit(samples, 2, 1.0).overhead_us, 20);
  EXPECT_LE(Roofline::fit(samples, 2, 1.0, 5.0).overhead_us, 5.0 + 1e-9);
}

// A convolution with explicit geometry: batch, channels in and out, output side, kernel side, stride.
NodeFeatures conv_geometry(double batch, double cin, double cout, double side, double k, double stride = 1,
                           double groups = 1) {
  NodeFeatures f;
  f.op = "Conv";
  f.batch = batch, f.in_channels = cin, f.out_channels = cout, f.groups = groups;
  f.spatial = side * side, f.kernel = k * k, f.stride = stride, f.threads = 2;
  f.flops = 2 * batch * f.spatial * cout * cin / groups * f.kernel;
  f.input_bytes = 4 * batch * cin * f.spatial * stride * stride;
  f.output_bytes = 4 * batch * cout * f.spatial;
  f.weight_bytes = 4 * cout * cin / groups * f.kernel;
  return f;
}

TEST(PredictorFeatures, HostExecutionFollowsTheCpuBackend) {
  HostExecution tiny = host_execution(conv_geometry(1, 8, 8, 4, 1));
  EXPECT_EQ(tiny.tasks, 1);  // well under 25 µs on one core: one task
  EXPECT_EQ(tiny.parallel_efficiency, 1);
  HostExecution wide = host_execution(conv_geometry(1, 64, 64, 28, 3));
  EXPECT_EQ(wide.tasks, 2);
  EXPECT_TRUE(wide.winograd);
  EXPECT_DOUBLE_EQ(wide.effective_flops, conv_geometry(1, 64, 64, 28, 3).flops / 2.25);
  EXPECT_FALSE(host_execution(conv_geometry(1, 64, 64, 28, 3, 2)).winograd);  // stride 2
  EXPECT_FALSE(host_execution(conv_geometry(1, 3, 64, 28, 3)).winograd);      // 3 channels: not blocked by 8
  EXPECT_FALSE(host_execution(conv_geometry(1, 64, 64, 28, 5)).winograd);     // 5x5
  EXPECT_FALSE(host_execution(conv_geometry(1, 64, 64, 4, 3)).winograd);      // 4 tiles: too few
  // Batch 3 over 2 tasks: two rounds, the second half idle.
  EXPECT_DOUBLE_EQ(host_execution(conv_geometry(3, 64, 64, 28, 1)).parallel_efficiency, 0.75);
  // Batch 1 with 8 output channels: one block of 8, one part for two tasks.
  HostExecution one_block = host_execution(conv_geometry(1, 512, 8, 28, 1));
  EXPECT_EQ(one_block.parts, 1);
  EXPECT_DOUBLE_EQ(one_block.parallel_efficiency, 0.5);
  // Channels last (AVX-512 machines): batch 1 splits its 7 output rows, 4 then 3.
  NodeFeatures rows = conv_geometry(1, 512, 8, 7, 1);
  rows.channels_last = 1;
  EXPECT_EQ(host_execution(rows).parts, 2);
  EXPECT_DOUBLE_EQ(host_execution(rows).parallel_efficiency, 7.0 / 8.0);
  // A depthwise conv held channels last runs on the own kernel: 21 rows of 3 vectors of
  // 8 channels, 63 units over 2 tasks (32 rounds: 63/64). Blocked, it stays a grouped conv.
  NodeFeatures depthwise = conv_geometry(1, 24, 24, 21, 3, 1, 24);
  depthwise.channels_last = 1;
  EXPECT_EQ(host_execution(depthwise).tasks, 2);
  EXPECT_DOUBLE_EQ(host_execution(depthwise).parallel_efficiency, 63.0 / 64.0);
  depthwise.channels_last = 0;
  EXPECT_DOUBLE_EQ(host_execution(depthwise).parallel_efficiency, 3.0 / 4.0);  // 3 blocks of 8 groups
  NodeFeatures pool = conv_geometry(8, 64, 64, 28, 3);
  pool.op = "MaxPool";
  EXPECT_FALSE(host_execution(pool).winograd);
  EXPECT_EQ(host_execution(pool).parallel_efficiency, 1);
}

TEST(PredictorFeatures, NeighboursAreTheProducerTheFirstConsumerAndAResidualAdd) {
  Graph g = load_model("resnet18");
  prepare_graph(g, PrepareOptions{1, {}, true});
  auto node = [&](const std::string& name) -> const Node& {
    for (const Node& n : g.nodes)
      if (n.name == name) return n;
    throw std::runtime_error("no node " + name);
  };
  NodeFeatures stem = node_features(node("conv1"), g);  // 7x7 stride 2, from the graph input, into the max pool
  EXPECT_EQ(stem.producer, static_cast<double>(Neighbour::None));
  EXPECT_EQ(stem.consumer, static_cast<double>(Neighbour::Pool));
  NodeFeatures first = node_features(node("layer1.0.conv1"), g);  // 3x3 from the max pool into a 3x3
  EXPECT_EQ(first.producer, static_cast<double>(Neighbour::Pool));
  EXPECT_EQ(first.consumer, static_cast<double>(Neighbour::Conv3x3));
  NodeFeatures shortcut = node_features(node("layer2.0.downsample.0"), g);  // 1x1 stride 2
  EXPECT_EQ(shortcut.consumer, static_cast<double>(Neighbour::Other));  // the residual add
  EXPECT_EQ(shortcut.residual_add, 1);
  EXPECT_EQ(node_features(node("layer1.0.conv2"), g).residual_add, 1);  // ends the block, before its add
  EXPECT_EQ(first.residual_add, 0);
  EXPECT_EQ(stem.residual_add, 0);
  NodeFeatures head = node_features(g.nodes.back(), g);
  EXPECT_EQ(head.consumer, static_cast<double>(Neighbour::None)) << describe(g.nodes.back());
  const std::vector<double> before = log_features(first, 100);
  NodeFeatures from_concat = first;
  from_concat.producer = static_cast<double>(Neighbour::Concat);
  EXPECT_NE(log_features(from_concat, 100), before) << "the learned models see the neighbours";
  NodeFeatures with_residual = first;
  with_residual.residual_add = 1;
  EXPECT_NE(log_features(with_residual, 100), before) << "and the residual add";
}

// graph_bytes: what one run of the graph reads and writes, each value once; the same
// for every node of the graph.
TEST(PredictorFeatures, GraphBytesCountEveryValueTheNodesUseOnce) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  std::set<int> used;
  for (const Node& n : g.nodes) {
    for (int v : n.inputs)
      if (v != kNoValue) used.insert(v);
    for (int v : n.outputs) used.insert(v);
  }
  double bytes = 0;
  for (int v : used) bytes += static_cast<double>(value_bytes(g.values[static_cast<size_t>(v)]));
  EXPECT_GT(bytes, 240e3) << "LeNet-5's weights alone";
  for (const NodeFeatures& f : graph_features(g)) EXPECT_DOUBLE_EQ(f.graph_bytes, bytes);
  Value unused;
  unused.shape = {1000, 1000};  // left behind by a pass: no node reads it
  g.values.push_back(unused);
  EXPECT_DOUBLE_EQ(node_features(g.nodes[0], g).graph_bytes, bytes);
  NodeFeatures larger = node_features(g.nodes[0], g);
  larger.graph_bytes *= 100;
  EXPECT_NE(log_features(larger, 10), log_features(node_features(g.nodes[0], g), 10)) << "the learned models see it";
}

// A Concat's inputs from the own Winograd kernel are written in place; a 1x1 conv's
// (oneDNN) and a small map's 3x3 conv (too few tiles for Winograd) are copied.
TEST(PredictorFeatures, ConcatInputsWrittenInPlaceComeFromTheOwnKernels) {
  auto concats = [](const std::string& model) {
    Graph g = load_model(model);
    prepare_graph(g, PrepareOptions{1, {}, true});
    std::vector<NodeFeatures> found;
    for (const NodeFeatures& f : graph_features(g))
      if (f.op == "Concat") found.push_back(f);
    return found;
  };
  std::vector<NodeFeatures> fire = concats("squeezenet1_1");  // expand 1x1 and 3x3, 55x55 first
  ASSERT_FALSE(fire.empty());
  EXPECT_DOUBLE_EQ(fire.front().in_place_input_bytes, 64 * 55 * 55 * 4.0);
  EXPECT_DOUBLE_EQ(fire.front().in_place_input_bytes * 2, fire.front().input_bytes);
  std::vector<NodeFeatures> inception = concats("googlenet");  // inception 5b: 7x7 maps
  ASSERT_FALSE(inception.empty());
  EXPECT_EQ(inception.back().in_place_input_bytes, 0);
  EXPECT_GT(inception.front().in_place_input_bytes, 0) << "inception 3a's 3x3 branches on 28x28 maps";
  EXPECT_LT(inception.front().in_place_input_bytes, inception.front().input_bytes);
  NodeFeatures copied_more = inception.front();
  copied_more.in_place_input_bytes = 0;
  EXPECT_NE(log_features(copied_more, 10), log_features(inception.front(), 10)) << "the learned models see it";
}

// The one-pass features of a whole graph are each node's own (branches, Concats).
TEST(PredictorFeatures, GraphFeaturesMatchEachNodesFeatures) {
  Graph g = load_model("googlenet");
  prepare_graph(g, PrepareOptions{1, {}, true});
  std::vector<NodeFeatures> all = graph_features(g);
  ASSERT_EQ(all.size(), g.nodes.size());
  for (size_t n = 0; n < g.nodes.size(); ++n)
    EXPECT_EQ(feature_vector(all[n]), feature_vector(node_features(g.nodes[n], g))) << describe(g.nodes[n]);
}

TEST(PredictorOpModel, LearnedCorrectionStaysWithinTheTrainedRange) {
  std::vector<LatencySample> samples = law_samples(60, 0.02, 13);
  for (LatencySample& s : samples) s.us *= 1 + 0.5 * std::log10(s.features.flops) / 7;  // grows with size
  FitOptions options;
  options.kinds = {ModelKind::Linear};
  OpModel model = fit_op_model(samples, Roofline::fit(samples, 2, 1.0), 2, 1.0, options);
  ASSERT_EQ(model.kind, ModelKind::Linear);
  EXPECT_LT(model.min_correction, model.max_correction);
  for (double flops : {1.0, 1e12}) {  // far outside the trained 1e3 .. 1e7
    NodeFeatures f = conv_features(flops);
    double correction = std::log(model.predict_us(f) / model.roofline.time_us(f));
    EXPECT_GE(correction, model.min_correction - 1e-9);
    EXPECT_LE(correction, model.max_correction + 1e-9);
  }
  nlohmann::json j = op_model_json(model);
  EXPECT_EQ(op_model_from_json(j, "m").max_correction, model.max_correction);
  j.erase("correction_range");
  try {
    op_model_from_json(j, "devices.cpu.ops.Conv");
    ADD_FAILURE() << "expected an error for a model without its correction range";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("devices.cpu.ops.Conv: missing 'correction_range'"), std::string::npos);
  }
}

TEST(Roofline, DefaultsScaleWithThreadsAndLoad) {
  NodeFeatures f = conv_features(1e8);
  Roofline r = Roofline::defaults(DeviceKind::Host, 2);
  double two_threads = r.time_us(f);
  f.threads = 1;
  EXPECT_GT(r.time_us(f), 1.9 * (two_threads - r.overhead_us));
  f.load = 1;
  EXPECT_GT(r.time_us(f), two_threads * 2);
}

TEST(LinearModel, RecoversLogLinearLaw) {
  // log t = 0.5 + 0.9 log flops - 0.3 log batch, with 1% noise.
  std::mt19937_64 rng(2);
  std::uniform_real_distribution<double> x1(3, 16), x2(0, 3), noise(-0.01, 0.01);
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;
  for (int i = 0; i < 300; ++i) {
    rows.push_back({x1(rng), x2(rng)});
    targets.push_back(0.5 + 0.9 * rows.back()[0] - 0.3 * rows.back()[1] + noise(rng));
  }
  LinearModel model = LinearModel::fit(rows, targets);
  for (auto [a, b] : {std::pair{4.0, 0.5}, {10.0, 2.0}, {15.0, 1.0}})
    EXPECT_LT(std::abs(std::exp(model.predict({a, b})) / std::exp(0.5 + 0.9 * a - 0.3 * b) - 1), 0.03);
}

TEST(LinearModel, DoesNotExtrapolateBeyondTrainingRange) {
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;
  for (int i = 0; i <= 10; ++i) {
    rows.push_back({static_cast<double>(i)});
    targets.push_back(0.1 * i);
  }
  LinearModel model = LinearModel::fit(rows, targets);
  EXPECT_NEAR(model.predict({5}), 0.5, 1e-3);
  EXPECT_NEAR(model.predict({1000}), model.predict({10}), 1e-9);
}

TEST(TrainingSet, ValidationSplitNeverTrainsOnAValidationShape) {
  std::vector<LatencySample> samples;
  for (const char* source : {"a", "b", "c", "d", "e"})
    for (LatencySample s : law_samples(10, 0, 1, source)) {
      s.signature = "shared" + std::to_string(samples.size() % 7);  // shapes shared across sources
      samples.push_back(s);
    }
  SampleSplit split = validation_split(samples, 0.25, 3);
  ASSERT_FALSE(split.validation.empty());
  std::set<std::string> validation_keys;
  for (const LatencySample& s : split.validation) validation_keys.insert(signature_key(s));
  for (const LatencySample& s : split.training) EXPECT_FALSE(validation_keys.count(signature_key(s)));
  EXPECT_EQ(split.training.size() + split.validation.size(), samples.size());
}

TEST(BoostedTrees, RecoversCurvedLaw) {
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> exponent(3, 7), noise(-0.01, 0.01);
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;
  for (int i = 0; i < 400; ++i) {
    double flops = std::pow(10, exponent(rng));
    rows.push_back({std::log(flops)});
    targets.push_back(std::log(law_us(flops)) + noise(rng));
  }
  BoostedTrees trees = BoostedTrees::fit(rows, targets);
  for (double flops : {2e3, 3e4, 5e5, 5e6})
    EXPECT_LT(relative_error(std::exp(trees.predict_row({std::log(flops)})), law_us(flops)), 0.05) << flops;
  BoostedTrees loaded = BoostedTrees::from_json_text(trees.to_json_text());
  EXPECT_EQ(loaded.inputs(), 1u);
  EXPECT_EQ(loaded.predict_row({std::log(1e5)}), trees.predict_row({std::log(1e5)}));
}

TEST(BoostedTrees, RejectsGarbageModelText) {
  try {
    BoostedTrees::from_json_text("{ not a model");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("XGBoosterLoadModelFromBuffer"), std::string::npos) << e.what();
  }
}

class PredictorKinds : public ::testing::TestWithParam<ModelKind> {};

TEST_P(PredictorKinds, EachKindRecoversLawOnUnseenShapes) {
  FitOptions options;
  options.kinds = {GetParam()};
  Predictor p = Predictor::fit(law_samples(150, 0.02, 4), {}, {}, options);
  ASSERT_TRUE(p.device("cpu"));
  EXPECT_EQ(p.device("cpu")->ops.at("Conv").kind, GetParam());
  for (double flops : {1.5e3, 2e4, 7e5, 9e6}) EXPECT_LT(relative_error(p.predict(conv_features(flops), "cpu"), law_us(flops)), 0.05);
}

INSTANTIATE_TEST_SUITE_P(Predict, PredictorKinds, ::testing::Values(ModelKind::Roofline, ModelKind::Linear, ModelKind::Trees));

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "tandem_predict_" + name; }

void write_text(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

TEST(Predictor, SaveLoadGivesIdenticalPredictions) {
  for (ModelKind kind : {ModelKind::Linear, ModelKind::Trees}) {
    FitOptions options;
    options.kinds = {kind};
    LinkProfile link{"cuda", "to_device", {}, {5, 100, 0, 0}};
    std::vector<LatencySample> samples = law_samples(100, 0.05, 5);
    for (LatencySample& sample : samples) sample.features.channels_last = 1;
    Predictor fitted = Predictor::fit(samples, {}, {link}, options);
    EXPECT_TRUE(fitted.device("cpu")->channels_last);
    std::string path = temp_path("roundtrip.json");
    fitted.save(path);
    Predictor loaded = Predictor::load(path);
    for (double flops : {1e3, 1e5, 1e7}) {
      NodeFeatures f = conv_features(flops);
      EXPECT_EQ(loaded.predict(f, "cpu"), fitted.predict(f, "cpu"));
      f.op = "MaxPool";  // no model: the device roofline
      EXPECT_EQ(loaded.predict(f, "cpu"), fitted.predict(f, "cpu"));
    }
    EXPECT_EQ(loaded.device("cpu")->ops.at("Conv").kind, kind);
    EXPECT_TRUE(loaded.device("cpu")->channels_last);
    EXPECT_EQ(loaded.predict_copy("cuda", "to_device", 1e4), fitted.predict_copy("cuda", "to_device", 1e4));
    std::remove(path.c_str());
  }
}

// Depthwise convolutions have a model of their own; without depthwise samples they take
// the device's Conv model, not the device-wide roofline.
TEST(Predictor, DepthwiseConvsHaveTheirOwnModelElseTheConvModel) {
  NodeFeatures depthwise = conv_geometry(1, 64, 64, 28, 3, 1, 64);
  EXPECT_EQ(model_group(depthwise), "Conv/depthwise");
  EXPECT_EQ(model_group(conv_geometry(1, 64, 64, 28, 3, 1, 2)), "Conv") << "grouped, not depthwise";
  EXPECT_EQ(model_group(conv_geometry(1, 64, 128, 28, 3, 1, 64)), "Conv") << "a channel multiplier of 2";
  FitOptions options;
  options.kinds = {ModelKind::Roofline};
  std::vector<LatencySample> samples = law_samples(60, 0.02, 21);
  Predictor convs_only = Predictor::fit(samples, {}, {}, options);
  ASSERT_EQ(convs_only.device("cpu")->ops.count("Conv/depthwise"), 0u);
  EXPECT_EQ(convs_only.predict(depthwise, "cpu"), convs_only.device("cpu")->ops.at("Conv").predict_us(depthwise));
  EXPECT_NE(convs_only.predict(depthwise, "cpu"), convs_only.device("cpu")->fallback.time_us(depthwise));
  for (int i = 0; i < 30; ++i) {  // depthwise convs 5x slower than the law
    LatencySample s;
    s.device = "cpu";
    s.source = "m";
    s.signature = "dw" + std::to_string(i);
    s.features = conv_geometry(1, 16.0 * (i + 1), 16.0 * (i + 1), 28, 3, 1, 16.0 * (i + 1));
    s.us = 5 * law_us(s.features.flops);
    samples.push_back(s);
  }
  Predictor both = Predictor::fit(samples, {}, {}, options);
  ASSERT_EQ(both.device("cpu")->ops.count("Conv/depthwise"), 1u);
  EXPECT_NEAR(both.predict(depthwise, "cpu") / (5 * law_us(depthwise.flops)), 1, 0.1);
  EXPECT_NEAR(both.predict(conv_features(1e6), "cpu") / law_us(1e6), 1, 0.1) << "other convs keep their own";
}

void expect_load_error(const std::string& text, ErrorKind kind, const std::string& words) {
  std::string path = temp_path("bad.json");
  write_text(path, text);
  try {
    Predictor::load(path);
    ADD_FAILURE() << "expected an error for: " << text.substr(0, 80);
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
}

TEST(Predictor, BadFilesGiveClearErrors) {
  expect_load_error("{ truncated", ErrorKind::InvalidInput, "not valid JSON");
  expect_load_error(R"({"format": "tandem-profile", "version": 1})", ErrorKind::InvalidInput, "not a tandem predictor");
  expect_load_error(R"({"format": "tandem-predictor", "version": 99})", ErrorKind::InvalidInput, "version 99");
  nlohmann::json j = Predictor::fit(law_samples(30, 0, 6), {}, {}, {}).to_json();
  j["devices"]["cpu"]["ops"]["Conv"].erase("roofline");
  expect_load_error(j.dump(), ErrorKind::InvalidInput, "devices.cpu.ops.Conv: missing 'roofline'");
  j = Predictor::fit(law_samples(30, 0, 6), {}, {}, {}).to_json();
  j["devices"]["cpu"]["fallback"]["flops_per_us"] = -1;
  expect_load_error(j.dump(), ErrorKind::InvalidInput, "flops_per_us");
  j = Predictor::fit(law_samples(30, 0, 6), {}, {}, {}).to_json();
  j["devices"]["cpu"]["ops"]["Conv"]["model"] = "magic";
  expect_load_error(j.dump(), ErrorKind::InvalidInput, "magic");
  try {
    Predictor::load(temp_path("does_not_exist.json"));
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }
}

TEST(Predictor, CopyTimesFromLinkFitsAndDefaults) {
  LinkProfile link{"cuda", "to_host", {}, {8, 1000, 0, 0}};
  Predictor p = Predictor::fit(std::vector<LatencySample>{}, {}, {link}, {});
  EXPECT_DOUBLE_EQ(p.predict_copy("cuda", "to_host", 1e6), 8 + 1e3);
  EXPECT_EQ(p.predict_copy("cpu", "to_device", 1e6), 0);
  EXPECT_GT(p.predict_copy("cuda", "to_device", 1e6), 0);
  EXPECT_THROW(p.predict_copy("cuda", "sideways", 1), Error);
}

TEST(Predictor, UnknownDeviceUsesConservativeDefaults) {
  Predictor p = Predictor::fit(law_samples(30, 0, 7), {}, {}, {});
  NodeFeatures f = conv_features(1e6);
  EXPECT_EQ(p.predict(f, "cuda:3"), Roofline::defaults(DeviceKind::Gpu, 2).time_us(f));
  EXPECT_THROW(parse_model_kinds("linear,forest"), Error);
}

TEST(Accuracy, CountsWithinBandsAndMape) {
  Accuracy a = accuracy_of({100, 100, 100, 100, 0}, {105, 115, 79, 110, 50});
  EXPECT_EQ(a.count, 4);
  EXPECT_DOUBLE_EQ(a.within_10pct, 0.5);   // 105 and 110
  EXPECT_DOUBLE_EQ(a.within_20pct, 0.75);  // and 115
  EXPECT_DOUBLE_EQ(a.mape, (5 + 15 + 21 + 10) / 4.0);
}

// A profile of three models whose nodes follow the law exactly, plus a fused node and
// a node under the floor in every run.
Profile law_profile() {
  Profile profile;
  profile.devices["cpu"] = {"cpu", "host", "test CPU", 2, "0"};
  for (const std::string model : {"a", "b", "c"}) {
    ProfileRun run;
    run.model = model;
    run.device = "cpu";
    for (const LatencySample& s : law_samples(20, 0, std::hash<std::string>{}(model), model))
      run.nodes.push_back({s.signature, s.signature, false, {s.us, s.us, s.us}, s.features});
    run.nodes.push_back({"relu", model + "/relu", true, {}, conv_features(10)});
    run.nodes.push_back({"tiny", model + "/tiny", false, {1.0, 1.0, 1.0}, conv_features(10)});
    profile.runs.push_back(run);
  }
  return profile;
}

TEST(Evaluate, HeldOutModelsAndShapesOnAnExactLaw) {
  std::string path = temp_path("profile.json");
  write_profile(law_profile(), path);
  Evaluation e = evaluate(read_profile(path));
  std::remove(path.c_str());
  EXPECT_EQ(e.skipped.fused, 3);
  EXPECT_EQ(e.skipped.below_floor, 3);
  EXPECT_EQ(e.held_out_models, (std::vector<std::string>{"a", "b", "c"}));
  Accuracy models = accuracy_by_device(e, "leave_model_out").at("cpu");
  EXPECT_EQ(models.count, 60);
  EXPECT_DOUBLE_EQ(models.within_10pct, 1.0);
  Accuracy shapes = accuracy_by_device(e, "shape_holdout").at("cpu");
  EXPECT_EQ(shapes.count, 12);  // 20% of 60 signatures
  EXPECT_DOUBLE_EQ(shapes.within_10pct, 1.0);
  nlohmann::json report = evaluation_json(e);
  EXPECT_EQ(report["devices"]["cpu"]["count"], 72);
  EXPECT_DOUBLE_EQ(report["devices"]["cpu"]["within_10pct"].get<double>(), 1.0);
  EXPECT_TRUE(report["devices"]["cpu"]["loads"].contains("0"));
}

TEST(Evaluate, CrossModelRepeatabilityComparesEachModelWithTheOthers) {
  Profile profile = law_profile();
  NodeFeatures f = conv_features(1e5);
  // "far": 10 µs in a, 13 µs in b (30% and 23% apart); "near": 10 in a, 10.5 in c.
  profile.runs[0].nodes.push_back({"far", "far", false, {10, 10, 10}, f});
  profile.runs[1].nodes.push_back({"far", "far", false, {13, 13, 13}, f});
  profile.runs[0].nodes.push_back({"near", "near", false, {10, 10, 10}, f});
  profile.runs[2].nodes.push_back({"near", "near", false, {10.5, 10.5, 10.5}, f});
  EvaluationOptions options;
  options.leave_model_out = options.shape_holdout = false;
  Evaluation e = evaluate(profile, options);
  Accuracy across = e.cross_model_repeatability.at("cpu");
  EXPECT_EQ(across.count, 4);
  EXPECT_DOUBLE_EQ(across.within_10pct, 0.5);
  EXPECT_DOUBLE_EQ(across.within_20pct, 0.5);
}

// A left-out model's run counts once, its nodes' times summed: misses of opposite sign
// cancel; shape hold-outs do not count.
TEST(Evaluate, WholeModelsSumTheNodesOfEachLeftOutRun) {
  Evaluation e;
  auto add = [&](const std::string& method, const std::string& model, double batch, double measured, double predicted) {
    HeldOutPrediction p;
    p.method = method, p.device = "cpu", p.op = "Conv", p.source = model, p.batch = batch;
    p.measured_us = measured, p.predicted_us = predicted;
    e.predictions.push_back(p);
  };
  add("leave_model_out", "a", 1, 10, 12);  // a at batch 1: 20 against 20
  add("leave_model_out", "a", 1, 10, 8);
  add("leave_model_out", "a", 2, 10, 15);  // a at batch 2: 10 against 15
  add("leave_model_out", "b", 1, 30, 31);  // b: 30 against 31
  add("shape_holdout", "b", 1, 30, 90);
  Accuracy whole = whole_model_accuracy(e).at("cpu");
  EXPECT_EQ(whole.count, 3);
  EXPECT_NEAR(whole.within_10pct, 2.0 / 3, 1e-12);
  EXPECT_EQ(evaluation_json(e)["devices"]["cpu"]["whole_models"]["count"], 3);
}

TEST(Predictor, RemembersFusedSignatures) {
  Predictor p = Predictor::fit(law_profile());
  EXPECT_TRUE(p.fused("cpu", "a/relu"));
  EXPECT_FALSE(p.fused("cpu", "a/conv0"));
  std::string path = temp_path("fused.json");
  p.save(path);
  EXPECT_TRUE(Predictor::load(path).fused("cpu", "b/relu"));
  std::remove(path.c_str());
}

TEST(BoundaryFit, RecoversPerValueLatencyAndBandwidth) {
  std::vector<BoundarySample> samples;
  for (double bytes : {1e3, 1e4, 1e5, 1e6, 4e6}) samples.push_back({bytes, 2 * 5 + bytes / 1000});
  LinkFit fit = fit_boundary(samples);
  EXPECT_NEAR(fit.latency_us, 5, 1e-6);
  EXPECT_NEAR(fit.bytes_per_us, 1000, 1e-6);
  EXPECT_LT(fit.max_rel_error, 1e-9);
  EXPECT_DOUBLE_EQ(fit_boundary({}).time_us(1e6), 0);
  // Falling with size cannot be a bandwidth: a fixed cost at the mean instead.
  LinkFit flat = fit_boundary({{1e3, 30}, {1e6, 10}});
  EXPECT_DOUBLE_EQ(flat.bytes_per_us, 0);
  EXPECT_DOUBLE_EQ(2 * flat.latency_us, 20);
}

TEST(Predictor, BoundaryExtrasByMeasuredSignatureElseTheFit) {
  Profile profile = law_profile();
  for (ProfileRun& run : profile.runs)
    for (NodeSample& n : run.nodes)
      if (!n.fused) n.isolated_us = n.us.median + 10 + (n.features.input_bytes + n.features.output_bytes) / 1000;
  Predictor p = Predictor::fit(profile);
  const NodeSample& known = profile.runs[0].nodes[0];
  double expected = 10 + (known.features.input_bytes + known.features.output_bytes) / 1000;
  EXPECT_NEAR(p.boundary_extra_us("cpu", known.signature, known.features), expected, 1e-6);
  NodeFeatures unseen = known.features;
  unseen.input_bytes *= 3;
  EXPECT_NEAR(p.boundary_extra_us("cpu", "never seen", unseen), 10 + (unseen.input_bytes + unseen.output_bytes) / 1000,
              0.05 * expected);
  EXPECT_DOUBLE_EQ(p.boundary_extra_us("cuda", known.signature, known.features), 0);
  std::string path = temp_path("boundary.json");
  p.save(path);
  EXPECT_DOUBLE_EQ(Predictor::load(path).boundary_extra_us("cpu", known.signature, known.features),
                   p.boundary_extra_us("cpu", known.signature, known.features));
  std::remove(path.c_str());
}

std::vector<NodeObservation> run_at(double slowdown, int run_index) {
  std::vector<NodeObservation> nodes;
  for (int i = 0; i < 10; ++i) {
    double wobble = 1 + 0.04 * std::sin(i + run_index);  // ±4% noise
    nodes.push_back({std::to_string(i), i < 5 ? "cpu" : "cuda", 100 * slowdown * wobble, 100});
  }
  nodes.push_back({"fused", "cpu", 0, 50});  // ignored
  return nodes;
}

TEST(DriftMonitor, NoDriftOnMatchingRuns) {
  DriftMonitor monitor;
  for (int r = 0; r < 10; ++r) monitor.record_run(run_at(1.0, r));
  DriftReport report = monitor.report();
  EXPECT_FALSE(report.drifted);
  EXPECT_EQ(report.runs, 10);
  EXPECT_NEAR(report.overall.window_ratio, 1.0, 0.05);
  EXPECT_NEAR(report.devices.at("cpu").whole_run_ratio, 1.0, 0.05);
}

TEST(DriftMonitor, DriftsAfterKRunsAtOneAndAHalf) {
  DriftMonitor monitor({0.25, 3, 20});
  for (int r = 0; r < 5; ++r) monitor.record_run(run_at(1.0, r));
  monitor.record_run(run_at(1.5, 5));
  monitor.record_run(run_at(1.5, 6));
  EXPECT_FALSE(monitor.drifted());
  monitor.record_run(run_at(1.5, 7));
  EXPECT_TRUE(monitor.drifted());
  EXPECT_EQ(monitor.drifted_devices(), (std::vector<std::string>{"cpu", "cuda"}));
  EXPECT_NEAR(monitor.report().devices.at("cpu").last_run_ratio, 1.5, 0.08);
  monitor.reset();
  EXPECT_FALSE(monitor.drifted());
}

TEST(DriftMonitor, OneSlowRunIsNotDrift) {
  DriftMonitor monitor;
  for (int r = 0; r < 8; ++r) monitor.record_run(run_at(r % 3 == 0 ? 1.6 : 1.0, r));
  EXPECT_FALSE(monitor.drifted());
}

}  // namespace
}  // namespace tandem
