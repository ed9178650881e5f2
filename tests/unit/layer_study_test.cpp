// The layer study's pieces on real (host) devices, kept tiny: one-layer graphs and
// their parameters, the timer, the sweep's specs and profile runs, and one crossover
// search end to end. No assertion depends on speed.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>

#include "backends/registry.h"
#include "op_test_util.h"
#include "ops/op.h"
#include "predict/features.h"
#include "predict/log_features.h"
#include "profile/crossover_study.h"
#include "profile/layer_sampling.h"
#include "profile/layer_sweep.h"
#include "tandem/error.h"

namespace tandem {
namespace {

LayerSpec spec_of(LayerKind kind, int64_t batch, int64_t in, int64_t out, int64_t size, int64_t kernel) {
  LayerSpec s;
  s.kind = kind;
  s.batch = batch;
  s.in_channels = in;
  s.out_channels = out;
  s.size = size;
  s.kernel = kernel;
  return s;
}

// The graph on the cpu device with `threads` threads against the reference, on
// seeded random inputs.
void expect_cpu_matches_reference(const Graph& graph, int threads) {
  std::map<int, Tensor> feeds;
  std::mt19937 rng(5);
  feeds[graph.inputs[0]] = test_util::random_tensor(graph.value(graph.inputs[0]).shape, rng);
  EXPECT_LT(test_util::max_abs_diff(test_util::run_graph(*create_device("reference"), graph, feeds).at(0),
                                    test_util::run_graph(*create_device("cpu", DeviceOptions{threads}), graph, feeds).at(0)),
            1e-4)
      << graph.name;
}

Shape output_shape(const LayerSpec& spec) {
  Graph g = build_layer_graph(spec);
  EXPECT_EQ(g.nodes.size(), spec.kind == LayerKind::Concat ? 1u + spec.branches : 1u);
  return g.value(g.outputs.at(0)).shape;
}

TEST(LayerGrid, BuildsOneNodeGraphsOfTheStatedShapes) {
  EXPECT_EQ(output_shape(spec_of(LayerKind::Conv, 2, 8, 16, 10, 3)), (Shape{2, 16, 10, 10}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::Conv, 1, 8, 4, 9, 5)), (Shape{1, 4, 9, 9}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::MaxPool, 1, 8, 8, 9, 3)), (Shape{1, 8, 5, 5}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::AvgPool, 3, 8, 8, 8, 2)), (Shape{3, 8, 5, 5}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::Lrn, 1, 8, 8, 7, 3)), (Shape{1, 8, 7, 7}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::BatchNorm, 2, 8, 8, 7, 3)), (Shape{2, 8, 7, 7}));
  EXPECT_EQ(output_shape(spec_of(LayerKind::Fc, 4, 32, 16, 1, 1)), (Shape{4, 16}));
  EXPECT_EQ(build_layer_graph(default_spec(LayerKind::BatchNorm)).nodes[0].op, "BatchNormalization");
}

TEST(LayerGrid, CpuMatchesTheReferenceOnEveryLayer) {
  auto reference = create_device("reference");
  auto cpu = create_device("cpu", DeviceOptions{1});
  for (LayerKind kind : parse_layers("all")) {
    Graph g = build_layer_graph(spec_of(kind, 2, 8, 6, 9, 3), 5);
    std::map<int, Tensor> feeds;
    std::mt19937 rng(3);
    feeds[g.inputs[0]] = test_util::random_tensor(g.value(g.inputs[0]).shape, rng);
    Tensor want = test_util::run_graph(*reference, g, feeds).at(0);
    Tensor got = test_util::run_graph(*cpu, g, feeds).at(0);
    EXPECT_LT(test_util::max_abs_diff(want, got), 1e-4) << layer_name(kind);
  }
}

TEST(LayerGrid, ParametersAndLayerNames) {
  EXPECT_EQ(parse_layers("pool,conv"), (std::vector<LayerKind>{LayerKind::MaxPool, LayerKind::AvgPool, LayerKind::Conv}));
  EXPECT_EQ(parse_layers("all").size(), 8u);
  EXPECT_THROW(parse_layers("conv,softmax"), Error);
  LayerSpec conv = default_spec(LayerKind::Conv);
  set_param(conv, "channels", 32);
  EXPECT_EQ(conv.in_channels, 32);
  EXPECT_EQ(conv.out_channels, 32);
  EXPECT_EQ(params_label(conv), "batch=1,c_in=32,c_out=32,size=28,kernel=3");
  LayerSpec fc = default_spec(LayerKind::Fc);
  EXPECT_THROW(set_param(fc, "c_in", 3), Error);
  EXPECT_THROW(set_param(fc, "f_in", 0), Error);
  set_param(fc, "f_in", 100);
  EXPECT_EQ(get_param(fc, "f_in"), 100);
  for (LayerKind kind : parse_layers("all"))
    for (const std::string& param : crossover_params(kind)) {
      ParamRange r = crossover_range(kind, param);
      EXPECT_LT(r.lo, r.hi) << layer_name(kind) << " " << param;
    }
}

// The layers of MobileNetV2 (depthwise), grouped convolutions, and GoogLeNet's
// size-keeping 3x3 pools.
TEST(LayerGrid, GroupedDepthwiseAndStrideOnePoolingLayers) {
  LayerSpec grouped = spec_of(LayerKind::Conv, 1, 8, 12, 10, 3);
  set_param(grouped, "groups", 4);
  EXPECT_EQ(output_shape(grouped), (Shape{1, 12, 10, 10}));
  Graph g = build_layer_graph(grouped);
  EXPECT_EQ(g.value(g.nodes[0].inputs[1]).shape, (Shape{12, 2, 3, 3}));  // (C_out, C_in / groups, k, k)
  EXPECT_EQ(params_label(grouped), "batch=1,c_in=8,c_out=12,size=10,kernel=3,groups=4");
  set_param(grouped, "groups", 3);
  EXPECT_THROW(build_layer_graph(grouped), Error);  // 3 does not divide c_in = 8

  LayerSpec depthwise = default_spec(LayerKind::DwConv);
  set_param(depthwise, "channels", 32);
  Graph dw = build_layer_graph(depthwise);
  EXPECT_EQ(dw.value(dw.outputs[0]).shape, (Shape{1, 32, 28, 28}));
  EXPECT_EQ(dw.value(dw.nodes[0].inputs[1]).shape, (Shape{32, 1, 3, 3}));
  EXPECT_EQ(dw.nodes[0].attrs.get_int("group", 1), 32);
  EXPECT_EQ(params_label(depthwise), "batch=1,channels=32,size=28,kernel=3");
  EXPECT_THROW(set_param(depthwise, "groups", 2), Error);  // always C

  LayerSpec pool = spec_of(LayerKind::MaxPool, 1, 8, 8, 9, 3);
  set_param(pool, "stride", 1);
  EXPECT_EQ(output_shape(pool), (Shape{1, 8, 9, 9}));
  EXPECT_EQ(params_label(pool), "batch=1,channels=8,size=9,kernel=3,stride=1");
  EXPECT_EQ(params_label(default_spec(LayerKind::MaxPool)), "batch=1,channels=64,size=56,kernel=3");  // as before
  EXPECT_THROW(set_param(pool, "groups", 2), Error);
  EXPECT_THROW(crossover_range(LayerKind::Conv, "groups"), Error);

  for (const LayerSpec& spec : {spec_of(LayerKind::Conv, 2, 8, 12, 9, 3), pool}) {
    LayerSpec s = spec;
    if (s.kind == LayerKind::Conv) s.groups = 4;
    expect_cpu_matches_reference(build_layer_graph(s, 7), 1);
  }
}

// GoogLeNet's and SqueezeNet's blocks: branches of 1x1 and 3x3 convs into one Concat,
// which is the layer a sweep times; a 3x3 branch on the own Winograd kernel writes
// straight into the Concat's output.
TEST(LayerGrid, ConcatLayersJoinBranchesOfOneAndThreeByThreeConvs) {
  LayerSpec concat = default_spec(LayerKind::Concat);
  set_param(concat, "channels", 16);
  set_param(concat, "branches", 3);
  EXPECT_EQ(params_label(concat), "batch=1,channels=16,size=28,branches=3");
  EXPECT_EQ(output_shape(concat), (Shape{1, 56, 28, 28}));  // 16 + 32 + 8
  EXPECT_THROW(set_param(concat, "kernel", 3), Error);
  Graph g = build_layer_in_context(concat, 3);
  std::vector<std::string> names;
  for (const Node& n : g.nodes) names.push_back(n.name);
  EXPECT_EQ(names, (std::vector<std::string>{"before", "branch0", "branch1", "branch2", "concat", "after"}));
  EXPECT_EQ(g.nodes[2].attrs.get_ints("kernel_shape", {}), (std::vector<int64_t>{3, 3}));
  EXPECT_EQ(g.nodes[3].attrs.get_ints("kernel_shape", {}), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(g.nodes[4].inputs.size(), 3u);
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{1, 56, 28, 28}));
  EXPECT_EQ(g.value(g.nodes[2].outputs[0]).shape, (Shape{1, 32, 28, 28}));
  EXPECT_EQ(layer_output_channels(concat), 56);
  const NodeFeatures f = graph_features(g)[4];
  EXPECT_EQ(f.op, "Concat");
  EXPECT_DOUBLE_EQ(f.in_place_input_bytes, 32 * 28 * 28 * 4.0) << "the 3x3 branch runs Winograd";
  EXPECT_NEAR(layer_flops(concat),
              node_cost(g.nodes[1], g).flops + node_cost(g.nodes[2], g).flops + node_cost(g.nodes[3], g).flops, 1);
  expect_cpu_matches_reference(g, 2);
}

TEST(LayerGrid, SweepsVisitGroupsDepthwiseAndPoolingStrides) {
  std::set<std::string> labels;
  for (const LayerSpec& s : sweep_specs(parse_layers("conv,dwconv,maxpool"), true))
    labels.insert(layer_name(s.kind) + "/" + params_label(s));
  EXPECT_TRUE(labels.count("conv/batch=1,c_in=64,c_out=64,size=28,kernel=3,groups=64"));
  EXPECT_TRUE(labels.count("dwconv/batch=1,channels=256,size=28,kernel=3"));
  EXPECT_TRUE(labels.count("maxpool/batch=1,channels=64,size=56,kernel=3,stride=1"));
  EXPECT_TRUE(labels.count("maxpool/batch=1,channels=64,size=56,kernel=3"));  // stride 2
}

// A layer between two convs computes what it computes alone, on both backends.
TEST(LayerGrid, LayersInContextSitBetweenTwoPointwiseConvs) {
  LayerSpec conv = spec_of(LayerKind::Conv, 2, 8, 12, 9, 3);
  set_param(conv, "stride", 2);
  EXPECT_EQ(params_label(conv), "batch=2,c_in=8,c_out=12,size=9,kernel=3,stride=2");
  EXPECT_EQ(output_shape(conv), (Shape{2, 12, 5, 5}));
  Graph g = build_layer_in_context(conv, 3);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.nodes[0].name, "before");
  EXPECT_EQ(g.nodes[1].name, "conv");
  EXPECT_EQ(g.nodes[2].name, "after");
  EXPECT_EQ(g.value(g.nodes[0].inputs[1]).shape, (Shape{8, 8, 1, 1}));
  EXPECT_EQ(g.value(g.nodes[2].inputs[1]).shape, (Shape{12, 12, 1, 1}));
  EXPECT_EQ(g.value(g.outputs[0]).shape, (Shape{2, 12, 5, 5}));
  EXPECT_EQ(build_layer_in_context(default_spec(LayerKind::BatchNorm)).nodes.size(), 1u);
  Graph pool = build_layer_in_context(spec_of(LayerKind::MaxPool, 1, 8, 8, 9, 3));
  EXPECT_EQ(pool.value(pool.nodes[0].inputs[1]).shape, (Shape{8, 8, 3, 3}));  // pools read a 3x3 conv's output
  EXPECT_EQ(build_layer_in_context(default_spec(LayerKind::Fc)).nodes.size(), 1u);

  LayerSpec depthwise = spec_of(LayerKind::DwConv, 1, 16, 16, 11, 3);
  set_param(depthwise, "stride", 2);
  for (const LayerSpec& spec : {conv, depthwise, spec_of(LayerKind::MaxPool, 1, 12, 12, 9, 3)})
    expect_cpu_matches_reference(build_layer_in_context(spec, 7), 2);
}

TEST(LayerGrid, TheFullSweepCrossesChannelsWithSizeAndStride) {
  std::set<std::string> labels;
  for (const LayerSpec& s : sweep_specs(parse_layers("conv,maxpool,fc"), false))
    EXPECT_TRUE(labels.insert(layer_name(s.kind) + "/" + params_label(s)).second);
  EXPECT_TRUE(labels.count("maxpool/batch=1,channels=256,size=14,kernel=3,stride=1"));
  EXPECT_TRUE(labels.count("conv/batch=1,c_in=256,c_out=256,size=7,kernel=1,stride=2"));
  EXPECT_TRUE(labels.count("fc/batch=1,f_in=8192,f_out=128"));
  EXPECT_EQ(crossed_specs(LayerKind::Conv).size(), 3u * 3u * 2u * 2u);
  EXPECT_EQ(crossed_specs(LayerKind::Lrn).size(), 9u);
  for (const LayerSpec& s : sweep_specs(parse_layers("maxpool"), true))
    EXPECT_FALSE(s.in_channels == 256 && s.size == 14) << "quick sweeps leave the crossed grid out";
}

TEST(LayerGrid, SweepSpecsCoverEveryGridOnce) {
  std::vector<LayerSpec> specs = sweep_specs(parse_layers("conv,fc"), true);
  std::set<std::string> labels;
  for (const LayerSpec& s : specs) EXPECT_TRUE(labels.insert(layer_name(s.kind) + params_label(s)).second);
  for (int64_t c : sweep_grid(LayerKind::Conv, "c_out", true)) {
    LayerSpec want = default_spec(LayerKind::Conv);
    want.out_channels = c;
    EXPECT_TRUE(labels.count("conv" + params_label(want))) << c;
  }
}

TEST(LayerSampling, DrawsDistinctAffordableLayersReproducibly) {
  std::vector<LayerKind> kinds = parse_layers("all");
  std::vector<LayerSpec> specs = sampled_specs(kinds, 40, 3);
  ASSERT_EQ(specs.size(), 40u * kinds.size());
  std::set<std::string> labels, kernels;
  std::set<int64_t> streamed, context;
  int narrower = 0, wider = 0;
  for (const LayerSpec& s : specs) {
    std::string label = layer_name(s.kind) + "/" + params_label(s);
    EXPECT_TRUE(labels.insert(label).second) << label;
    EXPECT_GE(s.streamed_mb, 1) << label;
    EXPECT_LE(s.streamed_mb, kMaxStreamedMb) << label;
    streamed.insert(s.streamed_mb);
    if (layer_has_context(s.kind)) {
      context.insert(s.context_channels);
      EXPECT_GE(s.context_channels, std::max<int64_t>(8, s.in_channels / 64 * 8)) << label;
      EXPECT_LE(s.context_channels, std::max<int64_t>(8, 4 * s.in_channels)) << label;
      EXPECT_TRUE(s.context_channels % 8 == 0 || s.context_channels == s.in_channels) << label;
      const double k2 = double(context_conv_kernel(s.kind) * context_conv_kernel(s.kind));
      const double context_flops = 2.0 * double(s.batch * s.size * s.size) * double(s.in_channels) * k2;
      if (s.context_channels > s.in_channels) {
        EXPECT_LE(context_flops * double(s.context_channels), kMaxSampledFlops) << label;
      }
      narrower += s.context_channels < s.in_channels;
      wider += s.context_channels > s.in_channels;
      EXPECT_NE(label.find("context_c="), std::string::npos) << label;
    } else {
      EXPECT_EQ(s.context_channels, 0) << label;
    }
    if (s.kind == LayerKind::Fc) {
      EXPECT_LE(double(s.in_channels) * double(s.out_channels), kMaxSampledWeights) << label;
    } else {
      EXPECT_LE(layer_flops(s), kMaxSampledFlops) << label;
      EXPECT_GE(s.size, s.kernel) << label;
    }
    if (s.kind == LayerKind::Conv) kernels.insert(std::to_string(s.kernel) + "/" + std::to_string(stride_of(s)));
  }
  EXPECT_GE(kernels.size(), 4u) << "conv draws combine several kernels and strides";
  EXPECT_GE(streamed.size(), 50u) << "each layer draws how much of a model streams between its runs";
  EXPECT_GE(context.size(), 30u) << "each layer with context draws the channels its context conv reads";
  EXPECT_GT(narrower, 0) << "some context convs widen the channels, as expand convs do";
  EXPECT_GT(wider, 0) << "some narrow them, as reduce convs do";
  std::vector<LayerSpec> again = sampled_specs(kinds, 40, 3), other = sampled_specs(kinds, 40, 4);
  size_t same = 0, differ = 0;
  for (size_t i = 0; i < specs.size(); ++i) {
    same += params_label(again[i]) == params_label(specs[i]);
    differ += params_label(other[i]) != params_label(specs[i]);
  }
  EXPECT_EQ(same, specs.size()) << "one seed, one draw";
  EXPECT_GT(differ, specs.size() / 2) << "another seed, other layers";
  EXPECT_THROW(sampled_specs(kinds, 0, 1), Error);
}

// input_reuse_bytes: what ran between the write of a node's input and the node. A
// depthwise conv after a 16->96 channel 1x1 conv finds its input after the 1x1 conv's
// input and weights; a Concat's first input was written before the other branches ran.
TEST(PredictorFeatures, InputReuseBytesCountWhatRanSinceTheInputWasWritten) {
  auto bytes = [](const Graph& g, int v) { return static_cast<double>(value_bytes(g.values[static_cast<size_t>(v)])); };
  LayerSpec dw = spec_of(LayerKind::DwConv, 2, 96, 96, 28, 3);
  dw.context_channels = 16;
  Graph g = build_layer_in_context(dw);
  ASSERT_EQ(g.nodes.size(), 3u);
  EXPECT_EQ(g.value(g.inputs[0]).shape, (Shape{2, 16, 28, 28})) << "the context conv reads context_c channels";
  std::vector<NodeFeatures> f = graph_features(g);
  const Node& before = g.nodes[0];
  double expected = bytes(g, before.inputs[0]) + bytes(g, before.inputs[1]) + bytes(g, before.inputs[2]);
  EXPECT_DOUBLE_EQ(f[1].input_reuse_bytes, 2.0 * 16 * 28 * 28 * 4 + 96 * 16 * 4 + 96 * 4);
  EXPECT_DOUBLE_EQ(f[1].input_reuse_bytes, expected);
  EXPECT_DOUBLE_EQ(node_features(g.nodes[1], g).input_reuse_bytes, expected);
  EXPECT_DOUBLE_EQ(f[0].input_reuse_bytes, f[0].graph_bytes) << "a graph input was last read a run before";
  dw.context_channels = 96;
  EXPECT_GT(graph_features(build_layer_in_context(dw))[1].input_reuse_bytes, 5 * f[1].input_reuse_bytes);

  LayerSpec concat = spec_of(LayerKind::Concat, 1, 32, 32, 14, 1);
  concat.branches = 2;
  Graph c = build_layer_in_context(concat);
  ASSERT_EQ(c.nodes.size(), 5u);  // before, branch0, branch1, concat, after
  const Node& branch0 = c.nodes[1];
  const Node& branch1 = c.nodes[2];
  ASSERT_EQ(c.nodes[3].op, "Concat");
  double concat_expected = bytes(c, branch0.inputs[0]) + bytes(c, branch0.inputs[1]) + bytes(c, branch0.inputs[2]) +
                           bytes(c, branch1.inputs[1]) + bytes(c, branch1.inputs[2]) + bytes(c, branch1.outputs[0]);
  EXPECT_DOUBLE_EQ(graph_features(c)[3].input_reuse_bytes, concat_expected)
      << "branch 1 ran, reading the shared input once, after branch 0 wrote the Concat's first input";
  NodeFeatures far = graph_features(c)[3];
  far.input_reuse_bytes *= 100;
  EXPECT_NE(log_features(far, 10), log_features(graph_features(c)[3], 10)) << "the learned models see it";
}

TEST(LayerSampling, FlopsMatchTheBuiltNode) {
  LayerSpec conv = spec_of(LayerKind::Conv, 2, 8, 16, 9, 3);
  conv.stride = 2;
  LayerSpec dw = spec_of(LayerKind::DwConv, 1, 16, 16, 10, 5);
  LayerSpec fc = spec_of(LayerKind::Fc, 4, 100, 30, 1, 1);
  for (const LayerSpec& spec : {conv, dw, fc}) {
    Graph g = build_layer_graph(spec);
    EXPECT_NEAR(layer_flops(spec), node_cost(g.nodes[0], g).flops, 1e-9 * layer_flops(spec)) << g.name;
  }
}

TEST(LayerTimer, TimesRepeatsAfterWarmup) {
  auto cpu = create_device("cpu", DeviceOptions{1});
  TimerOptions options;
  options.min_repeats = 4;
  options.min_seconds = 0.001;
  LayerTiming t = time_layer(*cpu, build_layer_graph(spec_of(LayerKind::BatchNorm, 1, 4, 4, 8, 1)), options);
  EXPECT_GE(t.repeats, 4);
  EXPECT_EQ(t.warmup, options.warmup);
  EXPECT_GT(t.us.median, 0);
  EXPECT_LE(t.us.p10, t.us.median);
  EXPECT_LE(t.us.median, t.us.p90);
}

class TempFile {
 public:
  explicit TempFile(const std::string& stem)
      : path_((std::filesystem::temp_directory_path() / (stem + "_" + std::to_string(getpid()) + ".json")).string()) {}
  ~TempFile() { std::filesystem::remove(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(LayerSweep, AddsRunsToAProfileAndReplacesThemOnReruns) {
  std::vector<StudyDevice> devices = open_study_devices({"reference", "cpu:3"}, {1});
  std::vector<LayerSpec> specs = {spec_of(LayerKind::BatchNorm, 1, 4, 4, 4, 1), spec_of(LayerKind::Fc, 2, 8, 4, 1, 1)};
  TimerOptions quick{0, 1, 2, 0.0};
  int reported = 0;
  std::vector<SweepRow> rows = run_sweep(specs, devices, quick, [&](const SweepRow&) { ++reported; });
  ASSERT_EQ(rows.size(), 4u);
  EXPECT_EQ(reported, 4);
  // Measured in turns, returned in spec order with the devices inner.
  for (size_t i = 0; i < rows.size(); ++i) {
    EXPECT_EQ(rows[i].device, devices[i % 2].name) << i;
    EXPECT_EQ(rows[i].spec.kind, specs[i / 2].kind) << i;
    EXPECT_GE(rows[i].timing.repeats, 1) << i;
  }
  TempFile file("tandem_layer_sweep_test");
  add_sweep_to_profile(rows, devices, file.path());
  add_sweep_to_profile(rows, devices, file.path());
  Profile p = read_profile(file.path());
  ASSERT_EQ(p.runs.size(), 4u);
  EXPECT_EQ(p.runs[0].model, "sweep/bn/batch=1,channels=4,size=4");
  EXPECT_EQ(p.runs[0].nodes.size(), 1u);
  EXPECT_EQ(p.runs[0].nodes[0].features.op, "BatchNormalization");
  // A layer profiled in context keeps only its own node, with the convs as neighbours.
  ProfileRun pool = run_sweep({spec_of(LayerKind::MaxPool, 1, 8, 8, 9, 3)}, devices, quick)[1].run;
  ASSERT_EQ(pool.nodes.size(), 1u);
  EXPECT_EQ(pool.nodes[0].features.op, "MaxPool");
  EXPECT_EQ(pool.nodes[0].features.producer, static_cast<double>(Neighbour::Conv3x3));
  EXPECT_EQ(pool.nodes[0].features.consumer, static_cast<double>(Neighbour::Conv1x1));
  EXPECT_GT(pool.nodes[0].us.median, 0);
  // A layer with the rest of a model streamed before its runs: the stream's bytes count
  // in its graph_bytes, and its label names it.
  LayerSpec streamed = spec_of(LayerKind::MaxPool, 1, 8, 8, 9, 3);
  streamed.streamed_mb = 2;
  SweepRow row = run_sweep({streamed}, devices, quick)[1];
  ASSERT_EQ(row.run.nodes.size(), 1u);
  EXPECT_EQ(row.run.model, "sweep/maxpool/batch=1,channels=8,size=9,kernel=3,streamed_mb=2");
  EXPECT_DOUBLE_EQ(row.run.nodes[0].features.graph_bytes, pool.nodes[0].features.graph_bytes + 2.0 * (1 << 20));
  EXPECT_GT(pool.nodes[0].features.graph_bytes, 0);
  EXPECT_DOUBLE_EQ(row.run.nodes[0].features.input_reuse_bytes, pool.nodes[0].features.input_reuse_bytes)
      << "the stream runs before the context conv writes the pool's input";
  LayerSpec bn = spec_of(LayerKind::BatchNorm, 1, 4, 4, 4, 1);
  LayerSpec streamed_bn = bn;
  streamed_bn.streamed_mb = 1;
  const NodeFeatures alone = run_sweep({bn}, devices, quick)[1].run.nodes[0].features;
  const NodeFeatures after_stream = run_sweep({streamed_bn}, devices, quick)[1].run.nodes[0].features;
  EXPECT_DOUBLE_EQ(alone.input_reuse_bytes, alone.graph_bytes);
  EXPECT_DOUBLE_EQ(after_stream.input_reuse_bytes, alone.input_reuse_bytes + 1.0 * (1 << 20))
      << "a graph input is read again after the stream";
  EXPECT_EQ(p.devices.count("cpu:3"), 1u);
  EXPECT_EQ(p.devices.at("cpu:3").threads, 1);
  // The same name with other threads is another device: its old runs are dropped, not mixed in.
  std::vector<StudyDevice> other = open_study_devices({"cpu:3"}, {2});
  std::vector<std::string> notes = add_sweep_to_profile(run_sweep({specs[0]}, other, quick), other, file.path());
  EXPECT_EQ(notes.size(), 1u);
  Profile after = read_profile(file.path());
  EXPECT_EQ(after.runs.size(), 3u);
  EXPECT_EQ(after.devices.at("cpu:3").threads, 2);
}

TEST(LayerSweep, ACorruptProfileIsAClearError) {
  TempFile file("tandem_layer_sweep_corrupt");
  std::ofstream(file.path()) << "{ not json";
  std::vector<StudyDevice> devices = open_study_devices({"reference"}, {});
  EXPECT_THROW(add_sweep_to_profile({}, devices, file.path()), Error);
}

TEST(LayerSweep, RefusesRepeatedDevicesAndMismatchedThreads) {
  EXPECT_THROW(open_study_devices({"cpu", "cpu"}, {}), Error);
  EXPECT_THROW(open_study_devices({"cpu:0", "cpu:1"}, {1, 2, 3}), Error);
  EXPECT_THROW(open_study_devices({"nonsense"}, {}), Error);
}

TEST(CrossoverStudy, SearchesOneParameterOnTwoDevices) {
  std::vector<StudyDevice> devices = open_study_devices({"cpu:0", "cpu:1"}, {1, 1});
  TimerOptions quick{0, 1, 2, 0.0};
  CrossoverOptions search;
  search.coarse_points = 3;
  CrossoverStudy s = study_crossover(LayerKind::Lrn, "channels", devices[0], devices[1], quick, search, ParamRange{2, 8});
  EXPECT_EQ(s.result.points.front().value, 2);
  EXPECT_EQ(s.result.points.back().value, 8);
  for (const MeasuredPoint& p : s.result.points) EXPECT_GT(p.a_us, 0);
  EXPECT_EQ(fixed_label(s), "batch=1,size=28");
  LogLogPlot plot = crossover_plot(s, devices[0].label, devices[1].label);
  ASSERT_EQ(plot.series.size(), 2u);
  EXPECT_EQ(plot.series[0].points.size(), s.result.points.size());
  EXPECT_EQ(plot.markers.size(), s.result.crossings.size());
  EXPECT_THROW(study_crossover(LayerKind::Lrn, "f_in", devices[0], devices[1], quick, search), Error);
}

}  // namespace
}  // namespace tandem
