// How the cpu backend decides to run a node, as plain arithmetic on sizes: whether a
// node is worth splitting across threads, how a convolution is cut into units of
// work, and when a convolution takes the Winograd or the depthwise path. The segment compiler
// makes its choices with these, and the latency predictor (predict/host_execution.h)
// reads the same choices from node features, so the two cannot drift apart.
#pragma once
#include <cstdint>
#include <numeric>

namespace tandem::cpu {

constexpr int64_t kChannelBlock = 8;  // conv parts and Winograd work on 8-channel blocks

// Nodes estimated under this many µs on one core stay on one task: waking threads
// would cost more than it saves.
inline bool runs_on_one_task(double flops, double bytes) {
  constexpr double kFlopsPerMicro = 40e3;  // one core, roughly
  constexpr double kBytesPerMicro = 4e3;
  constexpr double kSmallMicros = 25;
  return flops / kFlopsPerMicro + bytes / kBytesPerMicro < kSmallMicros;
}

// Groups per unit of a batch-1 convolution's channel split: the smallest group count
// whose input and output channels are both multiples of the block (the block itself
// for an ungrouped conv, whose unit is a block of output channels).
inline int64_t conv_groups_per_unit(int64_t group, int64_t in_per_group, int64_t out_per_group) {
  if (group == 1) return kChannelBlock;
  return std::lcm(kChannelBlock / std::gcd(in_per_group, kChannelBlock),
                  kChannelBlock / std::gcd(out_per_group, kChannelBlock));
}

// Units a batch-1 convolution splits into: blocks of output channels, or of groups.
inline int64_t conv_channel_units(int64_t group, int64_t out_channels, int64_t step) {
  return group == 1 ? (out_channels + kChannelBlock - 1) / kChannelBlock : (group + step - 1) / step;
}

// Whether a depthwise convolution (group = input = output channels) runs on the own
// kernel (depthwise_conv.cpp), split into output rows of 8-channel vectors: when its
// input is held channels last and the channels are a multiple of 8 (and the CPU has
// AVX2, which the features do not tell). Elsewhere oneDNN runs it as any conv.
inline bool runs_own_depthwise(bool channels_last, double groups, double in_channels, double out_channels) {
  return channels_last && groups > 1 && groups == in_channels && groups == out_channels &&
         static_cast<int64_t>(in_channels) % kChannelBlock == 0;
}

// Whether a 3x3, stride-1, ungrouped convolution runs as Winograd F(2x2, 3x3): enough
// tiles for the products to beat direct conv, and transformed tiles (`points` per
// tile, input and output channels) small enough to stay out of DRAM streaming.
inline bool winograd_pays(int64_t in_channels, int64_t out_channels, int64_t tiles, int64_t points) {
  constexpr int64_t kMinTiles = 36;
  constexpr int64_t kMaxTransformedBytes = int64_t{64} << 20;
  int64_t transformed_bytes = points * tiles * (in_channels + out_channels) * int64_t{sizeof(float)};
  return in_channels % kChannelBlock == 0 && out_channels % kChannelBlock == 0 && tiles >= kMinTiles &&
         transformed_bytes <= kMaxTransformedBytes;
}

}  // namespace tandem::cpu
