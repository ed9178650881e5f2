// Fully connected layers with a few rows (a small batch) and constant weights:
// Y (M, N) = act(A (M, K) W^T + bias), W stored (N, K) so that one output's weights
// are contiguous. Such a layer is bound by reading W: each task takes a range of
// output columns and streams their weights once, a group of columns at a time against
// a group of rows of A (the group's weight rows stay in cache for the next row
// groups): 3 columns by 8 rows with AVX-512, 2 by 4 with AVX2. (Cutting K into chunks
// that keep A's rows in L1 was slower: the weights were then read in short runs.) The
// weights are prefetched ahead of the loads: without it (commit 0143af2) fc6 below
// took 6.8-7.0 ms at batch 4 and 9.2-9.3 ms at batch 8.
// On the 2-core AVX-512 development VM, `tandem run alexnet --batch N --layers`
// (2026-12-07) gave fc6 (151 MB of weights) 9.0-9.5, 14.5-14.6 and 14.1-15.4 ms at
// batch 4, 8 and 16 on oneDNN 2.6's matmul (commit 10d42f1), 5.7-5.9, 7.9-8.4 and
// 12.3-12.4 ms with 2 by 4 AVX2 blocks (68c5fb7); at batch 1 oneDNN's matrix-vector
// path takes 4.6 ms. The AVX-512 blocks (f0b397a against 6aa6221, three runs each,
// the same day): 5.1-5.3 against 6.0-6.1 ms at batch 4, 5.9-6.1 against 8.3-8.5 at 8,
// 10.2-10.5 against 13.0-13.3 at 16, and 14.0-14.8 against 18.3-19.0 ms at 24 rows
// (on oneDNN at 6aa6221). Of 2x8, 4x4, 4x6 and 3x8 blocks, 3x8 was the fastest.
#include <algorithm>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backends/cpu/small_batch_fc.h"
#include "backends/cpu/vector_isa.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kPrefetchFloats = 256;  // how far ahead the weights are prefetched

// Dot products of `rows` rows of A (a, rows `stride` floats apart) with a group of
// weight rows w[0..cols) over `len` elements: out[r * cols + c].
using DotBlock = void (*)(const float* a, int64_t stride, const float* const* w, int64_t len, int64_t rows,
                          float* out);

// A DotBlock, its weight rows per call and the most rows of A it takes at once (its
// accumulators fill the registers).
struct DotBlockKernel {
  DotBlock dot;
  int64_t cols, row_group;
};

void dot_pair_generic(const float* a, int64_t stride, const float* const* w, int64_t len, int64_t rows, float* out) {
  const float *w0 = w[0], *w1 = w[1];
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

// AVX2 and FMA, kRows rows: 2 * kRows accumulators of 8 lanes, a scalar tail.
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

__attribute__((target("avx2,fma"))) void dot_pair_avx2_rows(const float* a, int64_t stride, const float* const* w,
                                                            int64_t len, int64_t rows, float* out) {
  const float *w0 = w[0], *w1 = w[1];
  switch (rows) {
    case 1: return dot_pair_avx2<1>(a, stride, w0, w1, len, out);
    case 2: return dot_pair_avx2<2>(a, stride, w0, w1, len, out);
    case 3: return dot_pair_avx2<3>(a, stride, w0, w1, len, out);
    default: return dot_pair_avx2<4>(a, stride, w0, w1, len, out);
  }
}

// GCC 12 warns that its own AVX-512 headers use an uninitialised value (their
// "undefined" vectors) when a function enables AVX-512 by target attribute.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX-512, kRows rows against kCols weight rows: kRows * kCols accumulators of 16
// lanes; the tail is one masked step. A step loads each weight line once and
// prefetches it once.
template <int kRows, int kCols>
__attribute__((target("avx512f"))) void dot_block_avx512(const float* a, int64_t stride, const float* const* w,
                                                         int64_t len, float* out) {
  __m512 acc[kRows][kCols];
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_setzero_ps();
  auto step = [&](int64_t i, __mmask16 mask) __attribute__((target("avx512f"))) {
    __m512 v[kCols];
    for (int c = 0; c < kCols; ++c) v[c] = _mm512_maskz_loadu_ps(mask, w[c] + i);
    for (int r = 0; r < kRows; ++r) {
      const __m512 x = _mm512_maskz_loadu_ps(mask, a + r * stride + i);
      for (int c = 0; c < kCols; ++c) acc[r][c] = _mm512_fmadd_ps(x, v[c], acc[r][c]);
    }
  };
  int64_t i = 0;
  for (; i + 16 <= len; i += 16) {
    for (int c = 0; c < kCols; ++c)
      _mm_prefetch(reinterpret_cast<const char*>(w[c] + i + kPrefetchFloats), _MM_HINT_T0);
    step(i, static_cast<__mmask16>(0xFFFF));
  }
  if (i < len) step(i, static_cast<__mmask16>((1u << (len - i)) - 1));
  for (int r = 0; r < kRows; ++r)
    for (int c = 0; c < kCols; ++c) out[r * kCols + c] = _mm512_reduce_add_ps(acc[r][c]);
}

constexpr int kAvx512Cols = 3, kAvx512Rows = 8;  // 24 accumulators of the 32 registers

__attribute__((target("avx512f"))) void dot_block_avx512_rows(const float* a, int64_t stride, const float* const* w,
                                                              int64_t len, int64_t rows, float* out) {
  switch (rows) {
    case 1: return dot_block_avx512<1, kAvx512Cols>(a, stride, w, len, out);
    case 2: return dot_block_avx512<2, kAvx512Cols>(a, stride, w, len, out);
    case 3: return dot_block_avx512<3, kAvx512Cols>(a, stride, w, len, out);
    case 4: return dot_block_avx512<4, kAvx512Cols>(a, stride, w, len, out);
    case 5: return dot_block_avx512<5, kAvx512Cols>(a, stride, w, len, out);
    case 6: return dot_block_avx512<6, kAvx512Cols>(a, stride, w, len, out);
    case 7: return dot_block_avx512<7, kAvx512Cols>(a, stride, w, len, out);
    default: return dot_block_avx512<kAvx512Rows, kAvx512Cols>(a, stride, w, len, out);
  }
}
#pragma GCC diagnostic pop
#endif

DotBlockKernel dot_block_kernel(VectorIsa isa) {
#if defined(__x86_64__)
  if (isa == VectorIsa::Avx512) return {dot_block_avx512_rows, kAvx512Cols, kAvx512Rows};
  if (isa == VectorIsa::Avx2) return {dot_pair_avx2_rows, 2, 4};
#endif
  return {dot_pair_generic, 2, 4};
}

// Columns [j0, j1) of Y, bias and activation included: per group of columns, their
// weights streamed once against every group of rows (the group's weights are in
// cache for the row groups after the first). A last group with fewer columns repeats
// its last column.
void fc_columns(const FcGeometry& fc, DotBlockKernel kernel, const float* a, const float* w, const float* bias,
                float* y, int64_t j0, int64_t j1) {
  float block[64];              // [row_group][cols]
  const float* weight_rows[8];  // [cols]
  for (int64_t j = j0; j < j1; j += kernel.cols) {
    const int64_t count = std::min(kernel.cols, j1 - j);
    for (int64_t c = 0; c < kernel.cols; ++c) weight_rows[c] = w + (j + std::min(c, count - 1)) * fc.k;
    for (int64_t r0 = 0; r0 < fc.m; r0 += kernel.row_group) {
      const int64_t rows = std::min(kernel.row_group, fc.m - r0);
      kernel.dot(a + r0 * fc.k, fc.k, weight_rows, fc.k, rows, block);
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < count; ++c)
          y[(r0 + r) * fc.n + j + c] = block[r * kernel.cols + c] + (bias ? bias[j + c] : 0.0f);
    }
  }
  if (fc.activation.kind == ActivationKind::None) return;
  for (int64_t r = 0; r < fc.m; ++r) apply_activation(fc.activation, y + r * fc.n + j0, y + r * fc.n + j0, j1 - j0);
}

}  // namespace

int64_t small_batch_fc_max_rows() { return kernel_isa() == VectorIsa::Avx512 ? 24 : 16; }

void push_small_batch_fc(SegmentCompiler& c, const SmallBatchFc& fc, const TensorRef& a, const TensorRef& y) {
  const TensorRef w = c.constant(fc.weights);
  std::optional<TensorRef> bias;
  if (fc.bias) bias = c.constant(*fc.bias);
  const FcGeometry& g = fc.geometry;
  const DotBlockKernel kernel = dot_block_kernel(kernel_isa());
  const int64_t groups = (g.n + kernel.cols - 1) / kernel.cols;  // of output columns
  const int tasks = c.tasks();
  std::vector<TensorRef> touched = {a, y, w};
  if (bias) touched.push_back(*bias);
  c.push_kernel(
      [g, kernel, a, y, w, bias, groups, tasks](const RunContext& ctx) {
        const float* bias_data = bias ? ctx.data<float>(*bias) : nullptr;
        run_ranges(ctx.pool, tasks, groups, [&](int64_t first, int64_t last) {
          fc_columns(g, kernel, ctx.data<float>(a), ctx.data<float>(w), bias_data, ctx.data<float>(y),
                     first * kernel.cols, std::min(g.n, last * kernel.cols));
        });
      },
      touched);
}

}  // namespace tandem::cpu
