// How a Conv splits into independent parts for the device's threads: along the
// batch, or at batch 1 along output channels in multiples of 8 (grouped: whole groups
// whose input and output channels both start at multiples of 8). Every part's source
// and destination are then contiguous slices in plain and 8-channel-blocked layouts.
#pragma once
#include <cstdint>
#include <vector>

#include "tandem/tensor.h"

namespace tandem::cpu {

struct ConvPart {
  int64_t n0 = 0, n1 = 0;    // images
  int64_t oc0 = 0, oc1 = 0;  // output channels (and weight rows)
  int64_t ic0 = 0, ic1 = 0;  // input channels read
};

// x: (N, C, ...), y: (N, M, ...); at most `tasks` parts (one when it cannot split).
std::vector<ConvPart> conv_parts(const Shape& x, const Shape& y, int64_t group, int tasks);

}  // namespace tandem::cpu
