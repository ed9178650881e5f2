// Pooling: MaxPool (optional int64 Indices output), AveragePool (count_include_pad)
// over 1-3 spatial dims with strides, dilations, pads, auto_pad and ceil_mode; and
// GlobalAveragePool / GlobalMaxPool. Windows never read padding: MaxPool skips it,
// AveragePool counts it in the divisor only with count_include_pad (and then only
// the part inside the padded input, as ceil_mode windows may overhang it).
#include <algorithm>
#include <limits>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

bool max_pool_dtype_supported(DType dtype) { return dtype == DType::f32 || dtype == DType::u8 || dtype == DType::i8; }

WindowGeometry pool_window(const Node& node, const Shape& x) {
  if (!node.attrs.has("kernel_shape")) fail_node(ErrorKind::InvalidModel, node, "attribute 'kernel_shape' is required");
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  return window_geometry(node, spatial_dims(x), ints_attr(node, "kernel_shape"), options);
}

Shape pooled_shape(const Shape& x, const std::vector<int64_t>& spatial) {
  Shape y{x[0], x[1]};
  y.insert(y.end(), spatial.begin(), spatial.end());
  return y;
}

void expect_flag(const Node& node, const char* name) {
  int64_t value = int_attr(node, name, 0);
  if (value != 0 && value != 1) fail_node(ErrorKind::InvalidModel, node, std::string("attribute '") + name + "' must be 0 or 1");
}

void infer_max_pool(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 2);
  const Value& x = required_input(node, graph, 0);
  if (!max_pool_dtype_supported(x.dtype))
    fail_node(ErrorKind::Unsupported, node, std::string("dtype ") + dtype_name(x.dtype) + " is not supported");
  expect_rank_between(node, x, 3, 5);
  expect_flag(node, "storage_order");
  Shape y = pooled_shape(x.shape, pool_window(node, x.shape).output);
  set_output(node, graph, 0, x.dtype, y);
  set_output(node, graph, 1, DType::i64, y);
}

void infer_average_pool(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  expect_rank_between(node, x, 3, 5);
  expect_flag(node, "count_include_pad");
  set_output(node, graph, 0, DType::f32, pooled_shape(x.shape, pool_window(node, x.shape).output));
}

double window_pool_flops(const Node& node, const Graph& graph) {
  const Shape& x = graph.value(node.inputs[0]).shape;
  WindowGeometry g = pool_window(node, x);
  return double(x[0]) * double(x[1]) * double(g.output_elements()) * double(g.kernel_elements());
}

// Per output position along one (padded-to-3-D) axis: the input indices its window
// reads and how many of its taps fall inside the padded input.
struct AxisTaps {
  std::vector<std::vector<int64_t>> inputs;
  std::vector<int64_t> padded_count;
};

AxisTaps axis_taps(const Window3d& w, size_t d) {
  AxisTaps taps;
  taps.inputs.resize(static_cast<size_t>(w.output[d]));
  taps.padded_count.assign(static_cast<size_t>(w.output[d]), 0);
  for (int64_t o = 0; o < w.output[d]; ++o)
    for (int64_t k = 0; k < w.kernel[d]; ++k) {
      int64_t i = o * w.strides[d] + k * w.dilations[d] - w.pads_begin[d];
      if (i >= 0 && i < w.input[d]) taps.inputs[static_cast<size_t>(o)].push_back(i);
      if (i >= -w.pads_begin[d] && i < w.input[d] + w.pads_end[d]) ++taps.padded_count[static_cast<size_t>(o)];
    }
  return taps;
}

struct PoolTaps {
  Window3d window;
  AxisTaps axes[3];
};

PoolTaps pool_taps(const Node& node, const Shape& x) {
  PoolTaps t{to_3d(pool_window(node, x)), {}};
  for (size_t d = 0; d < 3; ++d) t.axes[d] = axis_taps(t.window, d);
  return t;
}

// Flat index of spatial position (d, h, w) in one (D, H, W) plane; storage_order 1
// counts column-major (the first spatial dim fastest), as ONNX's Indices output does.
int64_t spatial_index(const Window3d& w, int64_t d, int64_t h, int64_t x, bool column_major) {
  return column_major ? d + (h + x * w.input[1]) * w.input[0] : (d * w.input[1] + h) * w.input[2] + x;
}

template <class T>
void max_pool_typed(const Node& node, const Tensor& x, Tensor& y, Tensor* indices) {
  PoolTaps t = pool_taps(node, x.shape());
  const Window3d& w = t.window;
  bool column_major = int_attr(node, "storage_order", 0) == 1;
  int64_t planes = x.dim(0) * x.dim(1), in_plane = w.input_elements(), out_plane = w.output_elements();
  for (int64_t p = 0; p < planes; ++p) {
    const T* src = x.data<T>() + p * in_plane;
    T* dst = y.data<T>() + p * out_plane;
    int64_t* idx = indices ? indices->data<int64_t>() + p * out_plane : nullptr;
    int64_t out = 0;
    for (int64_t od = 0; od < w.output[0]; ++od)
      for (int64_t oh = 0; oh < w.output[1]; ++oh)
        for (int64_t ow = 0; ow < w.output[2]; ++ow, ++out) {
          T best = std::numeric_limits<T>::lowest();
          int64_t best_d = -1, best_h = 0, best_w = 0;
          for (int64_t id : t.axes[0].inputs[size_t(od)])
            for (int64_t ih : t.axes[1].inputs[size_t(oh)])
              for (int64_t iw : t.axes[2].inputs[size_t(ow)]) {
                T v = src[(id * w.input[1] + ih) * w.input[2] + iw];
                if (best_d < 0 || v > best) best = v, best_d = id, best_h = ih, best_w = iw;
              }
          dst[out] = best;
          if (idx) idx[out] = best_d < 0 ? -1 : p * in_plane + spatial_index(w, best_d, best_h, best_w, column_major);
        }
  }
}

void run_max_pool(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  Tensor* indices = outputs.size() > 1 && !outputs[1].empty() ? &outputs[1] : nullptr;
  switch (inputs[0].dtype()) {
    case DType::f32: return max_pool_typed<float>(node, inputs[0], outputs[0], indices);
    case DType::u8: return max_pool_typed<uint8_t>(node, inputs[0], outputs[0], indices);
    case DType::i8: return max_pool_typed<int8_t>(node, inputs[0], outputs[0], indices);
    default: fail_node(ErrorKind::Unsupported, node, std::string("dtype ") + dtype_name(inputs[0].dtype()) + " is not supported");
  }
}

void run_average_pool(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  PoolTaps t = pool_taps(node, x.shape());
  const Window3d& w = t.window;
  bool include_pad = int_attr(node, "count_include_pad", 0) == 1;
  int64_t planes = x.dim(0) * x.dim(1), in_plane = w.input_elements(), out_plane = w.output_elements();
  for (int64_t p = 0; p < planes; ++p) {
    const float* src = x.data<float>() + p * in_plane;
    float* dst = outputs[0].data<float>() + p * out_plane;
    int64_t out = 0;
    for (int64_t od = 0; od < w.output[0]; ++od)
      for (int64_t oh = 0; oh < w.output[1]; ++oh)
        for (int64_t ow = 0; ow < w.output[2]; ++ow, ++out) {
          const auto& taps_d = t.axes[0].inputs[size_t(od)];
          const auto& taps_h = t.axes[1].inputs[size_t(oh)];
          const auto& taps_w = t.axes[2].inputs[size_t(ow)];
          double sum = 0;
          for (int64_t id : taps_d)
            for (int64_t ih : taps_h)
              for (int64_t iw : taps_w) sum += src[(id * w.input[1] + ih) * w.input[2] + iw];
          int64_t count = include_pad ? t.axes[0].padded_count[size_t(od)] * t.axes[1].padded_count[size_t(oh)] *
                                            t.axes[2].padded_count[size_t(ow)]
                                      : int64_t(taps_d.size() * taps_h.size() * taps_w.size());
          dst[out] = count > 0 ? static_cast<float>(sum / double(count)) : 0.0f;
        }
  }
}

// ---- global pools: (N, C, D1..Dk) -> (N, C, 1..1) ----

void infer_global_pool(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  expect_rank_between(node, x, 3, 5);
  for (int64_t d : spatial_dims(x.shape))
    if (d < 1) fail_node(ErrorKind::InvalidModel, node, "input " + value_str(x) + " has an empty spatial dim");
  Shape y(x.shape.size(), 1);
  y[0] = x.shape[0];
  y[1] = x.shape[1];
  set_output(node, graph, 0, DType::f32, y);
}

double global_pool_flops(const Node& node, const Graph& graph) {
  return double(num_elements(graph.value(node.inputs[0]).shape));
}

// Reduces each (n, c) plane with `reduce(plane, size)`.
template <class Reduce>
void reduce_planes(const Tensor& x, Tensor& y, Reduce reduce) {
  int64_t planes = x.dim(0) * x.dim(1);
  int64_t plane = planes == 0 ? 0 : x.numel() / planes;
  for (int64_t p = 0; p < planes; ++p) y.data<float>()[p] = reduce(x.data<float>() + p * plane, plane);
}

void run_global_average_pool(const Node&, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  reduce_planes(inputs[0], outputs[0], [](const float* v, int64_t n) {
    double sum = 0;
    for (int64_t i = 0; i < n; ++i) sum += v[i];
    return static_cast<float>(sum / double(n));
  });
}

void run_global_max_pool(const Node&, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  reduce_planes(inputs[0], outputs[0], [](const float* v, int64_t n) { return *std::max_element(v, v + n); });
}

}  // namespace

extern const OpDef kMaxPoolOp{
    .type = "MaxPool", .since_opset = 1, .infer = infer_max_pool, .reference = run_max_pool, .flops = window_pool_flops};
extern const OpDef kAveragePoolOp{
    .type = "AveragePool", .since_opset = 1, .infer = infer_average_pool, .reference = run_average_pool, .flops = window_pool_flops};
extern const OpDef kGlobalAveragePoolOp{.type = "GlobalAveragePool",
                                        .since_opset = 1,
                                        .infer = infer_global_pool,
                                        .reference = run_global_average_pool,
                                        .flops = global_pool_flops};
extern const OpDef kGlobalMaxPoolOp{.type = "GlobalMaxPool",
                                    .since_opset = 1,
                                    .infer = infer_global_pool,
                                    .reference = run_global_max_pool,
                                    .flops = global_pool_flops};

}  // namespace tandem
