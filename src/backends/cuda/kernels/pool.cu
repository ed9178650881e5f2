// kernels::pool: MaxPool (with ONNX's Indices output) and AveragePool over 1 to 3
// spatial axes for the cases cuDNN does not cover: asymmetric pads, dilations,
// ceil-mode windows overhanging the padding, 1-D and 3-D. One thread per output
// element loops over its window (index_math.h), int64-safe throughout.
#include <cuda_runtime.h>

#include <algorithm>

#include "backends/cuda/kernels/index_math.h"
#include "backends/cuda/kernels/kernels.h"

namespace tandem::cuda::kernels {
namespace {

using index_math::PoolWindow;

constexpr int kThreads = 256;
constexpr int64_t kMaxBlocks = int64_t{1} << 20;

__global__ void max_pool(const float* __restrict__ x, float* __restrict__ y, int64_t* __restrict__ indices,
                         PoolWindow window, bool column_major, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step) {
    const index_math::MaxTap best = index_math::max_pool_element(window, x, i, column_major);
    y[i] = best.value;
    if (indices) indices[i] = best.index;
  }
}

__global__ void average_pool(const float* __restrict__ x, float* __restrict__ y, PoolWindow window, int64_t count) {
  const int64_t step = static_cast<int64_t>(gridDim.x) * blockDim.x;
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += step)
    y[i] = index_math::average_pool_element(window, x, i);
}

// The three axes of `g` as given: unused axes keep their neutral defaults, so real
// axes may fill the first spatial_rank entries or the last ones alike.
PoolWindow window_of(const PoolGeometry& g) {
  PoolWindow w;
  w.planes = g.batch * g.channels;
  for (int a = 0; a < 3; ++a) {
    w.in[a] = g.in[a];
    w.out[a] = g.out[a];
    w.kernel[a] = g.kernel[a];
    w.stride[a] = g.stride[a];
    w.pad_begin[a] = g.pad_begin[a];
    w.pad_end[a] = g.pad_end[a];
    w.dilation[a] = g.dilation[a];
  }
  w.count_include_pad = g.count_include_pad;
  return w;
}

}  // namespace

void pool(PoolKind kind, const float* x, float* y, int64_t* indices, const PoolGeometry& g, int storage_order,
          cudaStream_t stream) {
  const PoolWindow window = window_of(g);
  const int64_t count = window.planes * window.out_plane();
  if (count == 0) return;
  const auto blocks = static_cast<unsigned>(std::min((count + kThreads - 1) / kThreads, kMaxBlocks));
  if (kind == PoolKind::Max)
    max_pool<<<blocks, kThreads, 0, stream>>>(x, y, indices, window, storage_order == 1, count);
  else
    average_pool<<<blocks, kThreads, 0, stream>>>(x, y, window, count);
}

}  // namespace tandem::cuda::kernels
