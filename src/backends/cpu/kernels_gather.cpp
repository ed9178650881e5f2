// Gather along any axis for any data dtype: rows of the inner block copied with
// memcpy, indices (int32/int64, constant or computed) checked and made
// non-negative before the copy.
#include <cstring>

#include "backends/cpu/kernels.h"
#include "backends/cpu/lowering.h"
#include "ops/tensor_util.h"

namespace tandem::cpu {

namespace {

// Indices as non-negative int64s; fails InvalidInput naming the node when one is out of range.
std::vector<int64_t> checked_indices(const Node& node, const std::byte* raw, DType dtype, int64_t count, int64_t extent) {
  std::vector<int64_t> indices(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    int64_t v = dtype == DType::i64 ? reinterpret_cast<const int64_t*>(raw)[i] : reinterpret_cast<const int32_t*>(raw)[i];
    if (v < -extent || v >= extent)
      fail(ErrorKind::InvalidInput,
           describe(node) + ": index " + std::to_string(v) + " is out of range for an axis of " + std::to_string(extent));
    indices[static_cast<size_t>(i)] = v < 0 ? v + extent : v;
  }
  return indices;
}

}  // namespace

void gather_rows(const std::byte* data, int64_t outer, int64_t extent, size_t inner_bytes,
                 const std::vector<int64_t>& indices, std::byte* dst, ThreadPool* pool, int tasks) {
  const auto count = static_cast<int64_t>(indices.size());
  run_ranges(pool, tasks, outer * count, [&](int64_t first, int64_t last) {
    for (int64_t t = first; t < last; ++t) {
      int64_t o = t / count, j = t % count;
      int64_t row = o * extent + indices[static_cast<size_t>(j)];
      std::memcpy(dst + static_cast<size_t>(t) * inner_bytes, data + static_cast<size_t>(row) * inner_bytes,
                  inner_bytes);
    }
  });
}

void lower_gather(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& data = g.value(node.inputs[0]);
  const Value& index_value = g.value(node.inputs[1]);
  const auto rank = static_cast<int64_t>(data.shape.size());
  const auto axis = static_cast<size_t>(tandem::normalize_axis(node, node.attrs.get_int("axis", 0), rank));
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= data.shape[d];
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  const int64_t extent = data.shape[axis];
  const size_t inner_bytes = static_cast<size_t>(inner) * dtype_size(data.dtype);
  const int64_t count = num_elements(index_value.shape);
  const DType index_dtype = index_value.dtype;
  TensorRef src = c.plain(node.inputs[0]), dst = c.output_plain(node.outputs[0]);
  const int tasks = c.tasks();
  if (index_value.is_constant()) {
    auto* raw = static_cast<const std::byte*>(index_value.data->raw());
    std::vector<int64_t> rows = checked_indices(node, raw, index_dtype, count, extent);
    c.push_kernel(
        [=](const RunContext& ctx) {
          gather_rows(ctx.ptr(src), outer, extent, inner_bytes, rows, ctx.ptr(dst), ctx.pool, tasks);
        },
        {src, dst});
    return;
  }
  TensorRef indices = c.plain(node.inputs[1]);
  const Node* n = &node;
  c.push_kernel(
      [=](const RunContext& ctx) {
        std::vector<int64_t> rows = checked_indices(*n, ctx.ptr(indices), index_dtype, count, extent);
        gather_rows(ctx.ptr(src), outer, extent, inner_bytes, rows, ctx.ptr(dst), ctx.pool, tasks);
      },
      {src, indices, dst});
}

}  // namespace tandem::cpu
