// Helpers for tests that build small graphs by hand and run them on devices through
// the Device contract: a graph builder that also makes seeded random feeds for the
// graph inputs, running a segment with host tensors (through device memory when the
// device is not the host), and comparing results.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "backends/device.h"
#include "ir/graph.h"
#include "ops/op.h"
#include "tandem/session.h"

namespace tandem::test_util {

inline Attributes attrs(std::initializer_list<std::pair<const std::string, AttributeValue>> list) {
  Attributes a;
  for (const auto& [name, value] : list) a.set(name, value);
  return a;
}

inline Tensor random_tensor(const Shape& shape, std::mt19937& rng, float low = -1.0f, float high = 1.0f) {
  Tensor t(DType::f32, shape);
  std::uniform_real_distribution<float> dist(low, high);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// Seeded uniform [-1, 1) float tensors matching a model's input specs.
inline std::vector<Tensor> seeded_inputs(const std::vector<TensorSpec>& specs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (const TensorSpec& spec : specs) {
    Tensor t(DType::f32, spec.shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = uniform(rng);
    inputs.push_back(std::move(t));
  }
  return inputs;
}

// Builds a graph node by node; graph inputs get seeded random feeds.
class GraphBuilder {
 public:
  explicit GraphBuilder(uint32_t seed = 7) : rng_(seed) {}

  int input(const std::string& name, const Shape& shape, float low = -1.0f, float high = 1.0f) {
    return input_data(name, random_tensor(shape, rng_, low, high));
  }
  int input_data(const std::string& name, const Tensor& data) {
    int id = graph.add_value(name, data.dtype(), data.shape());
    graph.inputs.push_back(id);
    feeds[id] = data;
    return id;
  }
  int constant(const std::string& name, const Tensor& data) { return graph.add_constant(name, data); }
  int weights(const std::string& name, const Shape& shape, float scale = 1.0f) {
    return constant(name, random_tensor(shape, rng_, -scale, scale));
  }
  int weights_between(const std::string& name, const Shape& shape, float low, float high) {
    return constant(name, random_tensor(shape, rng_, low, high));
  }
  int ints(const std::string& name, const std::vector<int64_t>& values) {
    return constant(name, Tensor::from<int64_t>({static_cast<int64_t>(values.size())}, values));
  }
  int scalar(const std::string& name, float value) { return constant(name, Tensor::from<float>({}, {value})); }

  // Adds a node; returns its output value ids (an empty name in `outputs` = absent).
  std::vector<int> node_outputs(const std::string& op, const std::vector<int>& inputs, Attributes a,
                                const std::vector<std::string>& outputs) {
    Node n;
    n.name = op + "_" + std::to_string(graph.nodes.size());
    n.op = op;
    n.inputs = inputs;
    n.attrs = std::move(a);
    for (const std::string& out : outputs) n.outputs.push_back(out.empty() ? kNoValue : graph.add_value(n.name + "_" + out));
    graph.nodes.push_back(n);
    return graph.nodes.back().outputs;
  }
  int node(const std::string& op, const std::vector<int>& inputs, Attributes a = {}) {
    return node_outputs(op, inputs, std::move(a), {"y"})[0];
  }
  void output(int value) { graph.outputs.push_back(value); }

  Graph finish() {
    infer_shapes(graph);
    return graph;
  }

  Graph graph;
  std::map<int, Tensor> feeds;

 private:
  std::mt19937 rng_;
};

// Runs `segment` once on `device` with host tensors: inputs by value id, outputs in
// the order of segment.outputs.
inline std::vector<Tensor> run_segment(Device& device, Executable& exe, const Segment& segment,
                                       const std::map<int, Tensor>& values, std::vector<NodeTime>* times = nullptr) {
  const Graph& g = *segment.graph;
  std::vector<Tensor> outputs;
  for (int id : segment.outputs) outputs.emplace_back(g.value(id).dtype, g.value(id).shape);
  bool host = device.info().kind == DeviceKind::Host;
  std::vector<void*> in_mem, out_mem;
  for (int id : segment.inputs) {
    const Tensor& t = values.at(id);
    in_mem.push_back(host ? const_cast<void*>(t.raw()) : device.allocate(t.nbytes()));
    if (!host) device.copy_from_host(in_mem.back(), t.raw(), t.nbytes());
  }
  for (Tensor& t : outputs) out_mem.push_back(host ? t.raw() : device.allocate(t.nbytes()));
  exe.run(std::vector<const void*>(in_mem.begin(), in_mem.end()), out_mem, times);
  if (!host) {
    for (size_t i = 0; i < outputs.size(); ++i) device.copy_to_host(outputs[i].raw(), out_mem[i], outputs[i].nbytes());
    device.synchronize();
    for (void* p : in_mem) device.release(p);
    for (void* p : out_mem) device.release(p);
  }
  return outputs;
}

// Compiles the whole graph on `device` and runs it on `feeds`; outputs in the order
// of graph.outputs.
inline std::vector<Tensor> run_graph(Device& device, const Graph& graph, const std::map<int, Tensor>& feeds) {
  Segment segment = whole_graph_segment(graph);
  auto exe = device.compile(segment);
  std::vector<Tensor> by_segment = run_segment(device, *exe, segment, feeds);
  std::vector<Tensor> results;
  for (int id : graph.outputs) {
    size_t k = static_cast<size_t>(std::find(segment.outputs.begin(), segment.outputs.end(), id) - segment.outputs.begin());
    results.push_back(by_segment.at(k));
  }
  return results;
}

// Largest |a - b| over float tensors (infinity when shapes or dtypes differ); for
// other dtypes 0 when the bytes are equal, else infinity.
inline double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return INFINITY;
  if (a.dtype() != DType::f32) return std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0 ? 0.0 : INFINITY;
  double worst = 0;
  for (int64_t i = 0; i < a.numel(); ++i) {
    double x = a.data<float>()[i], y = b.data<float>()[i];
    if (std::isnan(x) != std::isnan(y)) return INFINITY;
    if (!std::isnan(x)) worst = std::max(worst, std::fabs(x - y));
  }
  return worst;
}

inline double max_abs(const Tensor& t) {
  double m = 0;
  if (t.dtype() != DType::f32) return m;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, double(std::fabs(t.data<float>()[i])));
  return m;
}

}  // namespace tandem::test_util
