// Pooling (MaxPool without Indices, AveragePool, GlobalAveragePool, GlobalMaxPool)
// in the layout convolutions produce: blocked by 8 channels (oneDNN's AVX2 kernels)
// or channels last (its AVX-512 brgconv kernels). Both store, for each block and
// position, a vector of `lanes` channels (8, or all C), so each output position
// combines whole vectors of its window's taps, 8 lanes at a time (channels last with
// C not a multiple of 8: the last vector masked, e.g. LeNet's 6 channels: its pool1 at
// batch 8 took 25-32 µs in scalar code and 10.5-12.4 µs masked, `tandem run lenet5
// --batch 8 --layers` on the 2-core AVX-512 VM, 92c7cf8 against 06ee3ec). Measured 3-5x
// faster than oneDNN 2.6's jit:avx2 pooling on the project's AVX2 test machine.
// Other inputs are reordered first, to the layout the convolutions prefer. Windows follow ONNX: pads,
// dilations, ceil_mode; AveragePool divides by the taps inside the input
// (count_include_pad 0) or inside the padded input (1), as the reference does.
#include <algorithm>
#include <cstring>
#include <limits>
#include <type_traits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"
#include "backends/cpu/vector_isa.h"
#include "ops/nn_util.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kVector = 8;  // floats in one AVX2 vector

enum class PoolKind { Max, AverageExcludingPad, AverageIncludingPad };

// For one output index along one axis: kernel taps [first, last) that land in the
// input, and how many taps land in the padded input.
struct AxisTaps {
  int64_t first = 0, last = 0, padded = 0;
};

struct PoolPlan {
  PoolKind kind = PoolKind::Max;
  Window3d w;
  int64_t lanes = kVector;            // channels stored together at one position: 8 or C
  int64_t blocks = 0;                 // N * ceil(C / lanes)
  std::vector<AxisTaps> taps[3];      // per axis, per output index
  bool avx2 = false;                  // the kernel's AVX2 path (vector_isa.h)
};

std::vector<AxisTaps> axis_taps(const Window3d& w, size_t d) {
  std::vector<AxisTaps> all;
  for (int64_t o = 0; o < w.output[d]; ++o) {
    AxisTaps t{w.kernel[d], 0, 0};
    for (int64_t k = 0; k < w.kernel[d]; ++k) {
      int64_t i = o * w.strides[d] + k * w.dilations[d] - w.pads_begin[d];
      if (i >= 0 && i < w.input[d]) t.first = std::min(t.first, k), t.last = k + 1;
      if (i < w.input[d] + w.pads_end[d]) ++t.padded;
    }
    if (t.last == 0) t.first = 0;
    all.push_back(t);
  }
  return all;
}

// The taps of one output position: a regular 3-D grid of lane vectors from
// `base`, counts[a] taps along axis a, steps[a] floats apart.
struct Taps {
  const float* base = nullptr;
  int64_t counts[3] = {0, 0, 0};
  int64_t steps[3] = {0, 0, 0};
};

// The taps shared by every output of one row (block, od, oh), and the row's output.
struct RowTaps {
  Taps taps;                  // base and counts[2] vary along the row
  const float* row_base = nullptr;
  float* out = nullptr;
  int64_t padded = 1;         // taps inside the padded input along d and h
};

inline RowTaps row_taps(const PoolPlan& p, const float* x, float* y, int64_t row) {
  const Window3d& w = p.w;
  const int64_t oh = row % w.output[1], od = row / w.output[1] % w.output[0], block = row / (w.output[1] * w.output[0]);
  const AxisTaps& td = p.taps[0][static_cast<size_t>(od)];
  const AxisTaps& th = p.taps[1][static_cast<size_t>(oh)];
  const int64_t id = od * w.strides[0] + td.first * w.dilations[0] - w.pads_begin[0];
  const int64_t ih = oh * w.strides[1] + th.first * w.dilations[1] - w.pads_begin[1];
  RowTaps r;
  r.taps.counts[0] = td.last - td.first;
  r.taps.counts[1] = th.last - th.first;
  const int64_t lanes = p.lanes;
  r.taps.steps[0] = w.dilations[0] * w.input[1] * w.input[2] * lanes;
  r.taps.steps[1] = w.dilations[1] * w.input[2] * lanes;
  r.taps.steps[2] = w.dilations[2] * lanes;
  r.row_base = x + block * w.input_elements() * lanes + (id * w.input[1] + ih) * w.input[2] * lanes;
  r.out = y + row * w.output[2] * lanes;
  r.padded = td.padded * th.padded;
  return r;
}

// Points `r.taps` at output `ow`; returns the average's divisor (unused for max).
inline float point_at(const PoolPlan& p, RowTaps& r, int64_t ow) {
  const Window3d& w = p.w;
  const AxisTaps& tw = p.taps[2][static_cast<size_t>(ow)];
  r.taps.base = r.row_base + (ow * w.strides[2] + tw.first * w.dilations[2] - w.pads_begin[2]) * p.lanes;
  r.taps.counts[2] = tw.last - tw.first;
  int64_t count = p.kind == PoolKind::AverageIncludingPad ? r.padded * tw.padded
                                                          : r.taps.counts[0] * r.taps.counts[1] * r.taps.counts[2];
  return count > 0 ? 1.0f / static_cast<float>(count) : 0.0f;
}

// Lanes [lane, lane + count) of one output position, count <= 8, in plain C++.
template <PoolKind kKind>
void combine_lanes_generic(const Taps& t, int64_t lane, int64_t count, float scale, float* out) {
  float acc[kVector];
  for (int64_t i = 0; i < count; ++i) acc[i] = kKind == PoolKind::Max ? std::numeric_limits<float>::lowest() : 0.0f;
  for (int64_t d = 0; d < t.counts[0]; ++d)
    for (int64_t h = 0; h < t.counts[1]; ++h)
      for (int64_t k = 0; k < t.counts[2]; ++k) {
        const float* v = t.base + d * t.steps[0] + h * t.steps[1] + k * t.steps[2] + lane;
        for (int64_t i = 0; i < count; ++i) acc[i] = kKind == PoolKind::Max ? std::max(acc[i], v[i]) : acc[i] + v[i];
      }
  for (int64_t i = 0; i < count; ++i) out[lane + i] = kKind == PoolKind::Max ? acc[i] : acc[i] * scale;
}

// The lanes [begin, end) of one output row; begin is a multiple of 8.
struct LaneRange {
  int64_t begin = 0, end = 0;
};

// Lanes of one output row in plain C++ (the fallback without AVX2).
template <PoolKind kKind>
void pool_row_generic(const PoolPlan& p, const float* x, float* y, int64_t row, LaneRange lanes) {
  RowTaps r = row_taps(p, x, y, row);
  for (int64_t ow = 0; ow < p.w.output[2]; ++ow) {
    float scale = point_at(p, r, ow);
    for (int64_t lane = lanes.begin; lane < lanes.end; lane += kVector)
      combine_lanes_generic<kKind>(r.taps, lane, std::min(kVector, lanes.end - lane), scale, r.out + ow * p.lanes);
  }
}

#if defined(__x86_64__)
template <PoolKind kKind>
__attribute__((target("avx2"))) inline __m256 combine_lanes(__m256 a, __m256 b) {
  return kKind == PoolKind::Max ? _mm256_max_ps(a, b) : _mm256_add_ps(a, b);
}

// Eight lanes from `p`, or only those `mask` selects (the others read as 0).
template <bool kMasked>
__attribute__((target("avx2"))) inline __m256 load_vector(const float* p, __m256i mask) {
  return kMasked ? _mm256_maskload_ps(p, mask) : _mm256_loadu_ps(p);
}

// Lanes [lane, lane + 8) of one output combined with AVX2, one vector per tap;
// windows 2 or 3 taps wide (the common ones) unrolled. kMasked: only the lanes of
// `mask` (a last vector of fewer than 8 channels).
template <PoolKind kKind, bool kMasked>
__attribute__((target("avx2"))) inline __m256 combine_taps(const Taps& t, int64_t lane, __m256i mask) {
  __m256 acc = kKind == PoolKind::Max ? _mm256_set1_ps(std::numeric_limits<float>::lowest()) : _mm256_setzero_ps();
  const int64_t step = t.steps[2];
  auto load = [mask](const float* p) __attribute__((target("avx2"))) { return load_vector<kMasked>(p, mask); };
  for (int64_t d = 0; d < t.counts[0]; ++d)
    for (int64_t h = 0; h < t.counts[1]; ++h) {
      const float* in = t.base + d * t.steps[0] + h * t.steps[1] + lane;
      if (t.counts[2] == 3) {
        __m256 row = combine_lanes<kKind>(load(in), load(in + step));
        acc = combine_lanes<kKind>(acc, combine_lanes<kKind>(row, load(in + 2 * step)));
      } else if (t.counts[2] == 2) {
        acc = combine_lanes<kKind>(acc, combine_lanes<kKind>(load(in), load(in + step)));
      } else {
        for (int64_t k = 0; k < t.counts[2]; ++k) acc = combine_lanes<kKind>(acc, load(in + k * step));
      }
    }
  return acc;
}

template <PoolKind kKind>
__attribute__((target("avx2"))) void pool_row_avx2(const PoolPlan& p, const float* x, float* y, int64_t row,
                                                   LaneRange lanes) {
  RowTaps r = row_taps(p, x, y, row);
  const int64_t whole_end = lanes.begin + (lanes.end - lanes.begin) / kVector * kVector;
  const __m256i all = _mm256_set1_epi32(-1);
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(lanes.end - whole_end)),
                                          _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  for (int64_t ow = 0; ow < p.w.output[2]; ++ow) {
    const __m256 scale = _mm256_set1_ps(point_at(p, r, ow));
    float* out = r.out + ow * p.lanes;
    for (int64_t lane = lanes.begin; lane < whole_end; lane += kVector) {
      __m256 acc = combine_taps<kKind, false>(r.taps, lane, all);
      _mm256_storeu_ps(out + lane, kKind == PoolKind::Max ? acc : _mm256_mul_ps(acc, scale));
    }
    if (whole_end < lanes.end) {
      __m256 acc = combine_taps<kKind, true>(r.taps, whole_end, tail);
      _mm256_maskstore_ps(out + whole_end, tail, kKind == PoolKind::Max ? acc : _mm256_mul_ps(acc, scale));
    }
  }
}
#endif

template <PoolKind kKind>
void pool_row(const PoolPlan& p, const float* x, float* y, int64_t row, LaneRange lanes) {
#if defined(__x86_64__)
  if (p.avx2) return pool_row_avx2<kKind>(p, x, y, row, lanes);
#endif
  pool_row_generic<kKind>(p, x, y, row, lanes);
}

// Into how many lane ranges each row is cut: with fewer rows than tasks (a global
// pool at batch 1 has one row per image), channels-last rows are split by channels
// too, in whole vectors, so that every task has work.
int64_t lane_splits(const PoolPlan& p, int64_t rows, int tasks) {
  const int64_t vectors = (p.lanes + kVector - 1) / kVector;
  if (rows >= tasks) return 1;
  return std::min(vectors, (tasks + rows - 1) / rows);
}

// Lane range `part` of `parts`, cut at multiples of 8 lanes.
LaneRange lane_range(const PoolPlan& p, int64_t part, int64_t parts) {
  const int64_t vectors = (p.lanes + kVector - 1) / kVector;
  return {vectors * part / parts * kVector, std::min(p.lanes, vectors * (part + 1) / parts * kVector)};
}

// Work items (row (block, od, oh), lane range) split into `tasks` ranges run on the
// device's threads.
void pool_blocked(const PoolPlan& p, const float* x, float* y, ThreadPool& threads, int tasks) {
  const int64_t rows = p.blocks * p.w.output[0] * p.w.output[1];
  const int64_t parts = lane_splits(p, rows, tasks), items = rows * parts;
  auto run = [&](auto kind) {
    threads.run(tasks, [&](int t) {
      for (int64_t item = items * t / tasks; item < items * (t + 1) / tasks; ++item)
        pool_row<decltype(kind)::value>(p, x, y, item / parts, lane_range(p, item % parts, parts));
    });
  };
  switch (p.kind) {
    case PoolKind::Max: return run(std::integral_constant<PoolKind, PoolKind::Max>{});
    case PoolKind::AverageExcludingPad: return run(std::integral_constant<PoolKind, PoolKind::AverageExcludingPad>{});
    case PoolKind::AverageIncludingPad: return run(std::integral_constant<PoolKind, PoolKind::AverageIncludingPad>{});
  }
}

Window3d pool_window(const Node& node, const Shape& x) {
  if (node.op == "GlobalAveragePool" || node.op == "GlobalMaxPool") {
    std::vector<int64_t> spatial = spatial_dims(x);
    WindowGeometry g{spatial, spatial, std::vector<int64_t>(spatial.size(), 1), std::vector<int64_t>(spatial.size(), 1),
                     std::vector<int64_t>(spatial.size(), 0), std::vector<int64_t>(spatial.size(), 0),
                     std::vector<int64_t>(spatial.size(), 1)};
    return to_3d(g);
  }
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  return to_3d(window_geometry(node, spatial_dims(x), node.attrs.get_ints("kernel_shape"), options));
}

PoolKind pool_kind(const Node& node) {
  if (node.op == "MaxPool" || node.op == "GlobalMaxPool") return PoolKind::Max;
  if (node.op == "AveragePool" && node.attrs.get_int("count_include_pad", 0) != 0) return PoolKind::AverageIncludingPad;
  return PoolKind::AverageExcludingPad;
}

}  // namespace

void lower_pool(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& x = g.value(node.inputs[0]);
  if (x.dtype != DType::f32) return lower_reference(c, node);
  if (node.outputs.size() > 1 && node.outputs[1] != kNoValue) return lower_maxpool_indices(c, node);
  const Shape& y = g.output(node, 0).shape;
  const memory::desc x_md = vector_layout(c, node.inputs[0]);
  const bool channels_last = is_channels_last(x_md);
  PoolPlan plan;
  plan.kind = pool_kind(node);
  plan.w = pool_window(node, x.shape);
  plan.lanes = channels_last ? x.shape[1] : kVector;
  plan.blocks = x.shape[0] * ((x.shape[1] + plan.lanes - 1) / plan.lanes);
  for (size_t d = 0; d < 3; ++d) plan.taps[d] = axis_taps(plan.w, d);
  plan.avx2 = kernel_isa() >= VectorIsa::Avx2;
  TensorRef src = c.in_layout(node.inputs[0], x_md);
  // (N, C, 1...) channels last is (N, C) row-major: written as plain, read with no reorder.
  bool one_position = num_elements(Shape(y.begin() + 2, y.end())) == 1;
  TensorRef dst = c.output(node.outputs[0], channels_last ? (one_position ? plain_md(y) : channels_last_md(y)) : blocked8_md(y));
  int tasks = c.tasks();
  c.push_kernel(
      [plan, src, dst, tasks](const RunContext& ctx) {
        pool_blocked(plan, ctx.data<float>(src), ctx.data<float>(dst), *ctx.pool, tasks);
      },
      {src, dst});
}

}  // namespace tandem::cpu
