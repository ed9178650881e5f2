// Building blocks for the zoo: a ModelBuilder that appends ONNX opset-17 nodes (Conv,
// BatchNormalization, Relu, Clip, MaxPool, GlobalAveragePool, Concat, Add, Flatten,
// Gemm, LRN) to a Graph, creates their weights from a seeded generator and sets each
// activation's shape at batch 1 so that layers know their input sizes (shape inference
// gives the same shapes).
//
// Weights are He-uniform (variance 2 / fan_in) so activations keep their scale through
// deep ReLU networks; BatchNormalization gets random positive variances and small
// random means, scales and biases so that folding BN into Conv is exercised.
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>
#include <vector>

#include "ir/graph.h"

namespace tandem::zoo {

// splitmix64: a small, fast, well-mixed generator; the same seed gives the same stream.
class WeightRng {
 public:
  explicit WeightRng(uint64_t seed) : state_(seed) {}
  uint64_t next_u64();
  float uniform(float lo, float hi);  // in [lo, hi)

 private:
  uint64_t state_;
};

struct ConvSpec {
  int64_t out_channels = 0;
  int64_t kernel = 1;  // square kernel
  int64_t stride = 1;
  int64_t pad = 0;     // on every side
  int64_t group = 1;
  bool bias = true;
};

struct PoolSpec {
  int64_t kernel = 2;
  int64_t stride = 2;
  int64_t pad = 0;
  bool ceil_mode = false;
};

struct LrnSpec {
  int64_t size = 5;
  float alpha = 1e-4f;
  float beta = 0.75f;
  float bias = 1.0f;
};

struct BatchNormSpec {
  float epsilon = 1e-5f;
  // Multiplies the random scales (gamma); the last BN of a residual branch uses a
  // small gain so that activations do not grow block after block.
  float gain = 1.0f;
};

// Each method appends one node named `name` whose output value has the same name,
// and returns that value's id. Inputs are value ids from earlier calls.
class ModelBuilder {
 public:
  // input_shape: (1, C, H, W); the graph input is named "input".
  ModelBuilder(std::string model_name, Shape input_shape, uint64_t seed);

  int input() const { return input_; }
  const Shape& shape(int value) const { return graph_.value(value).shape; }
  int64_t channels(int value) const { return shape(value).at(1); }

  int conv(const std::string& name, int x, const ConvSpec& spec);
  int batch_norm(const std::string& name, int x, const BatchNormSpec& spec = {});
  int relu(const std::string& name, int x);
  int relu6(const std::string& name, int x);  // Clip(x, 0, 6)
  int lrn(const std::string& name, int x, const LrnSpec& spec);
  int max_pool(const std::string& name, int x, const PoolSpec& spec);
  int global_avg_pool(const std::string& name, int x);
  int concat(const std::string& name, const std::vector<int>& xs);  // along channels
  int add(const std::string& name, int a, int b);
  int flatten(const std::string& name, int x);  // (N, ...) -> (N, rest)
  int linear(const std::string& name, int x, int64_t out_features);  // Gemm, transB=1

  // Names `output` "output", makes it the graph output and hands the graph over.
  Graph finish(int output);

 private:
  int add_node(const std::string& name, const std::string& op, std::vector<int> inputs,
               Attributes attrs, Shape output_shape);
  int add_weight(const std::string& name, Shape shape, float lo, float hi);

  Graph graph_;
  WeightRng rng_;
  int input_ = kNoValue;
  int relu6_min_ = kNoValue;
  int relu6_max_ = kNoValue;
  std::unordered_set<std::string> node_names_;
};

}  // namespace tandem::zoo
