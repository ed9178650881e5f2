// Eight float lanes as a GCC vector, for the own convolution kernels' .cpp files
// (Winograd, depthwise): loads, stores and the fused post-ops on one vector. Their
// loops are compiled for AVX2 and for baseline x86-64 (TANDEM_TARGET_CLONES).
// Include only from kernel .cpp files: it turns off -Wpsabi for the rest of the file.
#pragma once
#include <cstring>
#include <vector>

#include "backends/cpu/vector_conv.h"

namespace tandem::cpu {

using Lanes = float __attribute__((vector_size(kVectorLanes * sizeof(float))));
// Lanes pass by value only between inlined helpers of a kernel file, so the ABI of
// 32-byte vectors without AVX (what -Wpsabi warns about) never matters.
#pragma GCC diagnostic ignored "-Wpsabi"

#if defined(__x86_64__)
#define TANDEM_TARGET_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define TANDEM_TARGET_CLONES
#endif

inline Lanes load_lanes(const float* p) {
  Lanes v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

inline void store_lanes(float* p, Lanes v) { std::memcpy(p, &v, sizeof v); }

// `post` in order on v; AddResidual adds the vector at `old` (the output's previous contents).
inline Lanes apply_post_ops(const std::vector<FusedPostOp>& post, Lanes v, const float* old) {
  const Lanes zero{};
  for (const FusedPostOp& op : post) {
    if (op.kind == FusedPostOp::AddResidual) {
      v += load_lanes(old);
    } else if (op.kind == FusedPostOp::LeakyRelu) {
      v = v < zero ? v * op.low : v;
    } else {
      v = v < op.low ? zero + op.low : v;
      v = v > op.high ? zero + op.high : v;
    }
  }
  return v;
}

}  // namespace tandem::cpu
