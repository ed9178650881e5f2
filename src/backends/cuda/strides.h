// Host helpers of the cuda backend's data-movement lowerings: the strided views of
// Slice, Transpose, Concat and Split (where in x each output element comes from), the
// pieces of Split and the per-axis amounts of Pad, turned into the kernels' index
// layouts. Header-only and free of CUDA headers, so that host unit tests check them
// against the reference ops.
#pragma once
#include <algorithm>
#include <cstdint>
#include <optional>
#include <vector>

#include "backends/cuda/kernels/index_math.h"
#include "tandem/tensor.h"

namespace tandem::cuda {

// A strided view of a dense tensor: element i of the view is at
// offset + sum_k i_k * strides[k] (in elements).
struct StridedView {
  int64_t offset = 0;
  std::vector<int64_t> strides;
};

// The copy of `shape` elements from `src` into `dst`, axes merged as far as possible;
// nullopt when more than index_math::kMaxAxes axes remain. `shape` must hold at least
// one element.
inline std::optional<index_math::CopyLayout<int64_t>> copy_layout(Shape shape, std::vector<int64_t> src,
                                                                   std::vector<int64_t> dst) {
  if (shape.empty()) shape = src = dst = {1};  // a scalar: one element
  const int rank = index_math::merge_axes(static_cast<int>(shape.size()), shape.data(), src.data(), dst.data());
  if (rank > index_math::kMaxAxes) return std::nullopt;
  index_math::CopyLayout<int64_t> l;
  l.rank = rank;
  std::copy_n(shape.begin(), rank, l.shape);
  std::copy_n(src.begin(), rank, l.src);
  std::copy_n(dst.begin(), rank, l.dst);
  return l;
}

// A kernels::Dims-like struct (rank, d[]) holding the first `rank` entries of `values`.
template <class Dims>
Dims dims_of(const int64_t* values, int rank) {
  Dims dims;
  dims.rank = rank;
  std::copy_n(values, rank, dims.d);
  return dims;
}

// Whether a merged copy moves one contiguous run (the output is a byte range of x).
inline bool is_contiguous_run(const index_math::CopyLayout<int64_t>& l) {
  return l.rank == 1 && (l.shape[0] == 1 || (l.src[0] == 1 && l.dst[0] == 1));
}

// Transpose: output axis i reads x's axis perm[i].
inline StridedView transpose_view(const Shape& x, const std::vector<int64_t>& perm) {
  const std::vector<int64_t> x_strides = dense_strides(x);
  StridedView v;
  for (int64_t p : perm) v.strides.push_back(x_strides[static_cast<size_t>(p)]);
  return v;
}

// The default perm of Transpose: the axes reversed.
inline std::vector<int64_t> reversed_axes(size_t rank) {
  std::vector<int64_t> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  return perm;
}

// ONNX Slice's first index along an axis of length dim (negative counts from the end,
// then clamped to [0, dim] for positive steps and [0, dim - 1] for negative ones).
inline int64_t slice_start(int64_t start, int64_t step, int64_t dim) {
  if (dim == 0) return 0;
  if (start < 0) start += dim;
  return step > 0 ? std::clamp<int64_t>(start, 0, dim) : std::clamp<int64_t>(start, 0, dim - 1);
}

// Slice of x with per-parameter starts/axes/steps (axes empty: 0, 1, ...; steps
// empty: all 1) whose output shape `out` shape inference has computed: the view
// starts at the clamped starts and steps by step times x's strides. Axes of one
// output element take no step (their stride is 0), so huge steps cannot overflow.
inline StridedView slice_view(const Shape& x, const Shape& out, const std::vector<int64_t>& starts,
                              const std::vector<int64_t>& axes, const std::vector<int64_t>& steps) {
  const auto rank = static_cast<int64_t>(x.size());
  std::vector<int64_t> first(x.size(), 0), step(x.size(), 1);
  for (size_t i = 0; i < starts.size(); ++i) {
    int64_t axis = axes.empty() ? static_cast<int64_t>(i) : axes[i];
    if (axis < 0) axis += rank;
    const auto a = static_cast<size_t>(axis);
    step[a] = steps.empty() ? 1 : steps[i];
    first[a] = slice_start(starts[i], step[a], x[a]);
  }
  StridedView v;
  v.strides = dense_strides(x);
  for (size_t d = 0; d < x.size(); ++d) {
    v.offset += first[d] * v.strides[d];
    v.strides[d] = out[d] > 1 ? v.strides[d] * step[d] : 0;
  }
  return v;
}

// The extents along the axis of Split's pieces: the `split` sizes when given, else
// ceil(dim / parts) with a smaller last piece under opset 18's num_outputs, else
// equal parts (shape inference has checked that they add up).
inline std::vector<int64_t> split_sizes(int64_t dim, size_t parts, const std::optional<std::vector<int64_t>>& split,
                                        bool has_num_outputs) {
  if (split) return *split;
  const auto n = static_cast<int64_t>(parts);
  if (!has_num_outputs) return std::vector<int64_t>(parts, dim / n);
  const int64_t chunk = (dim + n - 1) / n;
  std::vector<int64_t> sizes(parts, chunk);
  sizes.back() = dim - chunk * (n - 1);
  return sizes;
}

// Pad's begin and end amounts per axis of a rank-`rank` input from the `pads`
// parameter ([begin..., end...] over `axes`, all axes when empty).
struct PadAmounts {
  std::vector<int64_t> begin, end;
};

inline PadAmounts pad_amounts(size_t rank, const std::vector<int64_t>& pads, const std::vector<int64_t>& axes) {
  std::vector<int64_t> listed = axes;
  if (listed.empty())
    for (size_t a = 0; a < rank; ++a) listed.push_back(static_cast<int64_t>(a));
  PadAmounts p{std::vector<int64_t>(rank, 0), std::vector<int64_t>(rank, 0)};
  for (size_t i = 0; i < listed.size(); ++i) {
    int64_t axis = listed[i];
    if (axis < 0) axis += static_cast<int64_t>(rank);
    p.begin[static_cast<size_t>(axis)] = pads[i];
    p.end[static_cast<size_t>(axis)] = pads[i + listed.size()];
  }
  return p;
}

// The kernels' pad layout after merging unpadded axes; nullopt when more than
// index_math::kMaxAxes axes remain.
inline std::optional<index_math::PadLayout<int64_t>> pad_layout(Shape in, PadAmounts p) {
  if (in.empty()) {  // a scalar: one unpadded element
    in = {1};
    p.begin = p.end = {0};
  }
  const int rank = index_math::merge_unpadded_axes(static_cast<int>(in.size()), in.data(), p.begin.data(), p.end.data());
  if (rank > index_math::kMaxAxes) return std::nullopt;
  return index_math::pad_layout(rank, in.data(), p.begin.data(), p.end.data());
}

}  // namespace tandem::cuda
