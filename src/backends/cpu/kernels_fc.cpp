// Fully connected layers with a few rows (a small batch) and constant weights:
// Y (M, N) = act(A (M, K) W^T + bias), W stored (N, K) so that one output's weights
// are contiguous. Such a layer is bound by reading W: each task takes a range of
// output columns and streams their weights once, two columns at a time against four
// rows of A at a time (the two weight rows stay in cache for the next row groups).
// (Cutting K into chunks that keep A's rows in L1 was slower: the weights were then
// read in short runs.) The weights are prefetched ahead of the loads: without it
// (commit 0143af2) fc6 below took 6.8-7.0 ms at batch 4 and 9.2-9.3 ms at batch 8.
// On the 2-core AVX-512 development VM,
// `tandem run alexnet --batch N --layers` (2026-12-07, three runs each) gave fc6 (151
// MB of weights) 9.0-9.5, 14.5-14.6 and 14.1-15.4 ms at batch 4, 8 and 16 on oneDNN
// 2.6's matmul (commit 10d42f1), and 5.7-5.9, 7.9-8.4 and 12.3-12.4 ms here; at batch
// 1 oneDNN's matrix-vector path takes 4.6 ms.
#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backends/cpu/small_batch_fc.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kRowGroup = 4;  // rows of A per pass over a pair of weight rows
constexpr int64_t kPrefetchFloats = 256;  // how far ahead the weights are prefetched

// Dot products of `rows` rows of A (a, rows `stride` floats apart) with two weight
// rows w0 and w1 over `len` elements: out[r][0], out[r][1]. In plain C++.
void dot_pair_generic(const float* a, int64_t stride, const float* w0, const float* w1, int64_t len, int64_t rows,
                      float* out /* [rows][2] */) {
  for (int64_t r = 0; r < rows; ++r) {
    const float* x = a + r * stride;
    float s0 = 0, s1 = 0;
    for (int64_t i = 0; i < len; ++i) s0 += x[i] * w0[i], s1 += x[i] * w1[i];
    out[r * 2] = s0;
    out[r * 2 + 1] = s1;
  }
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) inline float horizontal_sum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// The same with AVX2 and FMA for kRows rows: 2 * kRows accumulators.
template <int kRows>
__attribute__((target("avx2,fma"))) void dot_pair_avx2(const float* a, int64_t stride, const float* w0,
                                                       const float* w1, int64_t len, float* out) {
  __m256 acc[kRows][2];
  for (int r = 0; r < kRows; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= len; i += 8) {
    _mm_prefetch(reinterpret_cast<const char*>(w0 + i + kPrefetchFloats), _MM_HINT_T0);
    _mm_prefetch(reinterpret_cast<const char*>(w1 + i + kPrefetchFloats), _MM_HINT_T0);
    const __m256 v0 = _mm256_loadu_ps(w0 + i), v1 = _mm256_loadu_ps(w1 + i);
    for (int r = 0; r < kRows; ++r) {
      const __m256 x = _mm256_loadu_ps(a + r * stride + i);
      acc[r][0] = _mm256_fmadd_ps(x, v0, acc[r][0]);
      acc[r][1] = _mm256_fmadd_ps(x, v1, acc[r][1]);
    }
  }
  for (int r = 0; r < kRows; ++r) {
    const float* x = a + r * stride;
    float s0 = horizontal_sum(acc[r][0]), s1 = horizontal_sum(acc[r][1]);
    for (int64_t t = i; t < len; ++t) s0 += x[t] * w0[t], s1 += x[t] * w1[t];
    out[r * 2] = s0;
    out[r * 2 + 1] = s1;
  }
}

__attribute__((target("avx2,fma"))) void dot_pair_avx2_rows(const float* a, int64_t stride, const float* w0,
                                                            const float* w1, int64_t len, int64_t rows, float* out) {
  switch (rows) {
    case 1: return dot_pair_avx2<1>(a, stride, w0, w1, len, out);
    case 2: return dot_pair_avx2<2>(a, stride, w0, w1, len, out);
    case 3: return dot_pair_avx2<3>(a, stride, w0, w1, len, out);
    default: return dot_pair_avx2<4>(a, stride, w0, w1, len, out);
  }
}
#endif

void dot_pair(const float* a, int64_t stride, const float* w0, const float* w1, int64_t len, int64_t rows,
              float* out) {
#if defined(__x86_64__)
  static const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (avx2) return dot_pair_avx2_rows(a, stride, w0, w1, len, rows, out);
#endif
  dot_pair_generic(a, stride, w0, w1, len, rows, out);
}

// Columns [j0, j1) of Y, bias and activation included: per pair of columns, their
// weights streamed once against every group of rows (the pair's weights are in cache
// for the groups after the first).
void fc_columns(const FcGeometry& fc, const float* a, const float* w, const float* bias, float* y, int64_t j0,
                int64_t j1) {
  float block[kRowGroup * 2];
  for (int64_t j = j0; j < j1; j += 2) {
    const int64_t count = std::min<int64_t>(2, j1 - j);
    const float* w0 = w + j * fc.k;
    const float* w1 = count > 1 ? w0 + fc.k : w0;
    for (int64_t r0 = 0; r0 < fc.m; r0 += kRowGroup) {
      const int64_t rows = std::min(kRowGroup, fc.m - r0);
      dot_pair(a + r0 * fc.k, fc.k, w0, w1, fc.k, rows, block);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < count; ++c) y[(r0 + r) * fc.n + j + c] = block[r * 2 + c] + (bias ? bias[j + c] : 0.0f);
    }
  }
  if (fc.activation.kind == ActivationKind::None) return;
  for (int64_t r = 0; r < fc.m; ++r) apply_activation(fc.activation, y + r * fc.n + j0, y + r * fc.n + j0, j1 - j0);
}

}  // namespace

void push_small_batch_fc(SegmentCompiler& c, const SmallBatchFc& fc, const TensorRef& a, const TensorRef& y) {
  const TensorRef w = c.constant(fc.weights);
  std::optional<TensorRef> bias;
  if (fc.bias) bias = c.constant(*fc.bias);
  const FcGeometry& g = fc.geometry;
  const int64_t pairs = (g.n + 1) / 2;
  const int tasks = static_cast<int>(std::min<int64_t>(c.tasks(), pairs));
  std::vector<TensorRef> touched = {a, y, w};
  if (bias) touched.push_back(*bias);
  c.push_kernel(
      [g, a, y, w, bias, pairs, tasks](const RunContext& ctx) {
        const float* bias_data = bias ? ctx.data<float>(*bias) : nullptr;
        ctx.pool->run(tasks, [&](int t) {
          const int64_t j0 = pairs * t / tasks * 2, j1 = std::min(g.n, pairs * (t + 1) / tasks * 2);
          fc_columns(g, ctx.data<float>(a), ctx.data<float>(w), bias_data, ctx.data<float>(y), j0, j1);
        });
      },
      touched);
}

}  // namespace tandem::cpu
