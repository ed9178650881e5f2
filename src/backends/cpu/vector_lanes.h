// Eight float lanes as a GCC vector, for the own convolution kernels' .cpp files
// (Winograd, depthwise): loads, stores and the fused post-ops on a run of vectors. Their
// loops are compiled for AVX2 and for baseline x86-64 (TANDEM_TARGET_CLONES).
// Include only from kernel .cpp files: it turns off -Wpsabi for the rest of the file.
#pragma once
#include <cstring>
#include <vector>

#include "backends/cpu/vector_conv.h"

namespace tandem::cpu {

// The 8 lanes of a channel vector; the depthwise kernel also uses 16 (two channel
// vectors of a channels-last tensor) with AVX-512. (Not an alias template: GCC drops
// vector_size from those.)
using Lanes = float __attribute__((vector_size(kVectorLanes * sizeof(float))));
using Lanes16 = float __attribute__((vector_size(2 * kVectorLanes * sizeof(float))));
// Lanes pass by value only into and out of these always-inlined helpers, which take
// the caller's instruction set (a kernel compiled for AVX2 and its baseline clone
// each get their own copy): the ABI of 32-byte vectors without AVX (what -Wpsabi
// warns about) never matters. Helpers of a kernel file must be always_inline too.
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__)
#define TANDEM_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TANDEM_TARGET_CLONES
#endif

template <class V = Lanes>
__attribute__((always_inline)) inline V load_lanes(const float* p) {
  V v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

template <class V>
__attribute__((always_inline)) inline void store_lanes(float* p, V v) {
  std::memcpy(p, &v, sizeof v);
}

// `post` in order on `count` vectors, the ops outside and the vectors inside; then
// stores them at `dst`, `stride` floats apart (AddResidual adds what is there).
template <class V>
__attribute__((always_inline)) inline void apply_post_ops(const std::vector<FusedPostOp>& post, V* v, int64_t count,
                                                          float* dst, int64_t stride) {
  const V zero{};
  for (const FusedPostOp& op : post) {
    if (op.kind == FusedPostOp::AddResidual) {
      for (int64_t i = 0; i < count; ++i) v[i] += load_lanes<V>(dst + i * stride);
    } else if (op.kind == FusedPostOp::LeakyRelu) {
      for (int64_t i = 0; i < count; ++i) v[i] = v[i] < zero ? v[i] * op.low : v[i];
    } else {
      for (int64_t i = 0; i < count; ++i) {
        v[i] = v[i] < op.low ? zero + op.low : v[i];
        v[i] = v[i] > op.high ? zero + op.high : v[i];
      }
    }
  }
  for (int64_t i = 0; i < count; ++i) store_lanes(dst + i * stride, v[i]);
}

}  // namespace tandem::cpu
