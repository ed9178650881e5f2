// Own data-movement kernels of the cpu backend (dtype-agnostic by element size), for
// what oneDNN lacks: strided copies (Slice, Split, Transpose), padding and gathering.
// Each splits its rows across the device's threads (run_ranges).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "backends/cpu/thread_pool.h"
#include "tandem/tensor.h"

namespace tandem::cpu {

// dst (dense, `shape`) = the view of `src` with element `strides` (any sign); its rows
// in up to `tasks` ranges on `pool` (none: on the calling thread).
void strided_copy(const std::byte* src, const Shape& shape, const std::vector<int64_t>& strides, std::byte* dst,
                  size_t elem_size, ThreadPool* pool = nullptr, int tasks = 1);

// For each output index along each dim: the source index, or -1 for the fill value.
using IndexMaps = std::vector<std::vector<int64_t>>;
// dst (dense, out shape) gathers src (dense, `in` shape) through per-dim index maps;
// rows along the last dim copy their contiguous mapped run with memcpy; the rows in up
// to `tasks` ranges on `pool` (none: on the calling thread).
void mapped_copy(const std::byte* src, const Shape& in, const IndexMaps& maps, std::byte* dst, size_t elem_size,
                 const std::byte* fill, ThreadPool* pool = nullptr, int tasks = 1);

// data viewed as (outer, extent, inner): dst[o, j, :] = data[o, indices[j], :], the
// indices already made non-negative and checked; the rows in up to `tasks` ranges on
// `pool` (none: on the calling thread).
void gather_rows(const std::byte* data, int64_t outer, int64_t extent, size_t inner_bytes,
                 const std::vector<int64_t>& indices, std::byte* dst, ThreadPool* pool = nullptr, int tasks = 1);

}  // namespace tandem::cpu
