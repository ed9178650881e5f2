// Numpy-style multidirectional broadcasting, shared by every backend: the output shape
// of several operands and a row-wise walk over the output that gives each operand's
// element offset. Shapes are right-aligned; a dimension of 1 stretches to match.
#pragma once
#include <optional>
#include <vector>

#include "tandem/tensor.h"

namespace tandem {

// The broadcast output shape; nullopt when two dimensions differ and neither is 1.
std::optional<Shape> broadcast_shapes(const std::vector<Shape>& shapes);

// Element strides for reading `operand` at each index of `out` (0 on stretched or
// missing leading dims). `out` must be a broadcast of `operand`.
std::vector<int64_t> broadcast_strides(const Shape& operand, const Shape& out);

// The output walked as rows: dims of size 1 dropped, neighbours merged where every
// operand is contiguous (or stretched) across both, the last merged dim being the row.
// Operands of the output's shape collapse to one row of numel() elements.
struct BroadcastLoop {
  Shape outer;                                      // dims above the row
  int64_t row = 1;                                  // elements per row
  std::vector<std::vector<int64_t>> outer_strides;  // [operand][outer dim]
  std::vector<int64_t> row_strides;                 // [operand]: 0 (stretched) or 1
};
BroadcastLoop make_broadcast_loop(const Shape& out, const std::vector<Shape>& operands);

// Calls row_fn(out_offset, operand_offsets) for every row; out_offset indexes the dense
// output, operand_offsets[k] operand k. Offsets are in elements.
template <class RowFn>
void for_each_broadcast_row(const BroadcastLoop& loop, RowFn&& row_fn) {
  const size_t operands = loop.row_strides.size(), rank = loop.outer.size();
  const int64_t rows = num_elements(loop.outer);
  if (loop.row == 0 || rows == 0) return;
  std::vector<int64_t> index(rank, 0), offsets(operands, 0);
  for (int64_t r = 0; r < rows; ++r) {
    row_fn(r * loop.row, static_cast<const int64_t*>(offsets.data()));
    for (size_t d = rank; d-- > 0;) {  // odometer over the outer dims
      bool carry = ++index[d] == loop.outer[d];
      for (size_t k = 0; k < operands; ++k)
        offsets[k] += carry ? -loop.outer_strides[k][d] * (loop.outer[d] - 1) : loop.outer_strides[k][d];
      if (!carry) break;
      index[d] = 0;
    }
  }
}

}  // namespace tandem
