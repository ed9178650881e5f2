// Randomly sampled layers for predictor training (`tandem sweep --sample N`): instead
// of varying one parameter at a time around a default, each layer draws every
// parameter at once from the ranges CNN layers take in practice, so that the sweep
// covers combinations (many channels on a small map, a strided 5x5 conv at batch 8)
// that the zoo models and the grid leave out. The draw is seeded and reproducible.
//
// Ranges, each drawn independently (log-uniform: uniform in log space, then rounded):
//   conv     C_in and C_out log-uniform in [8, 512], multiples of 8 (C_in 3 in 5% of
//            draws: a model's first layer); size log-uniform in [7, 224]; kernel 1
//            (45%), 3 (40%), 5 (8%), 7 (4%), 11 (3%); stride 1 (75%) or 2; batch
//            1, 2, 4 or 8
//   dwconv   C log-uniform in [16, 960], multiples of 8; size in [7, 112]; kernel 3
//            (85%) or 5; stride 1 (70%) or 2; batch as conv
//   pooling  C log-uniform in [16, 512], multiples of 8; size in [7, 112]; kernel 2
//            or 3; stride 1 or 2; batch as conv
//   lrn, bn  C in [16, 512] as pooling; size in [7, 56]; batch as conv
//   fc       F_in log-uniform in [64, 25088], F_out in [10, 4096]; batch 1, 2, 4, 8
//            or 16
//   concat   C log-uniform in [16, 256], multiples of 8; size in [7, 56]; 2, 3 or 4
//            branches; batch as conv (its FLOPs are its branches')
//   every    streamed_mb log-uniform in [1, 512] (rounded): the bytes of the rest of a
//            model read through the caches between two runs of the layer, from a small
//            model's to a large one's (LeNet-5 under 1 MB, MobileNetV2 23 MB, VGG-16 615
//            MB at batch 1), so that the predictors learn when weights stay cached
//   context  (all but bn and fc) context_c, the channels the conv before the layer
//            reads, log-uniform in [C/8, 4C], multiples of 8: from an expand conv's
//            (MobileNetV2 reads 1/6 of what it writes) to a reduce conv's (ResNet-50
//            4x), so that the predictors learn how much of a layer's input is still
//            cached (input_reuse_bytes); capped where the context conv would exceed
//            kMaxSampledFlops
// A draw whose layer would exceed kMaxSampledFlops (or, for fc, kMaxSampledWeights)
// is drawn again, so that a sampled sweep's time stays in proportion to its count.
#pragma once
#include <cstdint>
#include <vector>

#include "profile/layer_grid.h"

namespace tandem {

constexpr double kMaxSampledFlops = 4e9;      // ~0.1-0.5 s per run on a 2-core host
constexpr double kMaxSampledWeights = 1.1e8;  // fc F_in x F_out: VGG-16's first FC layer
constexpr int64_t kMaxStreamedMb = 512;

// FLOPs of `spec`'s layer node (a multiply-add counts 2, a bias add 1), from its
// parameters, as node_cost counts them on the built graph; for concat, of its branches
// (the Concat computes none).
double layer_flops(const LayerSpec& spec);

// `count` distinct random layers of each kind in `layers`, drawn with `seed`. Throws
// Error(InvalidInput) when count is not positive.
std::vector<LayerSpec> sampled_specs(const std::vector<LayerKind>& layers, int count, uint64_t seed);

}  // namespace tandem
