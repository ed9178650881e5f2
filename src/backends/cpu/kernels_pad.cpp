// Pad (constant, reflect, edge, wrap; negative pads crop) as a mapped copy: per dim,
// each output index maps to a source index or to the fill value; along the last dim
// the mapping is cut once into runs so that each row is a few memcpys and fills; the
// rows are split across the device's threads.
#include <cstring>

#include "backends/cpu/kernels.h"
#include "backends/cpu/lowering.h"
#include "ops/tensor_util.h"

namespace tandem::cpu {

namespace {

// A run of the last dim: `count` outputs from `source` on (consecutive), or fills.
struct Run {
  int64_t out = 0, source = -1, count = 0;
};

std::vector<Run> runs_of(const std::vector<int64_t>& map) {
  std::vector<Run> runs;
  for (int64_t j = 0; j < static_cast<int64_t>(map.size()); ++j) {
    int64_t s = map[static_cast<size_t>(j)];
    if (!runs.empty()) {
      Run& last = runs.back();
      bool extends = s < 0 ? last.source < 0 : last.source >= 0 && s == last.source + last.count;
      if (extends) {
        ++last.count;
        continue;
      }
    }
    runs.push_back({j, s, 1});
  }
  return runs;
}

template <class E>
void fill(E* dst, int64_t count, E value) {
  for (int64_t i = 0; i < count; ++i) dst[i] = value;
}

int64_t source_index(const std::string& mode, int64_t i, int64_t dim) {
  if (i >= 0 && i < dim) return i;
  if (mode == "edge") return i < 0 ? 0 : dim - 1;
  if (mode == "wrap") return ((i % dim) + dim) % dim;
  if (mode == "reflect") {
    if (dim == 1) return 0;
    int64_t period = 2 * (dim - 1), k = ((i % period) + period) % period;
    return k < dim ? k : period - k;
  }
  return -1;
}

}  // namespace

void mapped_copy(const std::byte* src, const Shape& in, const IndexMaps& maps, std::byte* dst, size_t elem_size,
                 const std::byte* fill_value, ThreadPool* pool, int tasks) {
  const size_t rank = in.size(), last = rank - 1;
  const auto row = static_cast<int64_t>(maps[last].size());
  int64_t rows = 1;
  for (size_t d = 0; d < last; ++d) rows *= static_cast<int64_t>(maps[d].size());
  if (row == 0 || rows == 0) return;
  const std::vector<int64_t> strides = dense_strides(in);
  const std::vector<Run> runs = runs_of(maps[last]);
  // Output rows [first, end).
  auto copy_rows = [&](int64_t first, int64_t end) {
    with_element_bits(elem_size, [&](auto element) {
      using E = decltype(element);
      E value;
      std::memcpy(&value, fill_value, sizeof(E));
      const E* from = reinterpret_cast<const E*>(src);
      for (int64_t r = first; r < end; ++r) {
        E* to = reinterpret_cast<E*>(dst) + r * row;
        int64_t base = 0;
        for (size_t d = last, rest = static_cast<size_t>(r); d-- > 0 && base >= 0;) {
          const std::vector<int64_t>& map = maps[d];
          int64_t s = map[rest % map.size()];
          rest /= map.size();
          base = s < 0 ? -1 : base + s * strides[d];
        }
        if (base < 0) {
          fill(to, row, value);
          continue;
        }
        for (const Run& run : runs) {
          if (run.source < 0)
            fill(to + run.out, run.count, value);
          else
            std::memcpy(to + run.out, from + base + run.source, static_cast<size_t>(run.count) * sizeof(E));
        }
      }
    });
  };
  run_ranges(pool, tasks, rows, copy_rows);
}

void lower_pad(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  const Value* pads = g.input(node, 1);
  const Value* value = g.input(node, 2);
  std::string mode = node.attrs.get_string("mode", "constant");
  bool constant_params = pads && pads->is_constant() && (!value || value->is_constant()) && !g.input(node, 3);
  if (!constant_params || x.shape.empty() || num_elements(x.shape) == 0) return lower_reference(c, node);
  std::vector<int64_t> amounts = pads->data->to_int64s();
  const Shape& out = g.output(node, 0).shape;
  IndexMaps maps(x.shape.size());
  for (size_t d = 0; d < x.shape.size(); ++d)
    for (int64_t j = 0; j < out[d]; ++j) maps[d].push_back(source_index(mode, j - amounts[d], x.shape[d]));
  size_t elem = dtype_size(x.dtype);
  std::vector<std::byte> fill_value(elem, std::byte{0});
  if (value) std::memcpy(fill_value.data(), value->data->raw(), elem);
  TensorRef src = c.plain(node.inputs[0]), dst = c.output_plain(node.outputs[0]);
  Shape in = x.shape;
  const int tasks = c.tasks();
  c.push_kernel(
      [=](const RunContext& ctx) {
        mapped_copy(ctx.ptr(src), in, maps, ctx.ptr(dst), elem, fill_value.data(), ctx.pool, tasks);
      },
      {src, dst});
}

}  // namespace tandem::cpu
