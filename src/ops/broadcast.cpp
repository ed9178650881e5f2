// Broadcast shape rule and the collapsed row-wise loop over a broadcast output.
#include "ops/broadcast.h"

#include <algorithm>

namespace tandem {

std::optional<Shape> broadcast_shapes(const std::vector<Shape>& shapes) {
  size_t rank = 0;
  for (const Shape& s : shapes) rank = std::max(rank, s.size());
  Shape out(rank, 1);
  for (const Shape& s : shapes) {
    size_t lead = rank - s.size();  // s is right-aligned against out
    for (size_t i = 0; i < s.size(); ++i) {
      int64_t& o = out[lead + i];
      if (s[i] == o || s[i] == 1) continue;
      if (o != 1) return std::nullopt;
      o = s[i];
    }
  }
  return out;
}

std::vector<int64_t> broadcast_strides(const Shape& operand, const Shape& out) {
  std::vector<int64_t> dense = dense_strides(operand);
  std::vector<int64_t> strides(out.size(), 0);
  size_t lead = out.size() - operand.size();
  for (size_t i = 0; i < operand.size(); ++i)
    if (operand[i] != 1) strides[lead + i] = dense[i];
  return strides;
}

// Dim d can join the kept dim before it when every operand steps over d's whole
// extent exactly as it steps once over the previous dim.
static bool mergeable(const std::vector<std::vector<int64_t>>& strides, size_t prev, size_t d, int64_t extent) {
  for (const auto& s : strides)
    if (s[prev] != s[d] * extent) return false;
  return true;
}

BroadcastLoop make_broadcast_loop(const Shape& out, const std::vector<Shape>& operands) {
  std::vector<std::vector<int64_t>> strides;
  for (const Shape& s : operands) strides.push_back(broadcast_strides(s, out));
  // Kept dims as (extent, index of the dim whose strides describe them).
  Shape extents;
  std::vector<size_t> stride_dims;
  for (size_t d = 0; d < out.size(); ++d) {
    if (out[d] == 1) continue;
    if (!extents.empty() && mergeable(strides, stride_dims.back(), d, out[d])) {
      extents.back() *= out[d];
      stride_dims.back() = d;
    } else {
      extents.push_back(out[d]);
      stride_dims.push_back(d);
    }
  }
  BroadcastLoop loop;
  loop.outer_strides.resize(operands.size());
  loop.row_strides.assign(operands.size(), 0);
  if (extents.empty()) return loop;  // a single element
  loop.row = extents.back();
  loop.outer.assign(extents.begin(), extents.end() - 1);
  for (size_t k = 0; k < operands.size(); ++k) {
    loop.row_strides[k] = strides[k][stride_dims.back()];
    for (size_t i = 0; i + 1 < stride_dims.size(); ++i) loop.outer_strides[k].push_back(strides[k][stride_dims[i]]);
  }
  return loop;
}

}  // namespace tandem
