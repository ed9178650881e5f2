// Per-op latency of typical CNN layers on the cpu device: each benchmark builds a
// one-node graph (weights seeded random), compiles it once and times
// Executable::run. Threads: TANDEM_BENCH_THREADS (default 2). The same layers can be
// timed in onnxruntime by building single-op ONNX models with the same shapes.
//   build/bench/cpu_ops_bench --benchmark_filter=Conv
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <functional>
#include <random>

#include "backends/registry.h"
#include "ops/op.h"

namespace tandem {
namespace {

using I = std::vector<int64_t>;

int bench_threads() {
  const char* env = std::getenv("TANDEM_BENCH_THREADS");
  return env ? std::atoi(env) : 2;
}

Tensor random_tensor(const Shape& shape, std::mt19937& rng) {
  Tensor t(DType::f32, shape);
  std::uniform_real_distribution<float> dist(-0.5f, 0.5f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// A one-node graph: input x (random at run time), constant operands, one output.
struct Layer {
  std::string op;
  Shape x;
  std::vector<Shape> constants;
  Attributes attrs;
};

Graph layer_graph(const Layer& layer) {
  std::mt19937 rng(1);
  Graph g;
  g.inputs.push_back(g.add_value("x", DType::f32, layer.x));
  Node node{"layer", layer.op, {g.inputs[0]}, {}, layer.attrs};
  for (size_t i = 0; i < layer.constants.size(); ++i)
    node.inputs.push_back(g.add_constant(std::string("c").append(std::to_string(i)), random_tensor(layer.constants[i], rng)));
  node.outputs.push_back(g.add_value("y"));
  g.nodes.push_back(node);
  g.outputs.push_back(node.outputs[0]);
  infer_shapes(g);
  return g;
}

void run_layer(benchmark::State& state, const Layer& layer) {
  Graph g = layer_graph(layer);
  auto device = create_device("cpu", DeviceOptions{bench_threads()});
  Segment segment = whole_graph_segment(g);
  auto exe = device->compile(segment);
  std::mt19937 rng(2);
  Tensor x = random_tensor(layer.x, rng);
  Tensor y(DType::f32, g.value(g.outputs[0]).shape);
  std::vector<const void*> in{x.raw()};
  std::vector<void*> out{y.raw()};
  exe->run(in, out);
  for (auto _ : state) exe->run(in, out);
  state.counters["GFLOP/s"] = benchmark::Counter(node_cost(g.nodes[0], g).flops * 1e-9,
                                                 benchmark::Counter::kIsIterationInvariantRate);
}

Attributes attrs(std::initializer_list<std::pair<const std::string, AttributeValue>> list) {
  Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

Attributes conv(I pads, I strides = {1, 1}, int64_t group = 1, bool relu = true) {
  Attributes a = attrs({{"pads", pads}, {"strides", strides}, {"group", group}});
  if (relu) a.set("activation", std::string("Relu"));
  return a;
}

const std::vector<std::pair<std::string, Layer>>& layers() {
  static const std::vector<std::pair<std::string, Layer>> all = {
      {"Conv/resnet_3x3_64_56x56", {"Conv", {1, 64, 56, 56}, {{64, 64, 3, 3}, {64}}, conv({1, 1, 1, 1})}},
      {"Conv/resnet_stem_7x7_s2", {"Conv", {1, 3, 224, 224}, {{64, 3, 7, 7}, {64}}, conv({3, 3, 3, 3}, {2, 2})}},
      {"Conv/resnet_1x1_64_to_256_56x56", {"Conv", {1, 64, 56, 56}, {{256, 64, 1, 1}, {256}}, conv({0, 0, 0, 0})}},
      {"Conv/resnet_1x1_256_to_64_56x56", {"Conv", {1, 256, 56, 56}, {{64, 256, 1, 1}, {64}}, conv({0, 0, 0, 0})}},
      {"Conv/resnet_3x3_256_14x14", {"Conv", {1, 256, 14, 14}, {{256, 256, 3, 3}, {256}}, conv({1, 1, 1, 1})}},
      {"Conv/depthwise_3x3_32_112x112", {"Conv", {1, 32, 112, 112}, {{32, 1, 3, 3}, {32}}, conv({1, 1, 1, 1}, {1, 1}, 32)}},
      {"Conv/depthwise_3x3_s2_96_112x112", {"Conv", {1, 96, 112, 112}, {{96, 1, 3, 3}, {96}}, conv({1, 1, 1, 1}, {2, 2}, 96)}},
      {"Conv/alexnet_11x11_s4", {"Conv", {1, 3, 224, 224}, {{64, 3, 11, 11}, {64}}, conv({2, 2, 2, 2}, {4, 4})}},
      {"Conv/vgg_3x3_64_224x224", {"Conv", {1, 64, 224, 224}, {{64, 64, 3, 3}, {64}}, conv({1, 1, 1, 1})}},
      {"Conv/lenet_5x5_6_to_16", {"Conv", {1, 6, 14, 14}, {{16, 6, 5, 5}, {16}}, conv({0, 0, 0, 0})}},
      {"Gemm/fc_4096x4096_batch1", {"Gemm", {1, 4096}, {{4096, 4096}, {4096}}, attrs({{"transB", int64_t{1}}})}},
      {"Gemm/fc_9216x4096_batch1", {"Gemm", {1, 9216}, {{4096, 9216}, {4096}}, attrs({{"transB", int64_t{1}}})}},
      {"Gemm/fc_2048x1000_batch8", {"Gemm", {8, 2048}, {{1000, 2048}, {1000}}, attrs({{"transB", int64_t{1}}})}},
      {"MaxPool/3x3_s2_64_112x112",
       {"MaxPool", {1, 64, 112, 112}, {}, attrs({{"kernel_shape", I{3, 3}}, {"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}})}},
      {"GlobalAveragePool/2048_7x7", {"GlobalAveragePool", {1, 2048, 7, 7}, {}, {}}},
      {"LRN/size5_96_55x55", {"LRN", {1, 96, 55, 55}, {}, attrs({{"size", int64_t{5}}, {"alpha", 1e-4f}, {"beta", 0.75f}})}},
      {"Relu/64_112x112", {"Relu", {1, 64, 112, 112}, {}, {}}},
      {"Softmax/1000", {"Softmax", {1, 1000}, {}, {}}},
      {"Softmax/channels_8x64_56x56", {"Softmax", {8, 64, 56, 56}, {}, attrs({{"axis", int64_t{1}}})}},
      {"Sigmoid/8x64_56x56", {"Sigmoid", {8, 64, 56, 56}, {}, {}}},
      {"Mul/same_shape_8x64_56x56", {"Mul", {8, 64, 56, 56}, {{8, 64, 56, 56}}, {}}},
      {"MatMul/512x1024_by_1024x1024", {"MatMul", {512, 1024}, {{1024, 1024}}, {}}},
      {"MatMul/batched_16x128x64_by_16x64x128", {"MatMul", {16, 128, 64}, {{16, 64, 128}}, {}}},
      {"Transpose/nchw_to_nhwc_64_56x56", {"Transpose", {1, 64, 56, 56}, {}, attrs({{"perm", I{0, 2, 3, 1}}})}},
  };
  return all;
}

const bool registered = [] {
  for (const auto& [name, layer] : layers())
    benchmark::RegisterBenchmark(name.c_str(), [layer = layer](benchmark::State& s) { run_layer(s, layer); })
        ->Unit(benchmark::kMicrosecond)
        ->UseRealTime();
  return true;
}();

}  // namespace
}  // namespace tandem

BENCHMARK_MAIN();
