// kernels::pad: Pad in constant, reflect and edge modes (negative pads crop), one
// thread per output element. The launcher merges axes that are padded on neither side
// (e.g. N and C of an H/W pad) and uses 32-bit index math whenever it fits.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "backends/cuda/kernels/index_math.h"
#include "backends/cuda/kernels/kernels.h"
#include "tandem/error.h"

namespace tandem::cuda::kernels {
namespace {

using index_math::PadLayout;
using index_math::PadRule;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 20;

// y[i] = x[source of i], or the fill where output element i lies in the padding.
template <class E, class I>
__global__ void pad_elements(const E* __restrict__ x, E* __restrict__ y, PadLayout<I> layout, PadRule rule, E fill,
                             int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const I source = index_math::pad_source_offset<I>(static_cast<I>(i), layout, rule);
    y[i] = source < 0 ? fill : x[source];
  }
}

PadRule rule_of(PadMode mode) {
  switch (mode) {
    case PadMode::Constant: return PadRule::Constant;
    case PadMode::Reflect: return PadRule::Reflect;
    case PadMode::Edge: return PadRule::Edge;
  }
  fail(ErrorKind::Internal, "pad: unknown mode");
}

// value_bits holds the fill's bytes in its low-order bytes.
template <class E>
void launch(const void* x, void* y, const PadLayout<int64_t>& layout, PadRule rule, uint64_t value_bits,
            cudaStream_t stream) {
  int64_t count = 1;
  for (int k = 0; k < layout.rank; ++k) count *= layout.out[k];
  const auto blocks = static_cast<unsigned>(std::min((count + kThreads - 1) / kThreads, kMaxBlocks));
  const auto* from = static_cast<const E*>(x);
  auto* to = static_cast<E*>(y);
  const auto fill = static_cast<E>(value_bits);
  if (index_math::pad_fits_int32(layout))
    pad_elements<E, int32_t><<<blocks, kThreads, 0, stream>>>(from, to, index_math::narrow(layout), rule, fill, count);
  else
    pad_elements<E, int64_t><<<blocks, kThreads, 0, stream>>>(from, to, layout, rule, fill, count);
}

}  // namespace

void pad(const void* x, const Dims& in_shape, void* y, const Dims& out_shape, const Dims& pads_begin, PadMode mode,
         uint64_t value_bits, int element_bytes, cudaStream_t stream) {
  int64_t in[kMaxRank], begin[kMaxRank], end[kMaxRank];
  int64_t out_elements = 1;
  for (int k = 0; k < in_shape.rank; ++k) {
    in[k] = in_shape.d[k];
    begin[k] = pads_begin.d[k];
    end[k] = out_shape.d[k] - in_shape.d[k] - pads_begin.d[k];
    out_elements *= out_shape.d[k];
  }
  if (out_elements == 0) return;
  int rank = in_shape.rank;
  if (rank == 0) {  // a scalar: one unpadded element
    in[0] = 1;
    begin[0] = end[0] = 0;
    rank = 1;
  }
  rank = index_math::merge_unpadded_axes(rank, in, begin, end);
  const PadLayout<int64_t> layout = index_math::pad_layout(rank, in, begin, end);
  const PadRule rule = rule_of(mode);
  switch (element_bytes) {
    case 1: return launch<uint8_t>(x, y, layout, rule, value_bits, stream);
    case 2: return launch<uint16_t>(x, y, layout, rule, value_bits, stream);
    case 4: return launch<uint32_t>(x, y, layout, rule, value_bits, stream);
    case 8: return launch<unsigned long long>(x, y, layout, rule, value_bits, stream);
  }
  fail(ErrorKind::Internal, "pad: no element type of " + std::to_string(element_bytes) + " bytes");
}

}  // namespace tandem::cuda::kernels
