// oneDNN memory descriptors for tandem tensors: plain (dense row-major) descriptors,
// the test for "is this layout plain", and dtype mapping. Only the cpu backend
// includes oneDNN headers.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>

#include "tandem/tensor.h"

namespace tandem::cpu {

using dnnl::memory;

// oneDNN's data type for a tandem dtype, if it has one.
std::optional<memory::data_type> dnnl_type(DType dtype);
// Dims for oneDNN: a scalar (rank 0) becomes {1}.
memory::dims dnnl_dims(const Shape& shape);
// The dims of `md` as a shape.
Shape dims_of(const memory::desc& md);
// Dense row-major f32 (or `dtype`) descriptor of `shape`.
memory::desc plain_md(const Shape& shape, DType dtype = DType::f32);
// f32 (N, C, spatial...) blocked by 8 channels (nCw8c, nChw8c, nCdhw8c), the layout
// oneDNN's AVX2 kernels prefer; rank 3 to 5.
memory::desc blocked8_md(const Shape& shape);
// f32 (N, C, spatial...) with channels last (nwc, nhwc, ndhwc), the layout oneDNN's
// AVX-512 brgconv kernels prefer; rank 3 to 5.
memory::desc channels_last_md(const Shape& shape);
// True when `md` is channels_last_md of its dims.
bool is_channels_last(const memory::desc& md);
// The three dense layouts the cpu backend keeps activations in.
enum class DenseLayout { Plain, Blocked8, ChannelsLast };
// Which of them `md` is (blocked8 and channels last: f32, rank 3 to 5); nullopt for
// other layouts (strided views among them).
std::optional<DenseLayout> dense_layout(const memory::desc& md);
// The layout of `md` (plain, blocked8 or channels last) for other dims; nullopt for
// other layouts. A batch slice of any of them, or a channel slice of plain or blocked8
// at a multiple of 8 channels, is a dense tensor of that layout.
std::optional<memory::desc> same_layout(const memory::desc& md, const Shape& shape);
// Row-major descriptor of `dims` with explicit element strides.
memory::desc strided_md(const memory::dims& dims, const memory::dims& strides);
// True when `md` lays its elements out densely in row-major order (strides of
// size-1 dimensions are ignored).
bool is_plain(const memory::desc& md);
// `shape` padded with leading 1s to `rank` dimensions.
Shape pad_rank(const Shape& shape, size_t rank);

}  // namespace tandem::cpu
