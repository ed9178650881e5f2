// What the cpu backend's own convolution kernels (Winograd, depthwise) share: where
// the 8-channel vectors of an activation lie in its layout (blocked by 8 channels, or
// channels last), the steps fused after the convolution, and the fusable tail read
// into those steps.
#pragma once
#include <cstdint>
#include <optional>
#include <vector>

#include <oneapi/dnnl/dnnl.hpp>

#include "backends/cpu/dnnl_common.h"

namespace tandem::cpu {

inline constexpr int64_t kVectorLanes = 8;  // channels in one vector

// Where the 8-channel vectors of an (N, C, H, W) tensor lie, as float strides between
// images, channel blocks, rows and columns.
struct VectorStrides {
  int64_t image = 0, block = 0, row = 0, column = 0;
};
// Blocked by 8 channels: (N, C/8, H, W, 8).
VectorStrides blocked8_strides(int64_t channels, int64_t h, int64_t w);
// Channels last, with the strides of `md` (N, C, H, W): dense (N, H, W, C), or a
// channel slice of a wider tensor.
VectorStrides channels_last_strides(const dnnl::memory::desc& md);

// One step after the convolution (and its bias), per output element.
struct FusedPostOp {
  enum Kind { Clamp, LeakyRelu, AddResidual } kind = Clamp;
  float low = 0, high = 0;  // Clamp bounds; LeakyRelu: `low` is the slope
};

// What an own conv kernel applies after the convolution: the node's own activation,
// then the longest prefix of its fusable tail these steps express.
struct FusedSteps {
  std::vector<FusedPostOp> ops;
  std::optional<FusedTail> residual;  // the fused residual Add, if one is
  int result = -1;                    // the value the last fused node writes (the node's output without a tail)
};

// The steps after `node`, with the tail nodes they cover marked fused in `c`; nullopt
// (nothing marked) when the node's own activation is not one of them.
std::optional<FusedSteps> fuse_post_ops(SegmentCompiler& c, const Node& node);

}  // namespace tandem::cpu
