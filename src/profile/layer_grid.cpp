// One-layer graphs, their parameters, and the default sweep grids and search ranges.
#include "profile/layer_grid.h"

#include <algorithm>
#include <cmath>
#include <sstream>

#include "ir/zoo/builder.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr LayerKind kAllLayers[] = {LayerKind::Conv, LayerKind::DwConv,    LayerKind::MaxPool, LayerKind::AvgPool,
                                    LayerKind::Lrn,  LayerKind::BatchNorm, LayerKind::Fc,      LayerKind::Concat};

bool is_pool(LayerKind kind) { return kind == LayerKind::MaxPool || kind == LayerKind::AvgPool; }
bool is_conv(LayerKind kind) { return kind == LayerKind::Conv || kind == LayerKind::DwConv; }
bool is_window(LayerKind kind) { return is_conv(kind) || is_pool(kind); }

// Conv's groups must split both channel counts.
void check_groups(const LayerSpec& spec) {
  if (spec.in_channels % spec.groups != 0 || spec.out_channels % spec.groups != 0)
    fail(ErrorKind::InvalidInput, "conv: groups = " + std::to_string(spec.groups) + " does not divide c_in = " +
                                      std::to_string(spec.in_channels) + " and c_out = " +
                                      std::to_string(spec.out_channels));
}

std::vector<std::string> split_list(const std::string& list) {
  std::vector<std::string> items;
  std::stringstream stream(list);
  std::string item;
  while (std::getline(stream, item, ','))
    if (!item.empty()) items.push_back(item);
  return items;
}

// A constant of `shape`, uniform in [lo, hi) from the zoo's seeded generator.
int add_random_constant(Graph& graph, const std::string& name, Shape shape, float lo, float hi, zoo::WeightRng& rng) {
  Tensor t(DType::f32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(lo, hi);
  return graph.add_constant(name, std::move(t));
}

std::vector<int64_t> pair_of(int64_t v) { return {v, v}; }
std::vector<int64_t> quad_of(int64_t v) { return {v, v, v, v}; }

// The node of `spec` reading `x`, with its constant inputs added to `graph`.
Node layer_node(const LayerSpec& spec, Graph& graph, int x, zoo::WeightRng& rng) {
  Node node;
  node.name = layer_name(spec.kind);
  node.inputs = {x};
  const int64_t c = spec.in_channels;
  switch (spec.kind) {
    case LayerKind::Conv:
    case LayerKind::DwConv: {
      // w: (C_out, C_in / g, k, k), He-uniform; b: (C_out). Depthwise: C_out = g = C.
      bool depthwise = spec.kind == LayerKind::DwConv;
      int64_t out = depthwise ? c : spec.out_channels, groups = depthwise ? c : spec.groups;
      int64_t per_group = c / groups;
      float bound = std::sqrt(6.0f / static_cast<float>(per_group * spec.kernel * spec.kernel));
      node.op = "Conv";
      node.inputs.push_back(
          add_random_constant(graph, "weight", {out, per_group, spec.kernel, spec.kernel}, -bound, bound, rng));
      node.inputs.push_back(add_random_constant(graph, "bias", {out}, -0.05f, 0.05f, rng));
      node.attrs.set("kernel_shape", pair_of(spec.kernel));
      node.attrs.set("strides", pair_of(stride_of(spec)));
      node.attrs.set("pads", quad_of(spec.kernel / 2));
      node.attrs.set("dilations", pair_of(1));
      node.attrs.set("group", groups);
      break;
    }
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      node.op = spec.kind == LayerKind::MaxPool ? "MaxPool" : "AveragePool";
      node.attrs.set("kernel_shape", pair_of(spec.kernel));
      node.attrs.set("strides", pair_of(stride_of(spec)));
      node.attrs.set("pads", quad_of(spec.kernel / 2));
      break;
    case LayerKind::Lrn:
      node.op = "LRN";
      node.attrs.set("size", int64_t{5});
      node.attrs.set("alpha", 1e-4f);
      node.attrs.set("beta", 0.75f);
      node.attrs.set("bias", 1.0f);
      break;
    case LayerKind::BatchNorm:
      node.op = "BatchNormalization";
      node.inputs.push_back(add_random_constant(graph, "scale", {c}, 0.8f, 1.2f, rng));
      node.inputs.push_back(add_random_constant(graph, "bias", {c}, -0.1f, 0.1f, rng));
      node.inputs.push_back(add_random_constant(graph, "mean", {c}, -0.1f, 0.1f, rng));
      node.inputs.push_back(add_random_constant(graph, "var", {c}, 0.5f, 2.0f, rng));
      node.attrs.set("epsilon", 1e-5f);
      break;
    case LayerKind::Concat:
      node.op = "Concat";
      node.attrs.set("axis", int64_t{1});
      break;
    case LayerKind::Fc: {
      // w: (F_out, F_in); y = x w^T + b
      float bound = std::sqrt(6.0f / static_cast<float>(c));
      node.op = "Gemm";
      node.inputs.push_back(add_random_constant(graph, "weight", {spec.out_channels, c}, -bound, bound, rng));
      node.inputs.push_back(add_random_constant(graph, "bias", {spec.out_channels}, -0.05f, 0.05f, rng));
      node.attrs.set("transB", int64_t{1});
      break;
    }
  }
  return node;
}

// An empty graph for `spec` named `name`, with its input "input": (N, F_in) for fc,
// else (N, channels, H, W).
Graph layer_graph_start(const LayerSpec& spec, int64_t channels, std::string name) {
  Graph graph;
  graph.name = std::move(name);
  graph.opset = 17;
  Shape input_shape = spec.kind == LayerKind::Fc ? Shape{spec.batch, channels}
                                                 : Shape{spec.batch, channels, spec.size, spec.size};
  graph.inputs = {graph.add_value("input", DType::f32, std::move(input_shape))};
  return graph;
}

// Appends `node` writing a new value `output`; returns that value.
int append_node(Graph& graph, Node node, const std::string& output) {
  int y = graph.add_value(output);
  node.outputs = {y};
  graph.nodes.push_back(std::move(node));
  return y;
}

// A k x k conv (C_in -> C_out, stride 1, with bias) named `name` reading `x`, for a
// layer's context or a concat's branch.
Node context_conv(const std::string& name, int64_t in_channels, int64_t out_channels, int64_t kernel, Graph& graph,
                  int x, zoo::WeightRng& rng) {
  LayerSpec spec = default_spec(LayerKind::Conv);
  spec.in_channels = in_channels;
  spec.out_channels = out_channels;
  spec.kernel = kernel;
  Node node = layer_node(spec, graph, x, rng);
  node.name = name;
  return node;
}

// The layer reading `x` appended to `graph`, writing `output`: its node, and for concat
// first its branches (1x1 and 3x3 convs in turn, concat_branch_channels wide), whose
// outputs it reads.
int append_layer(const LayerSpec& spec, Graph& graph, int x, zoo::WeightRng& rng, const std::string& output) {
  Node node = layer_node(spec, graph, x, rng);
  if (spec.kind == LayerKind::Concat) {
    node.inputs.clear();
    for (int64_t b = 0; b < spec.branches; ++b) {
      const std::string name = "branch" + std::to_string(b);
      Node branch = context_conv(name, spec.in_channels, concat_branch_channels(spec, b), b % 2 ? 3 : 1, graph, x, rng);
      node.inputs.push_back(append_node(graph, std::move(branch), name + "_output"));
    }
  }
  return append_node(graph, std::move(node), output);
}

int64_t default_stride(LayerKind kind) { return is_pool(kind) ? 2 : 1; }

}  // namespace

int64_t context_conv_kernel(LayerKind kind) { return is_pool(kind) || kind == LayerKind::Lrn ? 3 : 1; }

// BN (a conv before it would absorb it) and FC are profiled alone.
bool layer_has_context(LayerKind kind) { return kind != LayerKind::BatchNorm && kind != LayerKind::Fc; }

int64_t context_channels_of(const LayerSpec& spec) {
  return spec.context_channels > 0 ? spec.context_channels : spec.in_channels;
}

int64_t concat_branch_channels(const LayerSpec& spec, int64_t branch) {
  const int64_t c = spec.in_channels;
  const int64_t widths[] = {c, 2 * c, c / 2, c / 2};
  return std::max(kConcatBranchStep, widths[branch % 4] / kConcatBranchStep * kConcatBranchStep);
}

int64_t layer_output_channels(const LayerSpec& spec) {
  if (spec.kind == LayerKind::Concat) {
    int64_t sum = 0;
    for (int64_t b = 0; b < spec.branches; ++b) sum += concat_branch_channels(spec, b);
    return sum;
  }
  return spec.kind == LayerKind::Conv || spec.kind == LayerKind::Fc ? spec.out_channels : spec.in_channels;
}

int64_t stride_of(const LayerSpec& spec) {
  if (!is_window(spec.kind)) return 1;
  return spec.stride > 0 ? spec.stride : default_stride(spec.kind);
}

std::string layer_name(LayerKind kind) {
  switch (kind) {
    case LayerKind::Conv: return "conv";
    case LayerKind::DwConv: return "dwconv";
    case LayerKind::MaxPool: return "maxpool";
    case LayerKind::AvgPool: return "avgpool";
    case LayerKind::Lrn: return "lrn";
    case LayerKind::BatchNorm: return "bn";
    case LayerKind::Fc: return "fc";
    case LayerKind::Concat: return "concat";
  }
  return "?";
}

std::vector<LayerKind> parse_layers(const std::string& list) {
  std::vector<LayerKind> kinds;
  auto add = [&](LayerKind kind) {
    for (LayerKind k : kinds)
      if (k == kind) return;
    kinds.push_back(kind);
  };
  for (const std::string& item : split_list(list)) {
    if (item == "all") {
      for (LayerKind k : kAllLayers) add(k);
    } else if (item == "pool") {
      add(LayerKind::MaxPool);
      add(LayerKind::AvgPool);
    } else {
      bool known = false;
      for (LayerKind k : kAllLayers) {
        if (layer_name(k) != item) continue;
        add(k);
        known = true;
      }
      if (!known)
        fail(ErrorKind::InvalidInput,
             "unknown layer '" + item + "' (known: conv, dwconv, pool, maxpool, avgpool, lrn, bn, fc, concat, all)");
    }
  }
  if (kinds.empty()) fail(ErrorKind::InvalidInput, "no layers given");
  return kinds;
}

LayerSpec default_spec(LayerKind kind) {
  LayerSpec spec;
  spec.kind = kind;
  if (is_pool(kind)) spec.size = 56;
  if (kind == LayerKind::Fc) spec.in_channels = spec.out_channels = 1024;
  return spec;
}

std::vector<std::string> swept_params(LayerKind kind) {
  if (kind == LayerKind::Conv) return {"c_in", "c_out", "size", "kernel", "groups", "stride", "batch"};
  if (kind == LayerKind::DwConv) return {"channels", "size", "kernel", "stride", "batch"};
  if (is_pool(kind)) return {"channels", "size", "kernel", "stride", "batch"};
  if (kind == LayerKind::Fc) return {"f_in", "f_out", "batch"};
  if (kind == LayerKind::Concat) return {"channels", "size", "branches", "batch"};
  return {"channels", "size", "batch"};
}

static bool applies(LayerKind kind, const std::string& param) {
  if (param == "batch") return true;
  if (param == "channels" || param == "size") return kind != LayerKind::Fc;
  if (param == "c_in" || param == "c_out") return kind == LayerKind::Conv;
  if (param == "kernel") return is_window(kind);
  if (param == "groups") return kind == LayerKind::Conv;
  if (param == "stride") return is_window(kind);
  if (param == "f_in" || param == "f_out") return kind == LayerKind::Fc;
  if (param == "branches") return kind == LayerKind::Concat;
  return false;
}

void set_param(LayerSpec& spec, const std::string& param, int64_t value) {
  if (!applies(spec.kind, param))
    fail(ErrorKind::InvalidInput, "parameter '" + param + "' does not apply to layer " + layer_name(spec.kind));
  if (value < 1 || value > (int64_t{1} << 20))
    fail(ErrorKind::InvalidInput, "parameter '" + param + "' = " + std::to_string(value) + " is out of range");
  if (param == "batch") spec.batch = value;
  if (param == "channels") spec.in_channels = spec.out_channels = value;
  if (param == "c_in" || param == "f_in") spec.in_channels = value;
  if (param == "c_out" || param == "f_out") spec.out_channels = value;
  if (param == "size") spec.size = value;
  if (param == "kernel") spec.kernel = value;
  if (param == "groups") spec.groups = value;
  if (param == "stride") spec.stride = value;
  if (param == "branches") spec.branches = value;
}

int64_t get_param(const LayerSpec& spec, const std::string& param) {
  if (!applies(spec.kind, param))
    fail(ErrorKind::InvalidInput, "parameter '" + param + "' does not apply to layer " + layer_name(spec.kind));
  if (param == "batch") return spec.batch;
  if (param == "channels" || param == "c_in" || param == "f_in") return spec.in_channels;
  if (param == "c_out" || param == "f_out") return spec.out_channels;
  if (param == "size") return spec.size;
  if (param == "groups") return spec.groups;
  if (param == "stride") return stride_of(spec);
  if (param == "branches") return spec.branches;
  return spec.kernel;
}

std::vector<std::pair<std::string, int64_t>> layer_params(const LayerSpec& spec) {
  std::vector<std::pair<std::string, int64_t>> params;
  if (spec.kind == LayerKind::Fc) {
    params = {{"batch", spec.batch}, {"f_in", spec.in_channels}, {"f_out", spec.out_channels}};
  } else if (spec.kind == LayerKind::Conv) {
    params = {{"batch", spec.batch}, {"c_in", spec.in_channels}, {"c_out", spec.out_channels}, {"size", spec.size}};
  } else {
    params = {{"batch", spec.batch}, {"channels", spec.in_channels}, {"size", spec.size}};
  }
  if (is_window(spec.kind)) params.emplace_back("kernel", spec.kernel);
  if (spec.kind == LayerKind::Conv && spec.groups != 1) params.emplace_back("groups", spec.groups);
  if (stride_of(spec) != default_stride(spec.kind)) params.emplace_back("stride", stride_of(spec));
  if (spec.kind == LayerKind::Concat) params.emplace_back("branches", spec.branches);
  if (spec.streamed_mb > 0) params.emplace_back("streamed_mb", spec.streamed_mb);
  if (spec.context_channels > 0) params.emplace_back("context_c", spec.context_channels);
  return params;
}

std::string params_label(const LayerSpec& spec) {
  std::string label;
  for (const auto& [name, value] : layer_params(spec))
    label += (label.empty() ? "" : ",") + name + "=" + std::to_string(value);
  return label;
}

Graph build_layer_graph(const LayerSpec& spec, uint64_t seed) {
  if (spec.kind == LayerKind::Conv) check_groups(spec);
  Graph graph = layer_graph_start(spec, spec.in_channels, layer_name(spec.kind) + "(" + params_label(spec) + ")");
  zoo::WeightRng rng(seed);
  graph.outputs = {append_layer(spec, graph, graph.inputs[0], rng, "output")};
  infer_shapes(graph);
  return graph;
}

Graph build_layer_in_context(const LayerSpec& spec, uint64_t seed) {
  if (!layer_has_context(spec.kind)) return build_layer_graph(spec, seed);
  if (spec.kind == LayerKind::Conv) check_groups(spec);
  const int64_t c = spec.in_channels, c_out = layer_output_channels(spec), c_before = context_channels_of(spec);
  Graph graph =
      layer_graph_start(spec, c_before, layer_name(spec.kind) + "(" + params_label(spec) + ") in context");
  zoo::WeightRng rng(seed);
  int x = append_node(graph,
                      context_conv("before", c_before, c, context_conv_kernel(spec.kind), graph, graph.inputs[0], rng),
                      "layer_input");
  int y = append_layer(spec, graph, x, rng, "layer_output");
  graph.outputs = {append_node(graph, context_conv("after", c_out, c_out, 1, graph, y, rng), "output")};
  infer_shapes(graph);
  return graph;
}

std::vector<int64_t> sweep_grid(LayerKind kind, const std::string& param, bool quick) {
  if (!applies(kind, param))
    fail(ErrorKind::InvalidInput, "parameter '" + param + "' does not apply to layer " + layer_name(kind));
  if (param == "batch") {
    if (kind == LayerKind::Fc) return quick ? std::vector<int64_t>{1, 16, 64} : std::vector<int64_t>{1, 4, 16, 64, 256};
    return quick ? std::vector<int64_t>{1, 4, 16} : std::vector<int64_t>{1, 2, 4, 8, 16};
  }
  if (param == "groups") return quick ? std::vector<int64_t>{1, 4, 64} : std::vector<int64_t>{1, 2, 4, 8, 16, 32, 64};
  if (param == "branches") return quick ? std::vector<int64_t>{2, 4} : std::vector<int64_t>{2, 3, 4};
  if (param == "stride") {
    if (is_conv(kind) || quick) return {1, 2};
    return {1, 2, 3};
  }
  if (param == "kernel") {
    if (is_conv(kind)) return quick ? std::vector<int64_t>{1, 3, 7} : std::vector<int64_t>{1, 3, 5, 7};
    return quick ? std::vector<int64_t>{2, 3} : std::vector<int64_t>{2, 3, 5};
  }
  if (param == "size") {
    if (is_conv(kind) || kind == LayerKind::Concat)
      return quick ? std::vector<int64_t>{7, 28, 112} : std::vector<int64_t>{7, 14, 28, 56, 112};
    return quick ? std::vector<int64_t>{14, 56, 224} : std::vector<int64_t>{7, 14, 28, 56, 112, 224};
  }
  if (param == "f_in" || param == "f_out")
    return quick ? std::vector<int64_t>{128, 1024, 8192} : std::vector<int64_t>{64, 256, 1024, 4096, 9216};
  // channels, c_in, c_out
  return quick ? std::vector<int64_t>{16, 64, 256} : std::vector<int64_t>{8, 16, 32, 64, 128, 256, 512};
}

std::vector<LayerSpec> crossed_specs(LayerKind kind) {
  const bool fc = kind == LayerKind::Fc;
  const std::string first = fc ? "f_in" : "channels", second = fc ? "f_out" : "size";
  const std::vector<int64_t> strides = is_window(kind) ? std::vector<int64_t>{1, 2} : std::vector<int64_t>{1};
  const std::vector<int64_t> kernels = kind == LayerKind::Conv ? std::vector<int64_t>{1, 3} : std::vector<int64_t>{0};
  std::vector<LayerSpec> specs;
  for (int64_t a : sweep_grid(kind, first, true))
    for (int64_t b : sweep_grid(kind, second, true))
      for (int64_t stride : strides)
        for (int64_t kernel : kernels) {
          LayerSpec spec = default_spec(kind);
          set_param(spec, first, a);
          set_param(spec, second, b);
          if (is_window(kind)) set_param(spec, "stride", stride);
          if (kernel > 0) set_param(spec, "kernel", kernel);
          specs.push_back(spec);
        }
  return specs;
}

std::vector<std::string> crossover_params(LayerKind kind) {
  if (kind == LayerKind::Conv) return {"channels", "size", "batch"};
  if (kind == LayerKind::DwConv) return {"channels", "size"};
  if (kind == LayerKind::Fc) return {"f_in", "batch"};
  return {"size", "channels"};
}

ParamRange crossover_range(LayerKind kind, const std::string& param) {
  if (!applies(kind, param))
    fail(ErrorKind::InvalidInput, "parameter '" + param + "' does not apply to layer " + layer_name(kind));
  if (param == "groups")
    fail(ErrorKind::InvalidInput, "conv groups are swept (tandem sweep), not searched: most values do not divide the channels");
  if (param == "batch") return kind == LayerKind::Fc ? ParamRange{1, 256} : ParamRange{1, 64};
  if (param == "stride") return {1, 4};
  if (param == "size") return {4, 224};
  if (param == "kernel") return is_conv(kind) ? ParamRange{1, 11} : ParamRange{2, 7};
  if (param == "f_in" || param == "f_out") return {16, 16384};
  if (param == "branches") return {2, 8};
  return {4, 512};
}

}  // namespace tandem
