// kernels::copy_strided, the one data-movement kernel behind Concat, Split, Slice,
// Transpose and dense copies. The launcher merges axes that walk memory together,
// then picks: a shared-memory tiled transpose when the two innermost axes swap
// contiguity (NCHW <-> NHWC, channel shuffles of whole planes), else one thread per
// element, in 16/8/4/2-byte vector units when rows are contiguous and aligned on both
// sides, with 32-bit index math whenever every offset fits.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstddef>
#include <string>

#include "backends/cuda/kernels/index_math.h"
#include "backends/cuda/kernels/kernels.h"
#include "tandem/error.h"

namespace tandem::cuda::kernels {
namespace {

using index_math::CopyLayout;
using index_math::kTile;
using index_math::kTileRows;
using index_math::TileCopy;

static_assert(index_math::kMaxAxes == kMaxRank, "index_math and kernels.h disagree on the largest rank");

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 20;   // beyond this, threads loop over elements
constexpr int64_t kMaxGridYZ = 65535;

// The element type moved for units of Bytes bytes.
template <int Bytes> struct Unit;
template <> struct Unit<1> { using type = uint8_t; };
template <> struct Unit<2> { using type = uint16_t; };
template <> struct Unit<4> { using type = uint32_t; };
template <> struct Unit<8> { using type = unsigned long long; };
template <> struct Unit<16> { using type = uint4; };

// One thread per element (grid-stride): dst[dst offset] = src[src offset].
template <class E, class I>
__global__ void copy_elements(const E* __restrict__ src, E* __restrict__ dst, CopyLayout<I> layout, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    I from, to;
    index_math::copy_offsets<I>(static_cast<I>(i), layout, from, to);
    dst[to] = src[from];
  }
}

// Batched transpose through kTile x kTile tiles: reads walk the rows axis (contiguous
// in src), writes walk the cols axis (contiguous in dst). Block (kTile, kTileRows).
template <class E>
__global__ void transpose_tiles(const E* __restrict__ src, E* __restrict__ dst, TileCopy t) {
  __shared__ E tile[kTile][kTile + 1];  // [col in tile][row in tile]; +1 avoids bank conflicts
  const int64_t row_tiles = (t.rows + kTile - 1) / kTile, col_tiles = (t.cols + kTile - 1) / kTile;
  const int tx = static_cast<int>(threadIdx.x), ty = static_cast<int>(threadIdx.y);
  for (int64_t b = blockIdx.z; b < t.batches; b += gridDim.z) {
    int64_t batch_src, batch_dst;
    index_math::copy_offsets<int64_t>(b, t.batch, batch_src, batch_dst);
    for (int64_t rt = blockIdx.y; rt < row_tiles; rt += gridDim.y) {
      for (int64_t ct = blockIdx.x; ct < col_tiles; ct += gridDim.x) {
        const int64_t row0 = rt * kTile, col0 = ct * kTile;
        for (int j = ty; j < kTile; j += kTileRows) {
          const int64_t row = row0 + tx, col = col0 + j;
          if (row < t.rows && col < t.cols) tile[j][tx] = src[index_math::tile_src_offset(t, batch_src, row, col)];
        }
        __syncthreads();
        for (int j = ty; j < kTile; j += kTileRows) {
          const int64_t row = row0 + j, col = col0 + tx;
          if (row < t.rows && col < t.cols) dst[index_math::tile_dst_offset(t, batch_dst, row, col)] = tile[tx][j];
        }
        __syncthreads();
      }
    }
  }
}

int64_t blocks_for(int64_t count) { return std::min((count + kThreads - 1) / kThreads, kMaxBlocks); }

template <class E>
void launch_elements(const void* src, void* dst, const CopyLayout<int64_t>& layout, cudaStream_t stream) {
  const int64_t count = index_math::copy_elements(layout);
  const auto blocks = static_cast<unsigned>(blocks_for(count));
  const auto* from = static_cast<const E*>(src);
  auto* to = static_cast<E*>(dst);
  if (index_math::copy_fits_int32(layout))
    copy_elements<E, int32_t><<<blocks, kThreads, 0, stream>>>(from, to, index_math::narrow(layout), count);
  else
    copy_elements<E, int64_t><<<blocks, kThreads, 0, stream>>>(from, to, layout, count);
}

template <class E>
void launch_tiles(const void* src, void* dst, const TileCopy& t, cudaStream_t stream) {
  const int64_t row_tiles = (t.rows + kTile - 1) / kTile, col_tiles = (t.cols + kTile - 1) / kTile;
  const dim3 grid(static_cast<unsigned>(std::min(col_tiles, kMaxBlocks)),
                  static_cast<unsigned>(std::min(row_tiles, kMaxGridYZ)),
                  static_cast<unsigned>(std::min(t.batches, kMaxGridYZ)));
  const dim3 block(kTile, kTileRows);
  transpose_tiles<E><<<grid, block, 0, stream>>>(static_cast<const E*>(src), static_cast<E*>(dst), t);
}

[[noreturn]] void unsupported_unit(int bytes) {
  fail(ErrorKind::Internal, "copy_strided: no element type of " + std::to_string(bytes) + " bytes");
}

void launch_elements_of(int unit_bytes, const void* src, void* dst, const CopyLayout<int64_t>& layout,
                        cudaStream_t stream) {
  switch (unit_bytes) {
    case 1: return launch_elements<Unit<1>::type>(src, dst, layout, stream);
    case 2: return launch_elements<Unit<2>::type>(src, dst, layout, stream);
    case 4: return launch_elements<Unit<4>::type>(src, dst, layout, stream);
    case 8: return launch_elements<Unit<8>::type>(src, dst, layout, stream);
    case 16: return launch_elements<Unit<16>::type>(src, dst, layout, stream);
  }
  unsupported_unit(unit_bytes);
}

void launch_tiles_of(int element_bytes, const void* src, void* dst, const TileCopy& t, cudaStream_t stream) {
  switch (element_bytes) {
    case 1: return launch_tiles<Unit<1>::type>(src, dst, t, stream);
    case 2: return launch_tiles<Unit<2>::type>(src, dst, t, stream);
    case 4: return launch_tiles<Unit<4>::type>(src, dst, t, stream);
    case 8: return launch_tiles<Unit<8>::type>(src, dst, t, stream);
  }
  unsupported_unit(element_bytes);
}

}  // namespace

void copy_strided(const void* src, const Dims& src_strides, int64_t src_offset, void* dst, const Dims& dst_strides,
                  int64_t dst_offset, const Dims& shape, int element_bytes, cudaStream_t stream) {
  CopyLayout<int64_t> layout;
  layout.rank = shape.rank;
  for (int k = 0; k < shape.rank; ++k) {
    layout.shape[k] = shape.d[k];
    layout.src[k] = src_strides.d[k];
    layout.dst[k] = dst_strides.d[k];
  }
  if (index_math::copy_elements(layout) == 0) return;
  layout.rank = index_math::merge_axes(layout.rank, layout.shape, layout.src, layout.dst);
  const auto* from = static_cast<const std::byte*>(src) + src_offset * element_bytes;
  auto* to = static_cast<std::byte*>(dst) + dst_offset * element_bytes;
  if (index_math::is_tile_transpose(layout))
    return launch_tiles_of(element_bytes, from, to, index_math::tile_copy(layout), stream);
  const int unit = index_math::widen_to_vectors(layout, element_bytes, reinterpret_cast<uint64_t>(from),
                                                reinterpret_cast<uint64_t>(to));
  launch_elements_of(unit, from, to, layout, stream);
}

}  // namespace tandem::cuda::kernels
