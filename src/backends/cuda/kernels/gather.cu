// kernels::gather: Gather along one axis of data viewed as (outer, axis_dim, inner),
// one thread per output element. The launcher moves whole inner blocks in 16/8/4/2-byte
// vector units when their size and both base addresses allow it, and uses 32-bit index
// math whenever it fits.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>

#include "backends/cuda/kernels/index_math.h"
#include "backends/cuda/kernels/kernels.h"
#include "tandem/error.h"

namespace tandem::cuda::kernels {
namespace {

using index_math::GatherLayout;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 20;

template <int Bytes> struct Unit;
template <> struct Unit<1> { using type = uint8_t; };
template <> struct Unit<2> { using type = uint16_t; };
template <> struct Unit<4> { using type = uint32_t; };
template <> struct Unit<8> { using type = unsigned long long; };
template <> struct Unit<16> { using type = uint4; };

// y[i] = data[o, indices[j], e] for output element i = (o, j, e); zeros for an index
// outside [-axis_dim, axis_dim).
template <class E, class I, class Index>
__global__ void gather_elements(const E* __restrict__ data, const Index* __restrict__ indices, E* __restrict__ y,
                                GatherLayout<I> layout, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const auto linear = static_cast<I>(i);
    const I j = index_math::gather_index_position<I>(linear, layout);
    const auto row = static_cast<I>(index_math::gather_row(static_cast<int64_t>(indices[j]), layout.axis_dim));
    const I source = index_math::gather_source_offset<I>(linear, row, layout);
    y[i] = source < 0 ? E{} : data[source];
  }
}

template <class E, class Index>
void launch(const void* data, int64_t outer, const GatherLayout<int64_t>& layout, const void* indices, void* y,
            cudaStream_t stream) {
  const int64_t count = outer * layout.count * layout.inner;
  const int64_t data_elements = outer * layout.axis_dim * layout.inner;
  const auto blocks = static_cast<unsigned>(std::min((count + kThreads - 1) / kThreads, kMaxBlocks));
  const auto* from = static_cast<const E*>(data);
  const auto* index = static_cast<const Index*>(indices);
  auto* to = static_cast<E*>(y);
  if (count <= index_math::kInt32Max && data_elements <= index_math::kInt32Max) {
    const GatherLayout<int32_t> narrow{static_cast<int32_t>(layout.count), static_cast<int32_t>(layout.inner),
                                       static_cast<int32_t>(layout.axis_dim)};
    gather_elements<E, int32_t, Index><<<blocks, kThreads, 0, stream>>>(from, index, to, narrow, count);
  } else {
    gather_elements<E, int64_t, Index><<<blocks, kThreads, 0, stream>>>(from, index, to, layout, count);
  }
}

template <class E>
void launch_for_indices(bool indices_i32, const void* data, int64_t outer, const GatherLayout<int64_t>& layout,
                        const void* indices, void* y, cudaStream_t stream) {
  if (indices_i32)
    launch<E, int32_t>(data, outer, layout, indices, y, stream);
  else
    launch<E, int64_t>(data, outer, layout, indices, y, stream);
}

}  // namespace

void gather(const void* data, int64_t outer, int64_t axis_dim, int64_t inner, const void* indices, bool indices_i32,
            int64_t count, void* y, int element_bytes, cudaStream_t stream) {
  if (outer == 0 || count == 0 || inner == 0) return;
  GatherLayout<int64_t> layout{count, inner, axis_dim};
  const int unit = index_math::widen_gather(layout, element_bytes, reinterpret_cast<uint64_t>(data),
                                            reinterpret_cast<uint64_t>(y));
  switch (unit) {
    case 1: return launch_for_indices<Unit<1>::type>(indices_i32, data, outer, layout, indices, y, stream);
    case 2: return launch_for_indices<Unit<2>::type>(indices_i32, data, outer, layout, indices, y, stream);
    case 4: return launch_for_indices<Unit<4>::type>(indices_i32, data, outer, layout, indices, y, stream);
    case 8: return launch_for_indices<Unit<8>::type>(indices_i32, data, outer, layout, indices, y, stream);
    case 16: return launch_for_indices<Unit<16>::type>(indices_i32, data, outer, layout, indices, y, stream);
  }
  fail(ErrorKind::Internal, "gather: no element type of " + std::to_string(element_bytes) + " bytes");
}

}  // namespace tandem::cuda::kernels
