// Per-element arithmetic and index math of the cuda backend's own kernels, written
// once for the GPU and the host (TANDEM_HD) so that unit tests can check it against
// the reference ops: activations, Cast conversions, per-channel affine / batch norm,
// LRN channel windows, the collapsed broadcast walk of binary ops and the index
// mapping of reductions. No CUDA headers: the host compiler builds the tests.
#pragma once
#include <cmath>
#include <cstdint>
#include <type_traits>

#include "backends/cuda/kernels/hd.h"

namespace tandem::cuda::math {

// Most axes a strided walk handles; the same as kernels::kMaxRank.
constexpr int kRankLimit = 8;

// ---- activations ----
// The comparisons are the reference's own (x < 0, std::max, std::min), so NaN passes
// through Relu, LeakyRelu and Clip unchanged as it does there.

TANDEM_HD inline float relu(float x) { return x < 0.0f ? 0.0f : x; }
TANDEM_HD inline float leaky_relu(float x, float alpha) { return x < 0.0f ? alpha * x : x; }
TANDEM_HD inline float clip(float x, float low, float high) {
  const float raised = x < low ? low : x;  // std::max(x, low)
  return high < raised ? high : raised;    // std::min(raised, high)
}
TANDEM_HD inline float sigmoid(float x) { return 1.0f / (1.0f + expf(-x)); }
TANDEM_HD inline float hyperbolic_tangent(float x) { return tanhf(x); }

// act(x) for any {kind, alpha, beta} whose kind enumerates None, Relu, LeakyRelu,
// Clip, Sigmoid, Tanh: kernels::ActivationParams on the GPU, tandem::Activation in
// tests. LeakyRelu: alpha is the slope; Clip: alpha the lower bound, beta the upper.
template <class Params>
TANDEM_HD inline float activate(const Params& act, float x) {
  using Kind = decltype(act.kind);
  switch (act.kind) {
    case Kind::Relu: return relu(x);
    case Kind::LeakyRelu: return leaky_relu(x, act.alpha);
    case Kind::Clip: return clip(x, act.alpha, act.beta);
    case Kind::Sigmoid: return sigmoid(x);
    case Kind::Tanh: return hyperbolic_tangent(x);
    default: return x;
  }
}

// ---- Cast ----

// The range of an integer type as int64 (std::numeric_limits is host-only in CUDA).
template <class T> struct IntegerRange;
template <> struct IntegerRange<int8_t> { static constexpr int64_t low = -128, high = 127; };
template <> struct IntegerRange<uint8_t> { static constexpr int64_t low = 0, high = 255; };
template <> struct IntegerRange<int16_t> { static constexpr int64_t low = -32768, high = 32767; };
template <> struct IntegerRange<int32_t> { static constexpr int64_t low = -2147483647 - 1, high = 2147483647; };
template <> struct IntegerRange<int64_t> {
  static constexpr int64_t low = -9223372036854775807 - 1, high = 9223372036854775807;
};

// ONNX Cast as the reference does it: anything to bool is "not zero"; floats to
// integers saturate at the target's range (NaN gives 0) and truncate toward zero in
// range; integers narrow modulo 2^bits; everything else is static_cast.
template <class To, class From>
TANDEM_HD inline To convert(From v) {
  if constexpr (std::is_same_v<To, bool>) {
    return v != From(0);
  } else if constexpr (std::is_floating_point_v<From> && std::is_integral_v<To>) {
    const double d = static_cast<double>(v);
    constexpr double low = static_cast<double>(IntegerRange<To>::low);
    constexpr double high = static_cast<double>(IntegerRange<To>::high);
    if (d != d) return To(0);  // NaN
    if (d <= low) return static_cast<To>(IntegerRange<To>::low);
    if (d >= high) return static_cast<To>(IntegerRange<To>::high);
    return static_cast<To>(d);
  } else {
    return static_cast<To>(v);
  }
}

// ---- per-channel ops on (outer, channels, inner) ----

// The channel of flat element `index` of a dense (outer, channels, inner) tensor.
template <class Index>
TANDEM_HD inline Index channel_of(Index index, Index inner, Index channels) {
  return (index / inner) % channels;
}

TANDEM_HD inline float affine(float x, float scale, float shift) { return x * scale + shift; }

// BatchNormalization (inference) of one element with its channel's parameters:
// (x - mean) / sqrt(var + epsilon) * gamma + beta.
TANDEM_HD inline float batchnorm(float x, float gamma, float beta, float mean, float var, float epsilon) {
  const float scale = gamma / sqrtf(var + epsilon);
  return (x - mean) * scale + beta;
}

// ---- LRN ----

// The channels [first, last] (inclusive, clipped to [0, channels)) whose squares
// LRN sums for channel c: [c - floor((size-1)/2), c + ceil((size-1)/2)].
struct ChannelWindow {
  int64_t first = 0, last = -1;
};

TANDEM_HD inline ChannelWindow lrn_window(int64_t c, int64_t channels, int64_t size) {
  const int64_t before = (size - 1) / 2, after = size - 1 - before;
  ChannelWindow w;
  w.first = c - before < 0 ? 0 : c - before;
  w.last = c + after > channels - 1 ? channels - 1 : c + after;
  return w;
}

// x / (bias + alpha / size * square_sum) ^ beta.
TANDEM_HD inline float lrn_value(float x, float square_sum, float alpha_over_size, float beta, float bias) {
  return x / powf(bias + alpha_over_size * square_sum, beta);
}

// ---- strided walks ----

// The element offset of row-major index `index` over dims `extent` read with
// `stride` (one per dim, in elements; 0 on broadcast dims).
TANDEM_HD inline int64_t strided_offset(int64_t index, int rank, const int64_t* extent, const int64_t* stride) {
  int64_t offset = 0;
  for (int d = rank - 1; d >= 0; --d) {
    offset += (index % extent[d]) * stride[d];
    index /= extent[d];
  }
  return offset;
}

// ---- launch geometry ----

// Blocks of `threads` threads for `work` items (grid-stride loops cover what a capped
// grid leaves); 0 when there is no work.
inline unsigned blocks_for(int64_t work, int threads, int64_t cap = 65535) {
  if (work <= 0) return 0;
  const int64_t blocks = (work + threads - 1) / threads;
  return static_cast<unsigned>(blocks < cap ? blocks : cap);
}

// ---- binary ops with broadcasting ----

// The output of a binary op as dims, with each operand's strides per output dim.
struct BroadcastDims {
  int rank = 0;
  int64_t extent[kRankLimit] = {};
  int64_t a_stride[kRankLimit] = {};
  int64_t b_stride[kRankLimit] = {};
};

// The same walk with size-1 dims dropped and neighbours merged where both operands
// step over the inner dim's whole extent exactly as once over the outer one (so
// same-shape operands become one dim, a per-channel operand three at most).
inline BroadcastDims collapse_broadcast(const BroadcastDims& in) {
  BroadcastDims out;
  for (int d = 0; d < in.rank; ++d) {
    if (in.extent[d] == 1) continue;
    const int last = out.rank - 1;
    if (last >= 0 && out.a_stride[last] == in.a_stride[d] * in.extent[d] &&
        out.b_stride[last] == in.b_stride[d] * in.extent[d]) {
      out.extent[last] *= in.extent[d];
      out.a_stride[last] = in.a_stride[d];
      out.b_stride[last] = in.b_stride[d];
      continue;
    }
    out.extent[out.rank] = in.extent[d];
    out.a_stride[out.rank] = in.a_stride[d];
    out.b_stride[out.rank] = in.b_stride[d];
    ++out.rank;
  }
  return out;
}

// The offsets into a and b of output element `index` (row-major over d.extent).
TANDEM_HD inline void broadcast_offsets(int64_t index, const BroadcastDims& d, int64_t& a, int64_t& b) {
  a = 0;
  b = 0;
  for (int k = d.rank - 1; k >= 0; --k) {
    const int64_t coordinate = index % d.extent[k];
    index /= d.extent[k];
    a += coordinate * d.a_stride[k];
    b += coordinate * d.b_stride[k];
  }
}

enum class BroadcastCase {
  Same,      // both operands have the output's shape
  ScalarA,   // a is one element, b the output's shape
  ScalarB,   // b is one element, a the output's shape
  ChannelA,  // a is a vector along one output dim (outer, channels, inner), b dense
  ChannelB,  // b is that vector, a dense
  General,   // anything else: the strided walk
};

struct BroadcastPlan {
  BroadcastCase kind = BroadcastCase::General;
  int64_t outer = 1, channels = 1, inner = 1;  // ChannelA / ChannelB
};

namespace detail {

inline bool dense(const BroadcastDims& d, const int64_t* stride) {
  int64_t expected = 1;
  for (int k = d.rank - 1; k >= 0; --k) {
    if (stride[k] != expected) return false;
    expected *= d.extent[k];
  }
  return true;
}

inline bool all_zero(const BroadcastDims& d, const int64_t* stride) {
  for (int k = 0; k < d.rank; ++k)
    if (stride[k] != 0) return false;
  return true;
}

// The only dim where `stride` is non-zero when that stride is 1, else -1.
inline int vector_dim(const BroadcastDims& d, const int64_t* stride) {
  int found = -1;
  for (int k = 0; k < d.rank; ++k) {
    if (stride[k] == 0) continue;
    if (stride[k] != 1 || found >= 0) return -1;
    found = k;
  }
  return found;
}

inline BroadcastPlan channel_plan(BroadcastCase kind, const BroadcastDims& d, int dim) {
  BroadcastPlan plan;
  plan.kind = kind;
  for (int k = 0; k < d.rank; ++k) {
    if (k < dim) plan.outer *= d.extent[k];
    if (k == dim) plan.channels = d.extent[k];
    if (k > dim) plan.inner *= d.extent[k];
  }
  return plan;
}

}  // namespace detail

// Which kernel a collapsed walk can use.
inline BroadcastPlan plan_broadcast(const BroadcastDims& d) {
  const bool a_dense = detail::dense(d, d.a_stride), b_dense = detail::dense(d, d.b_stride);
  if (a_dense && b_dense) return {BroadcastCase::Same};
  if (a_dense && detail::all_zero(d, d.b_stride)) return {BroadcastCase::ScalarB};
  if (b_dense && detail::all_zero(d, d.a_stride)) return {BroadcastCase::ScalarA};
  if (a_dense) {
    const int dim = detail::vector_dim(d, d.b_stride);
    if (dim >= 0) return detail::channel_plan(BroadcastCase::ChannelB, d, dim);
  }
  if (b_dense) {
    const int dim = detail::vector_dim(d, d.a_stride);
    if (dim >= 0) return detail::channel_plan(BroadcastCase::ChannelA, d, dim);
  }
  return {BroadcastCase::General};
}

// ---- reductions ----

// A reduction of a dense tensor split into kept dims (which index the output, in
// order) and reduced dims, each with its input strides; size-1 dims are dropped and
// neighbours of the same kind merged.
struct ReduceLayout {
  int kept_rank = 0, reduced_rank = 0;
  int64_t kept_extent[kRankLimit] = {}, kept_stride[kRankLimit] = {};
  int64_t reduced_extent[kRankLimit] = {}, reduced_stride[kRankLimit] = {};
  int64_t outputs = 1;  // output elements
  int64_t count = 1;    // input elements reduced into each
};

// shape: `rank` dims (rank <= kRankLimit); dim d is reduced when bit d of axes_mask is set.
inline ReduceLayout make_reduce_layout(int rank, const int64_t* shape, uint32_t axes_mask) {
  ReduceLayout r;
  int64_t stride = 1;
  bool inner_reduced = false;  // kind of the innermost dim merged so far
  bool any = false;
  for (int d = rank - 1; d >= 0; stride *= shape[d], --d) {
    const bool reduced = (axes_mask >> d) & 1u;
    (reduced ? r.count : r.outputs) *= shape[d];
    if (shape[d] == 1) continue;
    int& n = reduced ? r.reduced_rank : r.kept_rank;
    int64_t* extent = reduced ? r.reduced_extent : r.kept_extent;
    int64_t* strides = reduced ? r.reduced_stride : r.kept_stride;
    // Walking outward from the innermost dim, the dims found so far sit from index 0
    // (outermost) inward; a dim of the same kind as the one just inside it widens it.
    if (any && inner_reduced == reduced) {
      extent[0] *= shape[d];
      continue;
    }
    for (int k = n; k > 0; --k) {
      extent[k] = extent[k - 1];
      strides[k] = strides[k - 1];
    }
    extent[0] = shape[d];
    strides[0] = stride;
    ++n;
    any = true;
    inner_reduced = reduced;
  }
  return r;
}

// The layout reduces contiguous runs: output o reads x[o * count, (o + 1) * count).
inline bool reduces_rows(const ReduceLayout& r) {
  if (r.reduced_rank == 0) return r.count == 1 && r.kept_rank <= 1;
  return r.reduced_rank == 1 && r.reduced_stride[0] == 1 && r.kept_rank <= 1;
}

}  // namespace tandem::cuda::math
