// Slice (opset 10+ input form): x[starts:ends:steps] on the listed axes (all leading
// axes when `axes` is absent, step 1 when `steps` is absent). Negative starts/ends
// count from the end, out-of-range ones are clamped, negative steps walk backwards.
// Works for any dtype by element size.
#include <algorithm>
#include <cstdint>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

// Where the slice starts and how it steps along every dim of x, and its shape.
struct SliceGeometry {
  std::vector<int64_t> starts, steps;
  Shape out;
};

struct SliceParams {
  std::vector<int64_t> starts, ends;
  std::optional<std::vector<int64_t>> axes, steps;
};

// The clamped start and element count of one axis, as ONNX defines them.
std::pair<int64_t, int64_t> slice_axis(int64_t start, int64_t end, int64_t step, int64_t dim) {
  if (dim == 0) return {0, 0};
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
  } else {
    start = std::clamp<int64_t>(start, 0, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
  }
  int64_t span = step > 0 ? end - start : start - end;
  int64_t stride = step > 0 ? step : (step == INT64_MIN ? INT64_MAX : -step);
  int64_t count = span <= 0 ? 0 : 1 + (span - 1) / stride;
  return {start, count};
}

SliceGeometry slice_geometry(const Node& node, const Shape& x, const SliceParams& p) {
  const size_t n = p.starts.size();
  std::vector<int64_t> axes = p.axes.value_or(std::vector<int64_t>());
  if (!p.axes)
    for (size_t i = 0; i < n; ++i) axes.push_back(static_cast<int64_t>(i));
  std::vector<int64_t> steps = p.steps.value_or(std::vector<int64_t>(n, 1));
  if (p.ends.size() != n || axes.size() != n || steps.size() != n)
    fail_node(ErrorKind::InvalidModel, node, "starts, ends, axes and steps must have the same length");
  const std::vector<size_t> dims = normalize_axes(node, axes, x.size());
  SliceGeometry g{std::vector<int64_t>(x.size(), 0), std::vector<int64_t>(x.size(), 1), x};
  for (size_t i = 0; i < n; ++i) {
    if (steps[i] == 0) fail_node(ErrorKind::InvalidModel, node, "a slice step is 0");
    const size_t a = dims[i];
    auto [start, count] = slice_axis(p.starts[i], p.ends[i], steps[i], x[a]);
    g.starts[a] = start;
    g.steps[a] = steps[i];
    g.out[a] = count;
  }
  return g;
}

void infer_slice(const Node& node, Graph& graph) {
  expect_input_count(node, 3, 5);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  SliceParams p{*constant_ints(node, graph, 1), *constant_ints(node, graph, 2), constant_ints(node, graph, 3),
                constant_ints(node, graph, 4)};
  set_output(node, graph, 0, x.dtype, slice_geometry(node, x.shape, p).out);
}

// out = the strided view of x: offset at the starts, strides scaled by the steps.
void reference_slice(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  SliceParams p{*tensor_ints(inputs, 1), *tensor_ints(inputs, 2), tensor_ints(inputs, 3), tensor_ints(inputs, 4)};
  SliceGeometry g = slice_geometry(node, x.shape(), p);
  if (num_elements(g.out) == 0) return;
  std::vector<int64_t> strides = dense_strides(x.shape());
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += g.starts[d] * strides[d];
    strides[d] = g.out[d] > 1 ? strides[d] * g.steps[d] : 0;  // one element: no step taken
  }
  const size_t elem = dtype_size(x.dtype());
  const auto* src = static_cast<const std::byte*>(x.raw()) + offset * static_cast<int64_t>(elem);
  copy_strided(src, g.out, strides, outputs[0].raw(), elem);
}

}  // namespace

void append_slice_ops(std::vector<const OpDef*>& defs) {
  static const OpDef slice{
      .type = "Slice", .since_opset = 10, .infer = infer_slice, .reference = reference_slice, .flops = no_flops};
  defs.push_back(&slice);
}

}  // namespace tandem
