// Strided copies and the ops built on them: Slice (offset start, strides times
// steps), Split (one column band of (outer, dim x inner) per output) and Transpose
// (permuted strides). Dims of size 1 are dropped and contiguous dims merged, so the
// innermost loop is as long as possible (a memcpy when contiguous); the rows are
// split across the device's threads.
#include <algorithm>
#include <cstring>

#include "backends/cpu/kernels.h"
#include "backends/cpu/lowering.h"
#include "ops/tensor_util.h"

namespace tandem::cpu {

namespace {

struct SimpleView {
  std::vector<int64_t> shape, strides;
};

SimpleView simplify(const Shape& shape, const std::vector<int64_t>& strides) {
  SimpleView v;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!v.shape.empty() && v.strides.back() == strides[i] * shape[i]) {
      v.shape.back() *= shape[i];
      v.strides.back() = strides[i];
    } else {
      v.shape.push_back(shape[i]);
      v.strides.push_back(strides[i]);
    }
  }
  if (v.shape.empty()) v = {{1}, {1}};
  return v;
}

template <class E>
void copy_row(const E* src, int64_t count, int64_t stride, E* dst) {
  for (int64_t i = 0; i < count; ++i) dst[i] = src[i * stride];
}

// Starts and steps of a Slice per dim of x, clamped as ONNX defines them.
struct SliceStarts {
  std::vector<int64_t> starts, steps;
};

int64_t clamped_start(int64_t start, int64_t step, int64_t dim) {
  if (start < 0) start += dim;
  return step > 0 ? std::clamp<int64_t>(start, 0, dim) : std::clamp<int64_t>(start, 0, dim - 1);
}

std::optional<SliceStarts> slice_starts(const Node& node, const Graph& g, const Shape& x) {
  for (size_t i = 1; i < node.inputs.size(); ++i)
    if (node.inputs[i] != kNoValue && !g.value(node.inputs[i]).is_constant()) return std::nullopt;
  std::vector<int64_t> starts = g.value(node.inputs[1]).data->to_int64s();
  std::vector<int64_t> axes, steps(starts.size(), 1);
  for (size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<int64_t>(i));
  if (const Value* a = g.input(node, 3)) axes = a->data->to_int64s();
  if (const Value* s = g.input(node, 4)) steps = s->data->to_int64s();
  SliceStarts r{std::vector<int64_t>(x.size(), 0), std::vector<int64_t>(x.size(), 1)};
  for (size_t i = 0; i < starts.size(); ++i) {
    auto axis = static_cast<size_t>(axes[i] < 0 ? axes[i] + static_cast<int64_t>(x.size()) : axes[i]);
    r.starts[axis] = x[axis] == 0 ? 0 : clamped_start(starts[i], steps[i], x[axis]);
    r.steps[axis] = steps[i];
  }
  return r;
}

}  // namespace

void strided_copy(const std::byte* src, const Shape& shape, const std::vector<int64_t>& strides, std::byte* dst,
                  size_t elem_size, ThreadPool* pool, int tasks) {
  if (num_elements(shape) == 0) return;
  SimpleView v = simplify(shape, strides);
  const size_t rank = v.shape.size();
  const int64_t row = v.shape.back(), row_stride = v.strides.back();
  const int64_t rows = num_elements(v.shape) / row;
  const auto row_bytes = static_cast<size_t>(row) * elem_size;
  // Rows [first, last) of the simplified view.
  auto copy_rows = [&](int64_t first, int64_t last) {
    with_element_bits(elem_size, [&](auto element) {
      using E = decltype(element);
      for (int64_t r = first; r < last; ++r) {
        int64_t offset = 0;
        for (size_t k = rank - 1, rest = static_cast<size_t>(r); k-- > 0;) {
          offset += static_cast<int64_t>(rest % static_cast<size_t>(v.shape[k])) * v.strides[k];
          rest /= static_cast<size_t>(v.shape[k]);
        }
        const std::byte* from = src + offset * static_cast<int64_t>(elem_size);
        std::byte* to = dst + static_cast<size_t>(r) * row_bytes;
        if (row_stride == 1)
          std::memcpy(to, from, row_bytes);
        else
          copy_row(reinterpret_cast<const E*>(from), row, row_stride, reinterpret_cast<E*>(to));
      }
    });
  };
  run_ranges(pool, tasks, rows, copy_rows);
}

void lower_slice(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  std::optional<SliceStarts> s = slice_starts(node, g, x.shape);
  if (!s) return lower_reference(c, node);
  const Shape& out = g.output(node, 0).shape;
  std::vector<int64_t> strides = dense_strides(x.shape);
  int64_t offset = 0;
  for (size_t d = 0; d < strides.size(); ++d) {
    offset += s->starts[d] * strides[d];
    strides[d] *= s->steps[d];
  }
  size_t elem = dtype_size(x.dtype);
  TensorRef src = c.plain(node.inputs[0]), dst = c.output_plain(node.outputs[0]);
  auto byte_offset = offset * static_cast<int64_t>(elem);
  const int tasks = c.tasks();
  c.push_kernel(
      [=](const RunContext& ctx) {
        strided_copy(ctx.ptr(src) + byte_offset, out, strides, ctx.ptr(dst), elem, ctx.pool, tasks);
      },
      {src, dst});
}

void lower_split(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  auto axis = static_cast<size_t>(tandem::normalize_axis(node, node.attrs.get_int("axis", 0), static_cast<int64_t>(x.shape.size())));
  TensorRef src = c.plain(node.inputs[0]);
  std::vector<TensorRef> touched{src};
  std::vector<std::pair<TensorRef, int64_t>> pieces;  // destination and its start along the axis
  int64_t start = 0;
  for (int out : node.outputs) {
    if (out == kNoValue) continue;  // absent outputs are not allowed by Split; kept safe
    const Shape& piece = g.value(out).shape;
    TensorRef dst = c.output_plain(out);
    touched.push_back(dst);
    pieces.emplace_back(dst, start);
    start += piece[axis];
  }
  std::vector<int64_t> strides = dense_strides(x.shape);
  size_t elem = dtype_size(x.dtype);
  const int tasks = c.tasks();
  c.push_kernel(
      [=](const RunContext& ctx) {
        for (const auto& [dst, first] : pieces)
          strided_copy(ctx.ptr(src) + first * strides[axis] * static_cast<int64_t>(elem), dst.shape, strides,
                       ctx.ptr(dst), elem, ctx.pool, tasks);
      },
      touched);
}

void lower_transpose(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  std::vector<int64_t> perm = node.attrs.get_ints("perm");
  if (perm.empty())
    for (size_t d = x.shape.size(); d-- > 0;) perm.push_back(static_cast<int64_t>(d));
  std::vector<int64_t> in_strides = dense_strides(x.shape), strides;
  for (int64_t p : perm) strides.push_back(in_strides[static_cast<size_t>(p)]);
  const Shape& out = g.output(node, 0).shape;
  size_t elem = dtype_size(x.dtype);
  TensorRef src = c.plain(node.inputs[0]), dst = c.output_plain(node.outputs[0]);
  const int tasks = c.tasks();
  c.push_kernel(
      [=](const RunContext& ctx) { strided_copy(ctx.ptr(src), out, strides, ctx.ptr(dst), elem, ctx.pool, tasks); },
      {src, dst});
}

}  // namespace tandem::cpu
