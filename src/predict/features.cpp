// Feature extraction for latency predictors from a node's shapes and attributes.
#include "predict/features.h"

#include <algorithm>
#include <cassert>

#include "ops/op.h"
#include "predict/host_execution.h"

namespace tandem {

static double channels_of(const Shape& shape) {
  if (shape.size() >= 3) return static_cast<double>(shape[1]);
  return shape.empty() ? 0 : static_cast<double>(shape.back());
}

static double spatial_of(const Shape& shape) {
  double n = 1;
  for (size_t i = 2; i < shape.size(); ++i) n *= static_cast<double>(shape[i]);
  return n;
}

// What the node itself computes, without its neighbours.
static NodeFeatures own_features(const Node& node, const Graph& graph) {
  NodeFeatures f;
  f.op = node.op;
  NodeCost cost = node_cost(node, graph);
  f.flops = cost.flops;
  f.input_bytes = cost.input_bytes;
  f.output_bytes = cost.output_bytes;
  f.weight_bytes = cost.weight_bytes;
  const Value* in = node.inputs.empty() ? nullptr : graph.input(node, 0);
  const Value* out = node.outputs.empty() || node.outputs[0] == kNoValue ? nullptr : &graph.value(node.outputs[0]);
  if (in) f.in_channels = channels_of(in->shape);
  if (out) {
    f.out_channels = channels_of(out->shape);
    f.spatial = spatial_of(out->shape);
    f.batch = out->shape.empty() ? 1 : static_cast<double>(out->shape[0]);
  }
  std::vector<int64_t> kernel = node.attrs.get_ints("kernel_shape", {});
  if (kernel.empty() && node.op == "Conv" && node.inputs.size() > 1 && graph.input(node, 1)) {
    const Shape& w = graph.input(node, 1)->shape;
    kernel.assign(w.begin() + std::min<size_t>(2, w.size()), w.end());
  }
  for (int64_t k : kernel) f.kernel *= static_cast<double>(k);
  std::vector<int64_t> strides = node.attrs.get_ints("strides", {});
  if (!strides.empty()) f.stride = static_cast<double>(strides[0]);
  f.groups = static_cast<double>(node.attrs.get_int("group", 1));
  return f;
}

static Neighbour neighbour_kind(const Node& node, const Graph& graph) {
  if (node.op == "Conv") {
    NodeFeatures f = own_features(node, graph);
    if (f.kernel == 1) return Neighbour::Conv1x1;
    if (f.kernel == 9 && f.stride == 1 && f.groups == 1) return Neighbour::Conv3x3;
    return Neighbour::OtherConv;
  }
  if (node.op == "MaxPool" || node.op == "AveragePool" || node.op == "GlobalAveragePool" ||
      node.op == "GlobalMaxPool")
    return Neighbour::Pool;
  if (node.op == "Concat") return Neighbour::Concat;
  return Neighbour::Other;
}

// Sets the neighbour kinds of node `n` (the producer of its input 0 and the first
// other node reading its output 0) and whether an Add or Sum reads its output 0, from
// the graph's producers() and consumers().
static void set_neighbours(NodeFeatures& f, size_t n, const Graph& graph, const std::vector<int>& producers,
                           const std::vector<std::vector<int>>& consumers) {
  const Node& node = graph.nodes[n];
  if (!node.inputs.empty() && node.inputs[0] != kNoValue) {
    int p = producers[static_cast<size_t>(node.inputs[0])];
    if (p >= 0) f.producer = static_cast<double>(neighbour_kind(graph.nodes[static_cast<size_t>(p)], graph));
  }
  if (node.outputs.empty() || node.outputs[0] == kNoValue) return;
  const std::vector<int>& readers = consumers[static_cast<size_t>(node.outputs[0])];
  for (int c : readers)
    if (c != static_cast<int>(n)) {
      f.consumer = static_cast<double>(neighbour_kind(graph.nodes[static_cast<size_t>(c)], graph));
      break;
    }
  for (int c : readers) {
    const std::string& op = graph.nodes[static_cast<size_t>(c)].op;
    if (op == "Add" || op == "Sum") f.residual_add = 1;
  }
}

// Bytes of the values nodes [first, last) read or write, each counted once, leaving out
// the values `skip` marks.
static double bytes_touched(const Graph& graph, size_t first, size_t last, std::vector<bool> skip) {
  double bytes = 0;
  auto touch = [&](int v) {
    if (v == kNoValue || skip[static_cast<size_t>(v)]) return;
    skip[static_cast<size_t>(v)] = true;
    bytes += static_cast<double>(value_bytes(graph.values[static_cast<size_t>(v)]));
  };
  for (size_t k = first; k < last; ++k) {
    for (int v : graph.nodes[k].inputs) touch(v);
    for (int v : graph.nodes[k].outputs) touch(v);
  }
  return bytes;
}

// Bytes of every value the nodes of `graph` read or write, each counted once:
// constants, graph inputs and computed tensors (values that passes left unused are not).
static double bytes_of_all_values(const Graph& graph) {
  return bytes_touched(graph, 0, graph.nodes.size(), std::vector<bool>(graph.values.size(), false));
}

// input_reuse_bytes of node `n` (features.h), nodes running in graph order.
static double input_reuse_bytes(size_t n, const Graph& graph, const std::vector<int>& producers, double graph_bytes) {
  const Node& node = graph.nodes[n];
  if (node.inputs.empty() || node.inputs[0] == kNoValue) return 0;
  const int input = node.inputs[0];
  const int p = producers[static_cast<size_t>(input)];
  if (p < 0) return graph_bytes;
  std::vector<bool> skip(graph.values.size(), false);
  skip[static_cast<size_t>(input)] = true;
  return bytes_touched(graph, static_cast<size_t>(p), n, std::move(skip));
}

// The features of node `n` before the Concat pass: its own and its neighbours.
static NodeFeatures local_features(size_t n, const Graph& graph, const std::vector<int>& producers,
                                   const std::vector<std::vector<int>>& consumers) {
  NodeFeatures f = own_features(graph.nodes[n], graph);
  set_neighbours(f, n, graph, producers, consumers);
  return f;
}

// Sets in_place_input_bytes of Concat node `n`: its inputs read by it alone whose
// producers write into its slices (`features_of(p)` gives producer p's local features).
template <typename FeaturesOf>
static void set_in_place_inputs(NodeFeatures& f, size_t n, const Graph& graph, const std::vector<int>& producers,
                                const std::vector<std::vector<int>>& consumers, const FeaturesOf& features_of) {
  const Node& node = graph.nodes[n];
  if (node.op != "Concat") return;
  for (int in : node.inputs) {
    if (in == kNoValue) continue;
    int p = producers[static_cast<size_t>(in)];
    if (p >= 0 && consumers[static_cast<size_t>(in)].size() == 1 && writes_into_concat_slice(features_of(p)))
      f.in_place_input_bytes += static_cast<double>(value_bytes(graph.value(in)));
  }
}

NodeFeatures node_features(const Node& node, const Graph& graph) {
  assert(&node >= graph.nodes.data() && &node < graph.nodes.data() + graph.nodes.size());
  const std::vector<int> producers = graph.producers();
  const std::vector<std::vector<int>> consumers = graph.consumers();
  const auto n = static_cast<size_t>(&node - graph.nodes.data());
  NodeFeatures f = local_features(n, graph, producers, consumers);
  f.graph_bytes = bytes_of_all_values(graph);
  f.input_reuse_bytes = input_reuse_bytes(n, graph, producers, f.graph_bytes);
  set_in_place_inputs(f, n, graph, producers, consumers, [&](int p) {
    return local_features(static_cast<size_t>(p), graph, producers, consumers);
  });
  return f;
}

std::vector<NodeFeatures> graph_features(const Graph& graph, double between_runs_bytes) {
  const std::vector<int> producers = graph.producers();
  const std::vector<std::vector<int>> consumers = graph.consumers();
  const double graph_bytes = bytes_of_all_values(graph) + between_runs_bytes;
  std::vector<NodeFeatures> all;
  all.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    all.push_back(local_features(n, graph, producers, consumers));
    all.back().graph_bytes = graph_bytes;
    all.back().input_reuse_bytes = input_reuse_bytes(n, graph, producers, graph_bytes);
  }
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    set_in_place_inputs(all[n], n, graph, producers, consumers, [&](int p) { return all[static_cast<size_t>(p)]; });
  return all;
}

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = {"flops",  "input_bytes", "output_bytes", "weight_bytes", "kernel",
                                                 "stride", "in_channels", "out_channels", "spatial",      "groups",
                                                 "batch",  "threads",     "load",         "producer",     "consumer",
                                                 "residual_add", "graph_bytes", "in_place_input_bytes",
                                                 "input_reuse_bytes"};
  return names;
}

std::vector<double> feature_vector(const NodeFeatures& f) {
  return {f.flops,       f.input_bytes,  f.output_bytes, f.weight_bytes, f.kernel, f.stride, f.in_channels,
          f.out_channels, f.spatial,     f.groups,       f.batch,        f.threads, f.load,
          f.producer,     f.consumer,      f.residual_add, f.graph_bytes, f.in_place_input_bytes,
          f.input_reuse_bytes};
}

}  // namespace tandem
