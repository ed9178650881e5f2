// How a Conv splits into independent parts for the device's threads: along the
// batch, or at batch 1 along output channels in multiples of 8 (grouped: whole groups
// whose input and output channels both start at multiples of 8). Every part's source
// and destination are then contiguous slices in plain and 8-channel-blocked layouts.
// Channels-last tensors (oneDNN's AVX-512 brgconv layout) split along the batch too,
// but at batch 1 a channel range is not contiguous there; output rows are
// (row_parts).
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

// Output rows [first, last) of one part of a batch-1 2-D convolution.
struct RowPart {
  int64_t first = 0, last = 0;
};
// `rows` output rows in at most `tasks` parts as even as possible.
std::vector<RowPart> row_parts(int64_t rows, int tasks);

// The input rows a part of the output rows reads, [first, last), and the padding the
// part's own convolution needs above and below them, for a window of `extent` input
// rows ((kernel - 1) * dilation + 1), `stride`, `pad_top` and `in_rows` input rows.
struct RowWindow {
  int64_t first = 0, last = 0, pad_top = 0, pad_bottom = 0;
};
RowWindow row_window(const RowPart& part, int64_t extent, int64_t stride, int64_t pad_top, int64_t in_rows);

}  // namespace tandem::cpu
