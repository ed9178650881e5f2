// Depthwise 2-D convolutions (group = input channels = output channels, one KH x KW
// filter per channel, as in MobileNet's inverted residuals) on an own kernel when the
// input is held channels last (oneDNN 2.6's AVX-512 layout, where its depthwise
// kernel, brdgmm_dw, is slow) and the CPU has AVX2: vectors of 16 channels with
// AVX-512 (when C is a multiple of 16), else 8. In the 8-channel blocked layout of
// AVX2 machines oneDNN's own depthwise kernel is faster and keeps the node. Strides,
// dilations and padding; the bias and the fused activations (Relu, LeakyRelu, Clip)
// and residual Add. Channels must be a multiple of 8.
// Each unit of work is one output row of one channel vector (n, oh, v), v fastest:
// its filter is loaded once for the row, and neighbouring vectors share cache lines.
// 3x3 and 5x5 filters get an unrolled path whose taps stay in registers; filters of
// other sizes take a general one.
// On the 2-core AVX-512 development VM (2026-12-07, three runs each, f3e663a against
// 54d7a23): `tandem run mobilenetv2 --layers` summed its 17 depthwise layers to
// 609-661 µs against oneDNN's 1015-1040 µs (block1: 84-85 against 151-156 µs), and
// `tandem bench mobilenetv2 --batch N --repeats 30` took 2.71-2.80 against 3.26-3.34
// ms at batch 1 and 22.2-22.6 against 26.5-27.0 ms at batch 8. With
// ONEDNN_MAX_CPU_ISA=AVX2 (blocked layout) oneDNN's depthwise kernel was faster than
// an 8-lane version of this one on that layout, hence the rule above.
#include <algorithm>

#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/execution_rules.h"
#include "backends/cpu/lowering.h"
#include "backends/cpu/vector_isa.h"
#include "backends/cpu/vector_lanes.h"
#include "ops/nn_util.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kMaxTaps = 49;  // up to 7x7 filters; larger ones stay on oneDNN

struct DepthwiseGeometry {
  int64_t batch = 0, channels = 0, in_h = 0, in_w = 0, out_h = 0, out_w = 0;
  int64_t kernel_h = 0, kernel_w = 0, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int64_t pad_top = 0, pad_left = 0;
  VectorStrides in, out;
  int64_t width = kVectorLanes;  // channels per vector: 8, or 16 (channels last with AVX-512)
  int64_t vectors() const { return channels / width; }
  // Float offsets of vector v in the input and the output (a 16-lane vector spans two 8-channel blocks).
  int64_t in_vector(int64_t v) const { return v * (width / kVectorLanes) * in.block; }
  int64_t out_vector(int64_t v) const { return v * (width / kVectorLanes) * out.block; }
  int64_t units() const { return batch * out_h * vectors(); }
  // Output columns [first, last) whose taps all lie inside the input row.
  int64_t inner_first() const { return std::min(out_w, (pad_left + stride_w - 1) / stride_w); }
  int64_t inner_last() const {
    const int64_t last_left = in_w - 1 - (kernel_w - 1) * dilation_w + pad_left;  // of ow * stride_w
    if (last_left < 0) return inner_first();
    return std::max(inner_first(), std::min(out_w, last_left / stride_w + 1));
  }
};

std::optional<DepthwiseGeometry> depthwise_geometry(const Node& node, const Graph& g) {
  const Value& x = g.value(node.inputs[0]);
  const Value& w = g.value(node.inputs[1]);
  const Value* b = g.input(node, 2);
  if (x.shape.size() != 4 || x.dtype != DType::f32 || !w.is_constant() || (b && !b->is_constant())) return std::nullopt;
  const int64_t channels = x.shape[1];
  if (w.shape.size() != 4 || w.shape[1] != 1 || w.shape[2] * w.shape[3] > kMaxTaps) return std::nullopt;
  WindowGeometry win = window_geometry(node, spatial_dims(x.shape), spatial_dims(w.shape), WindowOptions{});
  DepthwiseGeometry geo;
  geo.batch = x.shape[0], geo.channels = channels, geo.in_h = x.shape[2], geo.in_w = x.shape[3];
  geo.out_h = win.output[0], geo.out_w = win.output[1];
  geo.kernel_h = w.shape[2], geo.kernel_w = w.shape[3];
  geo.stride_h = win.strides[0], geo.stride_w = win.strides[1];
  geo.dilation_h = win.dilations[0], geo.dilation_w = win.dilations[1];
  geo.pad_top = win.pads_begin[0], geo.pad_left = win.pads_begin[1];
  return geo;
}

// w (C, 1, KH, KW) -> (C / width, KH * KW, width): one vector per tap and channel vector.
Tensor packed_weights(const Tensor& w, int64_t width) {
  const int64_t channels = w.dim(0), taps = w.dim(2) * w.dim(3);
  Tensor packed(DType::f32, {channels / width, taps, width});
  const float* src = w.data<float>();
  float* dst = packed.data<float>();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t t = 0; t < taps; ++t) dst[(c / width * taps + t) * width + c % width] = src[c * taps + t];
  return packed;
}

// The input rows one output row reads: taps [first, last) of the filter's rows.
struct TapRows {
  int64_t first = 0, last = 0, top = 0;  // top: input row of tap 0 (may be outside)
};

TapRows tap_rows(const DepthwiseGeometry& g, int64_t oh) {
  TapRows r;
  r.top = oh * g.stride_h - g.pad_top;
  r.first = std::min(g.kernel_h, std::max<int64_t>(0, (-r.top + g.dilation_h - 1) / g.dilation_h));
  r.last = std::max(r.first, std::min(g.kernel_h, (g.in_h - r.top + g.dilation_h - 1) / g.dilation_h));
  return r;
}

constexpr int64_t kChunk = 32;  // output columns summed before their post-ops run

// One output vector of a filter of any size: the taps of rows `rows` and of the
// columns inside the input, from input column `left` (of tap 0); `taps` holds the
// whole filter.
template <class V>
__attribute__((always_inline)) inline V edge_vector(const DepthwiseGeometry& g, const float* plane, const V* taps,
                                                    const TapRows& rows, int64_t left, V acc) {
  const int64_t kw0 = std::min(g.kernel_w, std::max<int64_t>(0, (-left + g.dilation_w - 1) / g.dilation_w));
  const int64_t kw1 = std::max(kw0, std::min(g.kernel_w, (g.in_w - left + g.dilation_w - 1) / g.dilation_w));
  for (int64_t kh = rows.first; kh < rows.last; ++kh) {
    const float* row = plane + (rows.top + kh * g.dilation_h) * g.in.row + left * g.in.column;
    for (int64_t kw = kw0; kw < kw1; ++kw)
      acc += load_lanes<V>(row + kw * g.dilation_w * g.in.column) * taps[kh * g.kernel_w + kw];
  }
  return acc;
}

// Output columns [first, last) of one row with a kKh x kKw filter held in registers:
// sums[i] for column first + i. kChecked: skip the taps outside the input (rows
// outside it are skipped by `rows`), for the columns and rows at the edges.
template <class V, int kKh, int kKw, bool kChecked>
__attribute__((always_inline)) inline void unrolled_sums(const DepthwiseGeometry& g, const float* plane,
                                                         const V* taps, const TapRows& rows, V shift,
                                                         int64_t first, int64_t last, V* sums) {
  V k[kKh * kKw];
  for (int i = 0; i < kKh * kKw; ++i) k[i] = taps[i];
  const int64_t row_step = g.dilation_h * g.in.row, column_step = g.dilation_w * g.in.column;
  const float* origin = plane + rows.top * g.in.row - g.pad_left * g.in.column;
  for (int64_t ow = first; ow < last; ++ow) {
    const float* window = origin + ow * g.stride_w * g.in.column;
    const int64_t left = ow * g.stride_w - g.pad_left;
    V acc = shift;
    for (int kh = 0; kh < kKh; ++kh) {
      if (kChecked && (kh < rows.first || kh >= rows.last)) continue;
      for (int kw = 0; kw < kKw; ++kw) {
        const int64_t iw = left + kw * g.dilation_w;
        if (kChecked && (iw < 0 || iw >= g.in_w)) continue;
        acc += load_lanes<V>(window + kh * row_step + kw * column_step) * k[kh * kKw + kw];
      }
    }
    sums[ow - first] = acc;
  }
}

// One output row (n, oh) of channel vector v, in chunks of columns: sums, then the
// post-ops over the chunk, then the stores. kKh, kKw: the filter's size when it is
// unrolled (0: any size, every column through edge_vector).
template <class V, int kKh, int kKw>
__attribute__((always_inline)) inline void depthwise_row(const DepthwiseGeometry& g, const float* plane,
                                                         const V* taps, V shift,
                                                         const std::vector<FusedPostOp>& post, float* out,
                                                         int64_t oh) {
  const TapRows rows = tap_rows(g, oh);
  const bool full_rows = rows.first == 0 && rows.last == g.kernel_h;
  const int64_t inner_first = full_rows ? g.inner_first() : g.out_w, inner_last = full_rows ? g.inner_last() : g.out_w;
  V sums[kChunk];
  for (int64_t c0 = 0; c0 < g.out_w; c0 += kChunk) {
    const int64_t c1 = std::min(g.out_w, c0 + kChunk);
    const int64_t i0 = std::clamp(inner_first, c0, c1), i1 = std::clamp(inner_last, i0, c1);
    if constexpr (kKh != 0) {
      unrolled_sums<V, kKh, kKw, true>(g, plane, taps, rows, shift, c0, i0, sums);
      unrolled_sums<V, kKh, kKw, false>(g, plane, taps, rows, shift, i0, i1, sums + (i0 - c0));
      unrolled_sums<V, kKh, kKw, true>(g, plane, taps, rows, shift, i1, c1, sums + (i1 - c0));
    } else {
      for (int64_t ow = c0; ow < c1; ++ow)
        sums[ow - c0] = edge_vector<V>(g, plane, taps, rows, ow * g.stride_w - g.pad_left, shift);
    }
    apply_post_ops(post, sums, c1 - c0, out + c0 * g.out.column, g.out.column);
  }
}

// Output units [first, last), each (n, oh, v) with v fastest.
template <class V, int kKh, int kKw>
__attribute__((always_inline)) inline void depthwise_units(const DepthwiseGeometry& g, const float* x, const float* w,
                                                           const float* bias, const std::vector<FusedPostOp>& post,
                                                           float* y, int64_t first, int64_t last) {
  const int64_t vectors = g.vectors(), taps_per_vector = g.kernel_h * g.kernel_w;
  V taps[kMaxTaps];
  for (int64_t unit = first; unit < last; ++unit) {
    const int64_t v = unit % vectors, oh = unit / vectors % g.out_h, n = unit / vectors / g.out_h;
    for (int64_t t = 0; t < taps_per_vector; ++t) taps[t] = load_lanes<V>(w + (v * taps_per_vector + t) * g.width);
    const V shift = bias ? load_lanes<V>(bias + v * g.width) : V{};
    depthwise_row<V, kKh, kKw>(g, x + n * g.in.image + g.in_vector(v), taps, shift, post,
                               y + n * g.out.image + g.out_vector(v) + oh * g.out.row, oh);
  }
}

using DepthwiseUnits = void (*)(const DepthwiseGeometry& g, const float* x, const float* w, const float* bias,
                                const std::vector<FusedPostOp>& post, float* y, int64_t first, int64_t last);

#if defined(__x86_64__)
template <int kKh, int kKw>
__attribute__((target("avx2,fma"))) void depthwise_units_avx2(const DepthwiseGeometry& g, const float* x,
                                                              const float* w, const float* bias,
                                                              const std::vector<FusedPostOp>& post, float* y,
                                                              int64_t first, int64_t last) {
  depthwise_units<Lanes, kKh, kKw>(g, x, w, bias, post, y, first, last);
}

template <int kKh, int kKw>
__attribute__((target("avx512f,fma"))) void depthwise_units_avx512(const DepthwiseGeometry& g, const float* x,
                                                                  const float* w, const float* bias,
                                                                  const std::vector<FusedPostOp>& post, float* y,
                                                                  int64_t first, int64_t last) {
  depthwise_units<Lanes16, kKh, kKw>(g, x, w, bias, post, y, first, last);
}

// The kernel for g.width lanes: 16 with AVX-512, else 8 with AVX2.
template <int kKh, int kKw>
DepthwiseUnits depthwise_units_for(const DepthwiseGeometry& g) {
  return g.width == 16 ? depthwise_units_avx512<kKh, kKw> : depthwise_units_avx2<kKh, kKw>;
}

// The unrolled 3x3 and 5x5 paths, else the general one.
DepthwiseUnits depthwise_kernel(const DepthwiseGeometry& g) {
  if (g.kernel_h == 3 && g.kernel_w == 3) return depthwise_units_for<3, 3>(g);
  if (g.kernel_h == 5 && g.kernel_w == 5) return depthwise_units_for<5, 5>(g);
  return depthwise_units_for<0, 0>(g);
}
#endif

}  // namespace

bool lower_depthwise_conv(SegmentCompiler& c, const Node& node) {
#if defined(__x86_64__)
  const Graph& g = c.graph();
  std::optional<DepthwiseGeometry> geo = depthwise_geometry(node, g);
  const VectorIsa isa = kernel_isa();
  if (!geo || isa < VectorIsa::Avx2) return false;
  const memory::desc x_md = vector_layout(c, node.inputs[0]);
  const auto group = static_cast<double>(node.attrs.get_int("group", 1));
  if (!runs_own_depthwise(is_channels_last(x_md), group, static_cast<double>(geo->channels),
                          static_cast<double>(g.value(node.inputs[1]).shape[0])))
    return false;
  const std::optional<FusedSteps> steps = fuse_post_ops(c, node);
  if (!steps) return false;
  const memory::desc dense_y = channels_last_md(g.value(steps->result).shape);
  const memory::desc y_md = steps->residual ? dense_y : c.concat_view(steps->result, dense_y).value_or(dense_y);
  DepthwiseGeometry geometry = *geo;
  geometry.in = channels_last_strides(x_md);
  geometry.out = channels_last_strides(y_md);
  if (isa == VectorIsa::Avx512 && geo->channels % 16 == 0) geometry.width = 16;

  const TensorRef x = c.in_layout(node.inputs[0], x_md);
  const TensorRef w = c.constant(packed_weights(*g.value(node.inputs[1]).data, geometry.width));
  const Value* b = g.input(node, 2);
  const std::optional<TensorRef> bias = b ? std::optional<TensorRef>(c.input(node.inputs[2])) : std::nullopt;
  const TensorRef y = result_destination(c, steps->result, steps->residual ? &*steps->residual : nullptr, y_md);
  const DepthwiseUnits run = depthwise_kernel(geometry);
  const int64_t units = geometry.units();
  const int tasks = c.tasks();
  const std::vector<FusedPostOp> ops = steps->ops;
  std::vector<TensorRef> touched{x, w, y};
  if (bias) touched.push_back(*bias);
  c.push_kernel(
      [=](const RunContext& ctx) {
        const float* shift = bias ? ctx.data<float>(*bias) : nullptr;
        run_ranges(ctx.pool, tasks, units, [&](int64_t first, int64_t last) {
          run(geometry, ctx.data<float>(x), ctx.data<float>(w), shift, ops, ctx.data<float>(y), first, last);
        });
      },
      touched);
  return true;
#else
  return false;
#endif
}

}  // namespace tandem::cpu
