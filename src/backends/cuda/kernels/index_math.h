// Index arithmetic of the cuda backend's data-movement and pooling kernels
// (copy_strided.cu, pad.cu, gather.cu, pool.cu): strided offsets from a linear index,
// the layout rewrites their launchers make (merging axes, widening to vector units,
// 32-bit eligibility), Pad's source index per mode, Gather's source rows, and pooling
// windows with asymmetric pads, dilations and ceil-mode overhang, including ONNX
// MaxPool's Indices. Free of CUDA headers, so that host unit tests run exactly the
// functions the kernels run.
#pragma once
#include <cfloat>
#include <cstdint>

#include "backends/cuda/kernels/hd.h"

#ifdef __CUDA_ARCH__  // device pass only: the host compiler knows no such pragma
#define TANDEM_UNROLL _Pragma("unroll")
#else
#define TANDEM_UNROLL
#endif

namespace tandem::cuda::index_math {

constexpr int kMaxAxes = 8;  // equals kernels::kMaxRank
constexpr int64_t kInt32Max = 2147483647;

// ---- strided copies ----------------------------------------------------------------

// For every index i over `shape` (row-major, the last axis fastest):
//   dst[sum_k i_k * dst[k]] = src[sum_k i_k * src[k]].
// I is int32_t or int64_t: the kernels use 32-bit math when every offset fits.
template <class I>
struct CopyLayout {
  int rank = 0;
  I shape[kMaxAxes] = {};
  I src[kMaxAxes] = {};
  I dst[kMaxAxes] = {};
};

// The source and destination offsets of the element with row-major index `linear`.
template <class I>
TANDEM_HD inline void copy_offsets(I linear, const CopyLayout<I>& l, I& src, I& dst) {
  src = 0;
  dst = 0;
  TANDEM_UNROLL
  for (int j = 0; j < kMaxAxes; ++j) {
    const int k = kMaxAxes - 1 - j;  // innermost axis first; unrolled, so no local-memory indexing
    if (k < l.rank) {
      const I q = linear / l.shape[k];
      const I r = linear - q * l.shape[k];
      src += r * l.src[k];
      dst += r * l.dst[k];
      linear = q;
    }
  }
}

inline int64_t product(const int64_t* values, int count) {
  int64_t p = 1;
  for (int k = 0; k < count; ++k) p *= values[k];
  return p;
}

// Drops size-1 axes and merges each axis into the one before it when that one's
// strides are exactly the axis' strides times its length on both sides (the two then
// walk memory as one axis). Rewrites the arrays in place and returns the new rank;
// no axis left gives one axis of length 1 with unit strides. The shape must hold at
// least one element.
inline int merge_axes(int rank, int64_t* shape, int64_t* src, int64_t* dst) {
  int out = 0;
  for (int k = 0; k < rank; ++k) {
    if (shape[k] == 1) continue;
    const bool joins = out > 0 && src[out - 1] == src[k] * shape[k] && dst[out - 1] == dst[k] * shape[k];
    if (joins) {
      shape[out - 1] *= shape[k];
      src[out - 1] = src[k];
      dst[out - 1] = dst[k];
    } else {
      shape[out] = shape[k];
      src[out] = src[k];
      dst[out] = dst[k];
      ++out;
    }
  }
  if (out == 0) {
    shape[0] = src[0] = dst[0] = 1;
    out = 1;
  }
  return out;
}

inline int64_t copy_elements(const CopyLayout<int64_t>& l) { return product(l.shape, l.rank); }

// Largest |offset| reachable through `strides` over the layout's shape.
inline int64_t offset_reach(const CopyLayout<int64_t>& l, const int64_t* strides) {
  int64_t reach = 0;
  for (int k = 0; k < l.rank; ++k) reach += (l.shape[k] - 1) * (strides[k] < 0 ? -strides[k] : strides[k]);
  return reach;
}

// Whether every linear index and offset of the copy fits in int32_t.
inline bool copy_fits_int32(const CopyLayout<int64_t>& l) {
  return copy_elements(l) <= kInt32Max && offset_reach(l, l.src) <= kInt32Max && offset_reach(l, l.dst) <= kInt32Max;
}

inline CopyLayout<int32_t> narrow(const CopyLayout<int64_t>& l) {
  CopyLayout<int32_t> n;
  n.rank = l.rank;
  for (int k = 0; k < l.rank; ++k) {
    n.shape[k] = static_cast<int32_t>(l.shape[k]);
    n.src[k] = static_cast<int32_t>(l.src[k]);
    n.dst[k] = static_cast<int32_t>(l.dst[k]);
  }
  return n;
}

// When the innermost axis is contiguous on both sides, rewrites the layout in units of
// the widest vector (16, 8, 4 or 2 bytes, wider than an element) that the row length,
// every outer stride and both base addresses are multiples of, and returns that
// unit's size in bytes; otherwise leaves it alone and returns element_bytes.
inline int widen_to_vectors(CopyLayout<int64_t>& l, int element_bytes, uint64_t src_address, uint64_t dst_address) {
  const int last = l.rank - 1;
  if (l.src[last] != 1 || l.dst[last] != 1) return element_bytes;
  for (int unit = 16; unit > element_bytes; unit /= 2) {
    bool fits = (l.shape[last] * element_bytes) % unit == 0 && src_address % unit == 0 && dst_address % unit == 0;
    for (int k = 0; fits && k < last; ++k)
      fits = (l.src[k] * element_bytes) % unit == 0 && (l.dst[k] * element_bytes) % unit == 0;
    if (!fits) continue;
    const int64_t factor = unit / element_bytes;
    l.shape[last] /= factor;
    for (int k = 0; k < last; ++k) {
      l.src[k] /= factor;
      l.dst[k] /= factor;
    }
    return unit;
  }
  return element_bytes;
}

// ---- batched transpose of the two innermost axes (shared-memory tiles) -----------

constexpr int kTile = 32;      // tile edge in elements
constexpr int kTileRows = 8;   // thread rows per tile; each thread moves kTile / kTileRows elements

// A copy whose axis rank-2 ("rows") is contiguous in src and whose axis rank-1
// ("cols") is contiguous in dst: read along rows, written along cols, through tiles.
struct TileCopy {
  CopyLayout<int64_t> batch;  // the outer axes
  int64_t batches = 1;
  int64_t rows = 1, cols = 1;
  int64_t src_col_stride = 0;  // src stride of cols (rows have stride 1)
  int64_t dst_row_stride = 0;  // dst stride of rows (cols have stride 1)
};

// Whether a merged layout is such a transpose with both axes long enough that whole
// tiles pay off.
inline bool is_tile_transpose(const CopyLayout<int64_t>& l) {
  if (l.rank < 2) return false;
  const int rows = l.rank - 2, cols = l.rank - 1;
  return l.src[rows] == 1 && l.dst[cols] == 1 && l.src[cols] != 1 && l.shape[rows] >= kTile / 2 &&
         l.shape[cols] >= kTile / 2;
}

inline TileCopy tile_copy(const CopyLayout<int64_t>& l) {
  TileCopy t;
  const int rows = l.rank - 2, cols = l.rank - 1;
  t.batch.rank = rows;
  for (int k = 0; k < rows; ++k) {
    t.batch.shape[k] = l.shape[k];
    t.batch.src[k] = l.src[k];
    t.batch.dst[k] = l.dst[k];
  }
  t.batches = product(l.shape, rows);
  t.rows = l.shape[rows];
  t.cols = l.shape[cols];
  t.src_col_stride = l.src[cols];
  t.dst_row_stride = l.dst[rows];
  return t;
}

TANDEM_HD inline int64_t tile_src_offset(const TileCopy& t, int64_t batch_src, int64_t row, int64_t col) {
  return batch_src + row + col * t.src_col_stride;
}

TANDEM_HD inline int64_t tile_dst_offset(const TileCopy& t, int64_t batch_dst, int64_t row, int64_t col) {
  return batch_dst + row * t.dst_row_stride + col;
}

// ---- Pad -----------------------------------------------------------------------------

enum class PadRule { Constant, Reflect, Edge };

// The index along one axis of length `dim` that output index j reads, for x placed at
// `begin` (negative: cropped); -1 for the constant. Reflect mirrors without repeating
// the edge and repeats with period 2 (dim - 1) when the pad exceeds dim - 1.
template <class I>
TANDEM_HD inline I pad_source_index(PadRule rule, I j, I begin, I dim) {
  const I i = j - begin;
  if (i >= 0 && i < dim) return i;
  if (rule == PadRule::Constant) return -1;
  if (rule == PadRule::Edge) return i < 0 ? 0 : dim - 1;
  if (dim == 1) return 0;
  const I period = 2 * (dim - 1);
  I k = i % period;
  if (k < 0) k += period;
  return k < dim ? k : period - k;
}

// y (out) = x (in, dense with in_stride) placed at `begin` per axis.
template <class I>
struct PadLayout {
  int rank = 0;
  I out[kMaxAxes] = {};
  I in[kMaxAxes] = {};
  I in_stride[kMaxAxes] = {};
  I begin[kMaxAxes] = {};
};

// The offset into x that output element `linear` copies, or -1 for the constant.
template <class I>
TANDEM_HD inline I pad_source_offset(I linear, const PadLayout<I>& l, PadRule rule) {
  I offset = 0;
  bool inside = true;
  TANDEM_UNROLL
  for (int j = 0; j < kMaxAxes; ++j) {
    const int k = kMaxAxes - 1 - j;
    if (k < l.rank) {
      const I q = linear / l.out[k];
      const I r = linear - q * l.out[k];
      const I s = pad_source_index(rule, r, l.begin[k], l.in[k]);
      inside = inside && s >= 0;
      offset += s * l.in_stride[k];
      linear = q;
    }
  }
  return inside ? offset : I(-1);
}

// Merges neighbouring axes that are not padded on either side (their elements move as
// one block) and drops unpadded axes of length 1. Arrays of `rank` entries are
// rewritten in place; returns the new rank (at least 1).
inline int merge_unpadded_axes(int rank, int64_t* in, int64_t* begin, int64_t* end) {
  int out = 0;
  for (int k = 0; k < rank; ++k) {
    const bool unpadded = begin[k] == 0 && end[k] == 0;
    if (unpadded && in[k] == 1) continue;
    if (unpadded && out > 0 && begin[out - 1] == 0 && end[out - 1] == 0) {
      in[out - 1] *= in[k];
      continue;
    }
    in[out] = in[k];
    begin[out] = begin[k];
    end[out] = end[k];
    ++out;
  }
  if (out == 0) {
    in[0] = 1;
    begin[0] = end[0] = 0;
    out = 1;
  }
  return out;
}

// A layout for x (in, dense) padded by begin/end; out = in + begin + end per axis.
inline PadLayout<int64_t> pad_layout(int rank, const int64_t* in, const int64_t* begin, const int64_t* end) {
  PadLayout<int64_t> l;
  l.rank = rank;
  int64_t stride = 1;
  for (int k = rank - 1; k >= 0; --k) {
    l.in[k] = in[k];
    l.out[k] = in[k] + begin[k] + end[k];
    l.begin[k] = begin[k];
    l.in_stride[k] = stride;
    stride *= in[k];
  }
  return l;
}

// Whether all index math of the pad fits in int32_t: sizes and |begin| below 2^30,
// so that j - begin, 2 (dim - 1) and every offset stay below 2^31.
inline bool pad_fits_int32(const PadLayout<int64_t>& l) {
  const int64_t limit = int64_t{1} << 30;
  int64_t in_elements = 1, out_elements = 1;
  for (int k = 0; k < l.rank; ++k) {
    if (l.in[k] >= limit || l.out[k] >= limit || l.begin[k] >= limit || l.begin[k] <= -limit) return false;
    in_elements *= l.in[k];
    out_elements *= l.out[k];
  }
  return in_elements <= kInt32Max && out_elements <= kInt32Max;
}

inline PadLayout<int32_t> narrow(const PadLayout<int64_t>& l) {
  PadLayout<int32_t> n;
  n.rank = l.rank;
  for (int k = 0; k < l.rank; ++k) {
    n.out[k] = static_cast<int32_t>(l.out[k]);
    n.in[k] = static_cast<int32_t>(l.in[k]);
    n.in_stride[k] = static_cast<int32_t>(l.in_stride[k]);
    n.begin[k] = static_cast<int32_t>(l.begin[k]);
  }
  return n;
}

// ---- Gather --------------------------------------------------------------------------

// y: (outer, count, inner) from data: (outer, axis_dim, inner).
template <class I>
struct GatherLayout {
  I count = 0, inner = 0, axis_dim = 0;
};

// An index as a row of the axis: negative ones count from the end; -1 when outside
// [-axis_dim, axis_dim).
TANDEM_HD inline int64_t gather_row(int64_t index, int64_t axis_dim) {
  if (index < 0) index += axis_dim;
  return index >= 0 && index < axis_dim ? index : -1;
}

// Which index (j) output element `linear` takes.
template <class I>
TANDEM_HD inline I gather_index_position(I linear, const GatherLayout<I>& l) {
  return (linear / l.inner) % l.count;
}

// The offset into data of output element `linear` once its index resolved to `row`
// (from gather_row), or -1 when the row is -1.
template <class I>
TANDEM_HD inline I gather_source_offset(I linear, I row, const GatherLayout<I>& l) {
  if (row < 0) return I(-1);
  const I e = linear % l.inner;
  const I o = linear / l.inner / l.count;
  return (o * l.axis_dim + row) * l.inner + e;
}

// Rewrites a gather of `element_bytes` elements into one of the widest vector unit
// (16, 8, 4 or 2 bytes) that the inner block and both base addresses are multiples
// of; returns the unit's size in bytes.
template <class I>
inline int widen_gather(GatherLayout<I>& l, int element_bytes, uint64_t data_address, uint64_t y_address) {
  for (int unit = 16; unit > element_bytes; unit /= 2) {
    if ((l.inner * element_bytes) % unit != 0 || data_address % unit != 0 || y_address % unit != 0) continue;
    l.inner /= unit / element_bytes;
    return unit;
  }
  return element_bytes;
}

// ---- pooling -------------------------------------------------------------------------

// Pooling over three spatial axes (fewer real ones are padded with neutral axes:
// size 1, kernel 1, stride 1, no pads, dilation 1, which may stand before or after
// the real ones). x: (planes, in[0], in[1], in[2]), y: (planes, out[0], out[1], out[2]).
struct PoolWindow {
  int64_t planes = 1;  // batch x channels
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, stride[3] = {1, 1, 1};
  int64_t pad_begin[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0}, dilation[3] = {1, 1, 1};
  bool count_include_pad = false;
  TANDEM_HD int64_t in_plane() const { return in[0] * in[1] * in[2]; }
  TANDEM_HD int64_t out_plane() const { return out[0] * out[1] * out[2]; }
};

// Window taps k in [first, end) of one axis.
struct TapRange {
  int64_t first = 0, end = 0;
  TANDEM_HD int64_t count() const { return end > first ? end - first : 0; }
};

TANDEM_HD inline int64_t ceil_div_positive(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Window taps of output position o along `axis` whose input index
// o * stride - pad_begin + k * dilation lies in [lo, hi).
TANDEM_HD inline TapRange window_taps(const PoolWindow& w, int axis, int64_t o, int64_t lo, int64_t hi) {
  const int64_t base = o * w.stride[axis] - w.pad_begin[axis];
  const int64_t dilation = w.dilation[axis];
  TapRange r;
  r.first = lo > base ? ceil_div_positive(lo - base, dilation) : 0;
  const int64_t above = hi > base ? ceil_div_positive(hi - base, dilation) : 0;
  r.end = above < w.kernel[axis] ? above : w.kernel[axis];
  return r;
}

// Taps reading real input elements.
TANDEM_HD inline TapRange real_taps(const PoolWindow& w, int axis, int64_t o) {
  return window_taps(w, axis, o, 0, w.in[axis]);
}

// Taps inside the padded input (count_include_pad's divisor; a ceil-mode window that
// overhangs the end padding counts only the part inside it).
TANDEM_HD inline int64_t padded_tap_count(const PoolWindow& w, int axis, int64_t o) {
  return window_taps(w, axis, o, -w.pad_begin[axis], w.in[axis] + w.pad_end[axis]).count();
}

TANDEM_HD inline int64_t tap_input(const PoolWindow& w, int axis, int64_t o, int64_t k) {
  return o * w.stride[axis] - w.pad_begin[axis] + k * w.dilation[axis];
}

// ONNX MaxPool's Indices entry of input position (a, b, c) in one plane: row-major, or
// column-major (the first spatial axis fastest) for storage_order 1.
TANDEM_HD inline int64_t max_pool_index(const PoolWindow& w, int64_t a, int64_t b, int64_t c, bool column_major) {
  return column_major ? a + (b + c * w.in[1]) * w.in[0] : (a * w.in[1] + b) * w.in[2] + c;
}

// Output position of y's element `linear`: its plane and spatial coordinates.
struct PoolPosition {
  int64_t plane = 0, o[3] = {0, 0, 0};
};

TANDEM_HD inline PoolPosition pool_position(const PoolWindow& w, int64_t linear) {
  PoolPosition p;
  p.o[2] = linear % w.out[2];
  linear /= w.out[2];
  p.o[1] = linear % w.out[1];
  linear /= w.out[1];
  p.o[0] = linear % w.out[0];
  p.plane = linear / w.out[0];
  return p;
}

// MaxPool's result at one output element: the value and its Indices entry.
struct MaxTap {
  float value = -FLT_MAX;
  int64_t index = -1;
};

// MaxPool at y's element `linear`: the first largest tap in window order (a NaN in the
// first tap stays; later NaNs are skipped) and its Indices entry, x's flat index;
// -FLT_MAX and -1 for a window without taps.
TANDEM_HD inline MaxTap max_pool_element(const PoolWindow& w, const float* x, int64_t linear, bool column_major) {
  const PoolPosition p = pool_position(w, linear);
  const TapRange t0 = real_taps(w, 0, p.o[0]), t1 = real_taps(w, 1, p.o[1]), t2 = real_taps(w, 2, p.o[2]);
  const float* plane = x + p.plane * w.in_plane();
  float best = -FLT_MAX;
  int64_t best_a = -1, best_b = 0, best_c = 0;
  for (int64_t k0 = t0.first; k0 < t0.end; ++k0) {
    const int64_t a = tap_input(w, 0, p.o[0], k0);
    for (int64_t k1 = t1.first; k1 < t1.end; ++k1) {
      const int64_t b = tap_input(w, 1, p.o[1], k1);
      const float* row = plane + (a * w.in[1] + b) * w.in[2];
      for (int64_t k2 = t2.first; k2 < t2.end; ++k2) {
        const int64_t c = tap_input(w, 2, p.o[2], k2);
        const float v = row[c];
        if (best_a < 0 || v > best) {
          best = v;
          best_a = a;
          best_b = b;
          best_c = c;
        }
      }
    }
  }
  MaxTap result;
  result.value = best;
  if (best_a >= 0) result.index = p.plane * w.in_plane() + max_pool_index(w, best_a, best_b, best_c, column_major);
  return result;
}

// AveragePool at y's element `linear`: the sum of the real taps (in double, in window
// order) over their count, or over the taps inside the padded input with
// count_include_pad; 0 for a window without any.
TANDEM_HD inline float average_pool_element(const PoolWindow& w, const float* x, int64_t linear) {
  const PoolPosition p = pool_position(w, linear);
  const TapRange t0 = real_taps(w, 0, p.o[0]), t1 = real_taps(w, 1, p.o[1]), t2 = real_taps(w, 2, p.o[2]);
  const float* plane = x + p.plane * w.in_plane();
  double sum = 0;
  for (int64_t k0 = t0.first; k0 < t0.end; ++k0) {
    const int64_t a = tap_input(w, 0, p.o[0], k0);
    for (int64_t k1 = t1.first; k1 < t1.end; ++k1) {
      const float* row = plane + (a * w.in[1] + tap_input(w, 1, p.o[1], k1)) * w.in[2];
      for (int64_t k2 = t2.first; k2 < t2.end; ++k2) sum += row[tap_input(w, 2, p.o[2], k2)];
    }
  }
  const int64_t count = w.count_include_pad ? padded_tap_count(w, 0, p.o[0]) * padded_tap_count(w, 1, p.o[1]) *
                                                  padded_tap_count(w, 2, p.o[2])
                                            : t0.count() * t1.count() * t2.count();
  return count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
}

}  // namespace tandem::cuda::index_math
