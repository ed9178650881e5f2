// Node checks, sliding-window geometry and the dense product shared by the nn ops.
#include "ops/nn_util.h"

#include <algorithm>
#include <cassert>

#include "tandem/error.h"

namespace tandem {

// ---- node checks ----

void fail_node(ErrorKind kind, const Node& node, const std::string& cause) {
  fail(kind, describe(node) + ": " + cause);
}

std::string value_str(const Value& value) { return "'" + value.name + "' " + shape_str(value.shape); }

void expect_input_count(const Node& node, size_t min, size_t max) {
  size_t count = node.inputs.size();
  if (count < min || count > max)
    fail_node(ErrorKind::InvalidModel, node,
              "expects " + std::to_string(min) + (min == max ? "" : " to " + std::to_string(max)) +
                  " inputs, got " + std::to_string(count));
  for (size_t i = 0; i < min; ++i)
    if (node.inputs[i] == kNoValue) fail_node(ErrorKind::InvalidModel, node, "required input " + std::to_string(i) + " is missing");
}

void expect_output_count(const Node& node, size_t min, size_t max) {
  size_t count = node.outputs.size();
  if (count < min || count > max)
    fail_node(ErrorKind::InvalidModel, node,
              "expects " + std::to_string(min) + (min == max ? "" : " to " + std::to_string(max)) +
                  " outputs, got " + std::to_string(count));
  if (node.outputs[0] == kNoValue) fail_node(ErrorKind::InvalidModel, node, "output 0 is missing");
}

const Value& required_input(const Node& node, const Graph& graph, size_t i) {
  const Value* value = graph.input(node, i);
  if (!value) fail_node(ErrorKind::InvalidModel, node, "required input " + std::to_string(i) + " is missing");
  return *value;
}

void expect_dtype(const Node& node, const Value& value, DType want) {
  if (value.dtype != want)
    fail_node(ErrorKind::Unsupported, node,
              "input '" + value.name + "' has dtype " + dtype_name(value.dtype) + ", expected " + dtype_name(want));
}

void expect_rank_between(const Node& node, const Value& value, size_t min, size_t max) {
  size_t rank = value.shape.size();
  if (rank < min || rank > max)
    fail_node(ErrorKind::InvalidModel, node,
              "input " + value_str(value) + " must have rank " + std::to_string(min) +
                  (min == max ? "" : " to " + std::to_string(max)));
}

void set_output(const Node& node, Graph& graph, size_t i, DType dtype, Shape shape) {
  if (i >= node.outputs.size() || node.outputs[i] == kNoValue) return;
  Value& out = graph.value(node.outputs[i]);
  out.dtype = dtype;
  out.shape = std::move(shape);
}

// Runs an Attributes getter, adding the node's name to a type error.
template <class Get>
static auto named_get(const Node& node, Get get) {
  try {
    return get();
  } catch (const Error& e) {
    fail_node(e.kind(), node, e.what());
  }
}

int64_t int_attr(const Node& node, const std::string& name, int64_t fallback) {
  return named_get(node, [&] { return node.attrs.get_int(name, fallback); });
}
float float_attr(const Node& node, const std::string& name, float fallback) {
  return named_get(node, [&] { return node.attrs.get_float(name, fallback); });
}
std::string string_attr(const Node& node, const std::string& name, const std::string& fallback) {
  return named_get(node, [&] { return node.attrs.get_string(name, fallback); });
}
std::vector<int64_t> ints_attr(const Node& node, const std::string& name, const std::vector<int64_t>& fallback) {
  return named_get(node, [&] { return node.attrs.get_ints(name, fallback); });
}

size_t normalize_axis(const Node& node, int64_t axis, size_t rank) {
  auto r = static_cast<int64_t>(rank);
  if (axis < -r || axis >= r)
    fail_node(ErrorKind::InvalidModel, node, "axis " + std::to_string(axis) + " is out of range for rank " + std::to_string(rank));
  return static_cast<size_t>(axis < 0 ? axis + r : axis);
}

std::vector<int64_t> spatial_dims(const Shape& shape) {
  return shape.size() > 2 ? std::vector<int64_t>(shape.begin() + 2, shape.end()) : std::vector<int64_t>{};
}

// ---- sliding windows ----

int64_t WindowGeometry::kernel_elements() const { return num_elements(kernel); }
int64_t WindowGeometry::output_elements() const { return num_elements(output); }

// An int list attribute with one entry per spatial dim (or `fallback` per dim when absent).
static std::vector<int64_t> per_dim_ints(const Node& node, const std::string& name, size_t rank, int64_t fallback,
                                         int64_t min_value) {
  std::vector<int64_t> values = ints_attr(node, name, std::vector<int64_t>(rank, fallback));
  if (values.size() != rank)
    fail_node(ErrorKind::InvalidModel, node,
              "attribute '" + name + "' " + shape_str(values) + " needs " + std::to_string(rank) + " entries");
  for (int64_t v : values)
    if (v < min_value)
      fail_node(ErrorKind::InvalidModel, node, "attribute '" + name + "' " + shape_str(values) + " has an entry below " + std::to_string(min_value));
  return values;
}

static void read_explicit_pads(const Node& node, WindowGeometry& g) {
  size_t rank = g.rank();
  std::vector<int64_t> pads = ints_attr(node, "pads", std::vector<int64_t>(2 * rank, 0));
  if (pads.size() != 2 * rank)
    fail_node(ErrorKind::InvalidModel, node, "attribute 'pads' " + shape_str(pads) + " needs " + std::to_string(2 * rank) + " entries");
  for (int64_t p : pads)
    if (p < 0) fail_node(ErrorKind::Unsupported, node, "negative pads " + shape_str(pads));
  g.pads_begin.assign(pads.begin(), pads.begin() + static_cast<long>(rank));
  g.pads_end.assign(pads.begin() + static_cast<long>(rank), pads.end());
}

static int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// auto_pad SAME_*: output = ceil(input / stride), total padding split evenly with
// the odd one at the end (SAME_UPPER) or the beginning (SAME_LOWER).
static void resolve_same_padding(WindowGeometry& g, size_t d, int64_t extent, bool upper) {
  g.output[d] = ceil_div(g.input[d], g.strides[d]);
  int64_t total = std::max<int64_t>(0, (g.output[d] - 1) * g.strides[d] + extent - g.input[d]);
  int64_t small_half = total / 2;
  g.pads_begin[d] = upper ? small_half : total - small_half;
  g.pads_end[d] = total - g.pads_begin[d];
}

static void resolve_explicit_output(const Node& node, WindowGeometry& g, size_t d, int64_t extent, bool ceil_mode) {
  int64_t span = g.input[d] + g.pads_begin[d] + g.pads_end[d] - extent;
  if (span < 0)
    fail_node(ErrorKind::InvalidModel, node,
              "kernel " + shape_str(g.kernel) + " (dilated extent " + std::to_string(extent) + ") is larger than padded input " +
                  shape_str(g.input) + " in spatial dim " + std::to_string(d));
  g.output[d] = (ceil_mode ? ceil_div(span, g.strides[d]) : span / g.strides[d]) + 1;
  // The last window must start inside the input or the left padding.
  if (ceil_mode && (g.output[d] - 1) * g.strides[d] >= g.input[d] + g.pads_begin[d]) --g.output[d];
}

WindowGeometry window_geometry(const Node& node, const std::vector<int64_t>& input_spatial,
                               const std::vector<int64_t>& kernel, const WindowOptions& options) {
  size_t rank = input_spatial.size();
  WindowGeometry g;
  g.input = input_spatial;
  g.kernel = kernel;
  if (kernel.size() != rank)
    fail_node(ErrorKind::InvalidModel, node, "kernel " + shape_str(kernel) + " does not match " + std::to_string(rank) + " spatial dims");
  for (int64_t k : kernel)
    if (k < 1) fail_node(ErrorKind::InvalidModel, node, "kernel " + shape_str(kernel) + " has a non-positive size");
  g.strides = per_dim_ints(node, "strides", rank, 1, 1);
  if (!options.allow_dilations && node.attrs.has("dilations"))
    fail_node(ErrorKind::Unsupported, node, "attribute 'dilations' is not supported by this op");
  g.dilations = per_dim_ints(node, "dilations", rank, 1, 1);
  int64_t ceil_mode = options.allow_ceil_mode ? int_attr(node, "ceil_mode", 0) : 0;
  if (ceil_mode != 0 && ceil_mode != 1) fail_node(ErrorKind::InvalidModel, node, "ceil_mode must be 0 or 1");
  std::string auto_pad = string_attr(node, "auto_pad", "NOTSET");
  read_explicit_pads(node, g);
  g.output.assign(rank, 0);
  bool same = auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
  if (auto_pad != "NOTSET") {
    if (!same && auto_pad != "VALID") fail_node(ErrorKind::InvalidModel, node, "unknown auto_pad '" + auto_pad + "'");
    for (size_t d = 0; d < rank; ++d)
      if (g.pads_begin[d] != 0 || g.pads_end[d] != 0)
        fail_node(ErrorKind::InvalidModel, node, "explicit pads given together with auto_pad " + auto_pad);
  }
  for (size_t d = 0; d < rank; ++d) {
    if (g.input[d] < 1) fail_node(ErrorKind::InvalidModel, node, "input spatial dims " + shape_str(g.input) + " must be positive");
    int64_t extent = (g.kernel[d] - 1) * g.dilations[d] + 1;
    if (same)
      resolve_same_padding(g, d, extent, auto_pad == "SAME_UPPER");
    else
      resolve_explicit_output(node, g, d, extent, ceil_mode == 1 && auto_pad == "NOTSET");
    if (options.pads_below_kernel && (g.pads_begin[d] >= g.kernel[d] || g.pads_end[d] >= g.kernel[d]))
      fail_node(ErrorKind::InvalidModel, node,
                "pads " + shape_str(g.pads_begin) + " / " + shape_str(g.pads_end) + " must be smaller than kernel " + shape_str(g.kernel));
  }
  return g;
}

Window3d to_3d(const WindowGeometry& g) {
  assert(g.rank() >= 1 && g.rank() <= 3);
  Window3d w;
  size_t lead = 3 - g.rank();
  for (size_t d = 0; d < 3; ++d) {
    bool real = d >= lead;
    size_t s = d - lead;
    w.input[d] = real ? g.input[s] : 1;
    w.output[d] = real ? g.output[s] : 1;
    w.kernel[d] = real ? g.kernel[s] : 1;
    w.strides[d] = real ? g.strides[s] : 1;
    w.dilations[d] = real ? g.dilations[s] : 1;
    w.pads_begin[d] = real ? g.pads_begin[s] : 0;
    w.pads_end[d] = real ? g.pads_end[s] : 0;
  }
  return w;
}

// ---- dense products ----

// Sum of a[i]*b[i*b_stride] over n terms in double, four partial sums to break the
// dependency chain.
static double dot(const float* a, const float* b, int64_t b_stride, int64_t n) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  int64_t i = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += double(a[i]) * double(b[i * b_stride]);
    s1 += double(a[i + 1]) * double(b[(i + 1) * b_stride]);
    s2 += double(a[i + 2]) * double(b[(i + 2) * b_stride]);
    s3 += double(a[i + 3]) * double(b[(i + 3) * b_stride]);
  }
  for (; i < n; ++i) s0 += double(a[i]) * double(b[i * b_stride]);
  return (s0 + s1) + (s2 + s3);
}

void multiply_add(const MatrixView& a, const MatrixView& b, int64_t m, int64_t n, int64_t k, double* out) {
  bool b_rows_contiguous = b.col_stride == 1 && n > 1;
  if (!b_rows_contiguous && a.col_stride == 1) {
    // Rows of a contiguous, b read down its columns (Gemm with transB, MatMul by a
    // vector): one dot product per output, each column of b read once.
    for (int64_t j = 0; j < n; ++j)
      for (int64_t i = 0; i < m; ++i)
        out[i * n + j] += dot(a.data + i * a.row_stride, b.data + j * b.col_stride, b.row_stride, k);
    return;
  }
  // Otherwise stream rows of b: out[i, :] += a[i, kk] * b[kk, :].
  for (int64_t i = 0; i < m; ++i) {
    double* out_row = out + i * n;
    for (int64_t kk = 0; kk < k; ++kk) {
      double scale = a.at(i, kk);
      const float* b_row = b.data + kk * b.row_stride;
      if (b.col_stride == 1) {
        for (int64_t j = 0; j < n; ++j) out_row[j] += scale * double(b_row[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) out_row[j] += scale * double(b_row[j * b.col_stride]);
      }
    }
  }
}

}  // namespace tandem
