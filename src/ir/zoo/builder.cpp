// ModelBuilder: appends standard ONNX nodes with seeded weights and tracks shapes.
#include "ir/zoo/builder.h"

#include <cassert>
#include <cmath>

namespace tandem::zoo {

uint64_t WeightRng::next_u64() {
  state_ += 0x9E3779B97F4A7C15ull;
  uint64_t z = state_;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

float WeightRng::uniform(float lo, float hi) {
  // The top 24 bits give a float in [0, 1) without rounding up to 1.
  float unit = static_cast<float>(next_u64() >> 40) * (1.0f / 16777216.0f);
  return lo + (hi - lo) * unit;
}

// Bound of a uniform distribution with variance 2 / fan_in (He initialisation).
static float he_uniform_bound(int64_t fan_in) { return std::sqrt(6.0f / static_cast<float>(fan_in)); }

// Output length of a window sliding over `size` (ONNX Conv / MaxPool rule).
static int64_t sliding_output(int64_t size, int64_t kernel, int64_t stride, int64_t pad, bool ceil_mode) {
  int64_t span = size + 2 * pad - kernel;
  assert(span >= 0 && "window larger than its padded input");
  return (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
}

static std::vector<int64_t> pair(int64_t v) { return {v, v}; }
static std::vector<int64_t> quad(int64_t v) { return {v, v, v, v}; }

ModelBuilder::ModelBuilder(std::string model_name, Shape input_shape, uint64_t seed) : rng_(seed) {
  assert(input_shape.size() == 4 && input_shape[0] == 1);
  graph_.name = std::move(model_name);
  graph_.opset = 17;
  input_ = graph_.add_value("input", DType::f32, std::move(input_shape));
  graph_.inputs = {input_};
}

int ModelBuilder::add_node(const std::string& name, const std::string& op, std::vector<int> inputs,
                           Attributes attrs, Shape output_shape) {
  bool fresh = node_names_.insert(name).second;
  assert(fresh && "zoo node names must be unique");
  (void)fresh;
  int out = graph_.add_value(name, DType::f32, std::move(output_shape));
  graph_.nodes.push_back(Node{name, op, std::move(inputs), {out}, std::move(attrs)});
  return out;
}

int ModelBuilder::add_weight(const std::string& name, Shape shape, float lo, float hi) {
  Tensor t(DType::f32, std::move(shape));
  float* p = t.data<float>();
  const int64_t count = t.numel();
  for (int64_t i = 0; i < count; ++i) p[i] = rng_.uniform(lo, hi);
  return graph_.add_constant(name, std::move(t));
}

int ModelBuilder::conv(const std::string& name, int x, const ConvSpec& spec) {
  // x: (N, C_in, H, W); w: (C_out, C_in / group, k, k); y: (N, C_out, H_out, W_out)
  const Shape in = shape(x);  // a copy: adding weights may move the values
  assert(in[1] % spec.group == 0 && spec.out_channels % spec.group == 0);
  int64_t fan_in = in[1] / spec.group * spec.kernel * spec.kernel;
  float bound = he_uniform_bound(fan_in);
  Shape weight_shape = {spec.out_channels, in[1] / spec.group, spec.kernel, spec.kernel};
  std::vector<int> inputs = {x, add_weight(name + ".weight", std::move(weight_shape), -bound, bound)};
  if (spec.bias) inputs.push_back(add_weight(name + ".bias", {spec.out_channels}, -0.05f, 0.05f));
  Attributes attrs;
  attrs.set("kernel_shape", pair(spec.kernel));
  attrs.set("strides", pair(spec.stride));
  attrs.set("pads", quad(spec.pad));
  attrs.set("dilations", pair(1));
  attrs.set("group", spec.group);
  Shape out = {in[0], spec.out_channels, sliding_output(in[2], spec.kernel, spec.stride, spec.pad, false),
               sliding_output(in[3], spec.kernel, spec.stride, spec.pad, false)};
  return add_node(name, "Conv", std::move(inputs), std::move(attrs), std::move(out));
}

int ModelBuilder::batch_norm(const std::string& name, int x, const BatchNormSpec& spec) {
  int64_t c = channels(x);
  std::vector<int> inputs = {x, add_weight(name + ".weight", {c}, 0.8f * spec.gain, 1.2f * spec.gain),
                             add_weight(name + ".bias", {c}, -0.1f, 0.1f),
                             add_weight(name + ".running_mean", {c}, -0.1f, 0.1f),
                             add_weight(name + ".running_var", {c}, 0.5f, 2.0f)};
  Attributes attrs;
  attrs.set("epsilon", spec.epsilon);
  return add_node(name, "BatchNormalization", std::move(inputs), std::move(attrs), shape(x));
}

int ModelBuilder::relu(const std::string& name, int x) { return add_node(name, "Relu", {x}, {}, shape(x)); }

int ModelBuilder::relu6(const std::string& name, int x) {
  if (relu6_min_ == kNoValue) {
    relu6_min_ = graph_.add_constant("relu6_min", Tensor::from<float>({}, {0.0f}));
    relu6_max_ = graph_.add_constant("relu6_max", Tensor::from<float>({}, {6.0f}));
  }
  return add_node(name, "Clip", {x, relu6_min_, relu6_max_}, {}, shape(x));
}

int ModelBuilder::lrn(const std::string& name, int x, const LrnSpec& spec) {
  Attributes attrs;
  attrs.set("size", spec.size);
  attrs.set("alpha", spec.alpha);
  attrs.set("beta", spec.beta);
  attrs.set("bias", spec.bias);
  return add_node(name, "LRN", {x}, std::move(attrs), shape(x));
}

int ModelBuilder::max_pool(const std::string& name, int x, const PoolSpec& spec) {
  const Shape in = shape(x);
  Attributes attrs;
  attrs.set("kernel_shape", pair(spec.kernel));
  attrs.set("strides", pair(spec.stride));
  attrs.set("pads", quad(spec.pad));
  attrs.set("ceil_mode", int64_t{spec.ceil_mode ? 1 : 0});
  Shape out = {in[0], in[1], sliding_output(in[2], spec.kernel, spec.stride, spec.pad, spec.ceil_mode),
               sliding_output(in[3], spec.kernel, spec.stride, spec.pad, spec.ceil_mode)};
  return add_node(name, "MaxPool", {x}, std::move(attrs), std::move(out));
}

int ModelBuilder::global_avg_pool(const std::string& name, int x) {
  return add_node(name, "GlobalAveragePool", {x}, {}, {shape(x)[0], channels(x), 1, 1});
}

int ModelBuilder::concat(const std::string& name, const std::vector<int>& xs) {
  assert(!xs.empty());
  Shape out = shape(xs[0]);
  out[1] = 0;
  for (int x : xs) out[1] += channels(x);
  Attributes attrs;
  attrs.set("axis", int64_t{1});
  return add_node(name, "Concat", xs, std::move(attrs), std::move(out));
}

int ModelBuilder::add(const std::string& name, int a, int b) {
  assert(shape(a) == shape(b));
  return add_node(name, "Add", {a, b}, {}, shape(a));
}

int ModelBuilder::flatten(const std::string& name, int x) {
  const Shape in = shape(x);
  Attributes attrs;
  attrs.set("axis", int64_t{1});
  return add_node(name, "Flatten", {x}, std::move(attrs), {in[0], num_elements(in) / in[0]});
}

int ModelBuilder::linear(const std::string& name, int x, int64_t out_features) {
  // x: (N, F_in); w: (F_out, F_in); y = x w^T + b: (N, F_out)
  const Shape in = shape(x);  // a copy: adding weights may move the values
  assert(in.size() == 2);
  float bound = he_uniform_bound(in[1]);
  int w = add_weight(name + ".weight", {out_features, in[1]}, -bound, bound);
  int b = add_weight(name + ".bias", {out_features}, -0.05f, 0.05f);
  Attributes attrs;
  attrs.set("transB", int64_t{1});
  return add_node(name, "Gemm", {x, w, b}, std::move(attrs), {in[0], out_features});
}

Graph ModelBuilder::finish(int output) {
  graph_.value(output).name = "output";
  graph_.outputs = {output};
  return std::move(graph_);
}

}  // namespace tandem::zoo
