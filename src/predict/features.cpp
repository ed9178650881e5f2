// Feature extraction for latency predictors from a node's shapes and attributes.
#include "predict/features.h"

#include "ops/op.h"

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

NodeFeatures node_features(const Node& node, const Graph& graph) {
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

const std::vector<std::string>& feature_names() {
  static const std::vector<std::string> names = {"flops",  "input_bytes", "output_bytes", "weight_bytes", "kernel",
                                                 "stride", "in_channels", "out_channels", "spatial",      "groups",
                                                 "batch",  "threads",     "load"};
  return names;
}

std::vector<double> feature_vector(const NodeFeatures& f) {
  return {f.flops,       f.input_bytes,  f.output_bytes, f.weight_bytes, f.kernel, f.stride, f.in_channels,
          f.out_channels, f.spatial,     f.groups,       f.batch,        f.threads, f.load};
}

}  // namespace tandem
