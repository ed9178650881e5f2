// Softmax along an axis that is not the innermost one (x viewed as (outer, len,
// inner), inner > 1, e.g. over the channels of an (N, C, H, W) map): oneDNN 2.6 has
// only its reference kernel for it (131 ms for (8, 64, 56, 56) over the channels on
// the 2-core development VM). Here each (outer) slice is three passes over its len
// rows of `inner` contiguous floats: the running maximum per column, the
// exponentials and their sums, then the scaling; the slices are split across the
// device's threads. Along the innermost axis oneDNN's own kernel is used
// (dnnl_softmax.cpp). On the 2-core AVX-512 development VM (2026-12-07),
// `build/bench/cpu_ops_bench --benchmark_filter=Softmax --benchmark_repetitions=3`,
// two runs each: (8, 64, 56, 56) over the channels took 128-130 ms on oneDNN (the cpu
// backend of 5795399) and 2.19-2.20 ms here (b5f688c).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

// Slices [first, last) of x (outer, len, inner) into y; y may be x.
void softmax_slices(const float* x, float* y, int64_t len, int64_t inner, int64_t first, int64_t last) {
  std::vector<float> top(static_cast<size_t>(inner)), sum(static_cast<size_t>(inner));
  for (int64_t o = first; o < last; ++o) {
    const float* in = x + o * len * inner;
    float* out = y + o * len * inner;
    std::fill(top.begin(), top.end(), -std::numeric_limits<float>::infinity());
    std::fill(sum.begin(), sum.end(), 0.0f);
    for (int64_t l = 0; l < len; ++l)
      for (int64_t i = 0; i < inner; ++i) top[i] = std::max(top[i], in[l * inner + i]);
    for (int64_t l = 0; l < len; ++l)
      for (int64_t i = 0; i < inner; ++i) {
        const float e = std::exp(in[l * inner + i] - top[i]);
        out[l * inner + i] = e;
        sum[i] += e;
      }
    for (int64_t i = 0; i < inner; ++i) sum[i] = 1.0f / sum[i];
    for (int64_t l = 0; l < len; ++l)
      for (int64_t i = 0; i < inner; ++i) out[l * inner + i] *= sum[i];
  }
}

}  // namespace

void push_softmax_across_rows(SegmentCompiler& c, const TensorRef& src, const TensorRef& dst, int64_t outer,
                              int64_t len, int64_t inner) {
  const int tasks = c.tasks();
  c.push_kernel(
      [=](const RunContext& ctx) {
        const float* x = ctx.data<float>(src);
        float* y = ctx.data<float>(dst);
        run_ranges(ctx.pool, tasks, outer, [&](int64_t first, int64_t last) {
          softmax_slices(x, y, len, inner, first, last);
        });
      },
      {src, dst});
}

}  // namespace tandem::cpu
