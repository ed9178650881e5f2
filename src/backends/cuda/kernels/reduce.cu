// The cuda backend's reduction kernels: ReduceSum/Mean/Max over any set of axes,
// GlobalAveragePool/GlobalMaxPool (rows of contiguous elements) and Softmax along
// one axis. Contiguous rows are reduced by one warp each (one block each when rows
// are long or few) with shuffle reductions; other reductions by one thread per output
// element, or one block per output element when each reads many inputs.
#include <cstdint>

#include "backends/cuda/kernels/elementwise_math.h"
#include "backends/cuda/kernels/kernels.h"

namespace tandem::cuda::kernels {
namespace {

constexpr int kThreads = 256;  // a multiple of the warp size
constexpr int kWarp = 32;
constexpr int kWarpsPerBlock = kThreads / kWarp;
constexpr unsigned kFullMask = 0xffffffffu;

// ---- combining partial results ----

struct SumOf {
  static __device__ __forceinline__ float identity() { return 0.0f; }
  static __device__ __forceinline__ float combine(float a, float b) { return a + b; }
};

// fmaxf skips NaN, like the reference's std::max(acc, x) starting from -infinity.
struct MaxOf {
  static __device__ __forceinline__ float identity() { return -INFINITY; }
  static __device__ __forceinline__ float combine(float a, float b) { return fmaxf(a, b); }
};

template <class R>
__device__ __forceinline__ float warp_reduce(float v) {
  for (int offset = kWarp / 2; offset > 0; offset /= 2) v = R::combine(v, __shfl_xor_sync(kFullMask, v, offset));
  return v;
}

// The reduction of v over the block, returned to every thread. Every thread of the
// block must call it (it synchronises).
template <class R>
__device__ float block_reduce(float v) {
  __shared__ float partial[kWarpsPerBlock];
  __shared__ float result;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  v = warp_reduce<R>(v);
  __syncthreads();  // the previous call's readers of `result` are done
  if (lane == 0) partial[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = warp_reduce<R>(lane < kWarpsPerBlock ? partial[lane] : R::identity());
    if (lane == 0) result = v;
  }
  __syncthreads();
  return result;
}

// ---- rows: y[r] = reduction of x[r * cols, (r + 1) * cols) ----

// The mean divides the sum by the element count; the other reductions stand as they are.
template <bool kMean>
__device__ __forceinline__ float finish(float v, int64_t count) {
  if constexpr (kMean) return v / static_cast<float>(count);
  return v;
}

template <class R, bool kMean>
__global__ void __launch_bounds__(kThreads) reduce_rows_by_warp(const float* x, float* y, int64_t rows, int64_t cols) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t row = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp; row < rows; row += warps) {
    const float* in = x + row * cols;
    float acc = R::identity();
    for (int64_t j = lane; j < cols; j += kWarp) acc = R::combine(acc, in[j]);
    acc = warp_reduce<R>(acc);
    if (lane == 0) y[row] = finish<kMean>(acc, cols);
  }
}

template <class R, bool kMean>
__global__ void __launch_bounds__(kThreads) reduce_rows_by_block(const float* x, float* y, int64_t rows, int64_t cols) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* in = x + row * cols;
    float acc = R::identity();
    for (int64_t j = threadIdx.x; j < cols; j += kThreads) acc = R::combine(acc, in[j]);
    acc = block_reduce<R>(acc);
    if (threadIdx.x == 0) y[row] = finish<kMean>(acc, cols);
  }
}

// Whole blocks per row when rows are long, or when there are too few rows for warps
// to fill the GPU.
bool block_per_row(int64_t rows, int64_t cols) { return cols >= 2048 || (cols > 256 && rows < 1024); }

template <class R, bool kMean>
void launch_rows(const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (block_per_row(rows, cols))
    reduce_rows_by_block<R, kMean><<<math::blocks_for(rows, 1), kThreads, 0, stream>>>(x, y, rows, cols);
  else
    reduce_rows_by_warp<R, kMean><<<math::blocks_for(rows, kWarpsPerBlock), kThreads, 0, stream>>>(x, y, rows, cols);
}

void reduce_rows(ReduceKind kind, const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  if (rows <= 0) return;
  switch (kind) {
    case ReduceKind::Sum: return launch_rows<SumOf, false>(x, y, rows, cols, stream);
    case ReduceKind::Mean: return launch_rows<SumOf, true>(x, y, rows, cols, stream);
    case ReduceKind::Max: return launch_rows<MaxOf, false>(x, y, rows, cols, stream);
  }
}

// ---- any axes, through the strided layout ----

__device__ __forceinline__ int64_t output_base(const math::ReduceLayout& r, int64_t o) {
  return math::strided_offset(o, r.kept_rank, r.kept_extent, r.kept_stride);
}

__device__ __forceinline__ int64_t reduced_offset(const math::ReduceLayout& r, int64_t k) {
  return math::strided_offset(k, r.reduced_rank, r.reduced_extent, r.reduced_stride);
}

template <class R, bool kMean>
__global__ void __launch_bounds__(kThreads) reduce_by_thread(const float* x, float* y, math::ReduceLayout r) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t o = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; o < r.outputs; o += step) {
    const float* in = x + output_base(r, o);
    float acc = R::identity();
    for (int64_t k = 0; k < r.count; ++k) acc = R::combine(acc, in[reduced_offset(r, k)]);
    y[o] = finish<kMean>(acc, r.count);
  }
}

template <class R, bool kMean>
__global__ void __launch_bounds__(kThreads) reduce_by_block(const float* x, float* y, math::ReduceLayout r) {
  for (int64_t o = blockIdx.x; o < r.outputs; o += gridDim.x) {
    const float* in = x + output_base(r, o);
    float acc = R::identity();
    for (int64_t k = threadIdx.x; k < r.count; k += kThreads) acc = R::combine(acc, in[reduced_offset(r, k)]);
    acc = block_reduce<R>(acc);
    if (threadIdx.x == 0) y[o] = finish<kMean>(acc, r.count);
  }
}

// A block per output when each reads many elements and there are too few outputs for
// threads alone to fill the GPU; else a thread per output (neighbouring threads then
// read neighbouring elements when the kept axes are the inner ones).
template <class R, bool kMean>
void launch_strided(const float* x, float* y, const math::ReduceLayout& r, cudaStream_t stream) {
  if (r.count > 256 && r.outputs < 8192)
    reduce_by_block<R, kMean><<<math::blocks_for(r.outputs, 1), kThreads, 0, stream>>>(x, y, r);
  else
    reduce_by_thread<R, kMean><<<math::blocks_for(r.outputs, kThreads), kThreads, 0, stream>>>(x, y, r);
}

// ---- softmax over the middle axis of (outer, length, inner) ----
// exp(x - max) / sum(exp(x - max)); the exponentials are recomputed for the output
// rather than stored. Each element is read and written by the same thread, so x may
// equal y.

__global__ void __launch_bounds__(kThreads)
    softmax_rows_by_warp(const float* x, float* y, int64_t rows, int64_t length) {
  const int lane = threadIdx.x % kWarp;
  const int64_t warps = int64_t(gridDim.x) * kWarpsPerBlock;
  for (int64_t row = int64_t(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp; row < rows; row += warps) {
    const float* in = x + row * length;
    float* out = y + row * length;
    float largest = MaxOf::identity();
    for (int64_t j = lane; j < length; j += kWarp) largest = fmaxf(largest, in[j]);
    largest = warp_reduce<MaxOf>(largest);
    float sum = 0.0f;
    for (int64_t j = lane; j < length; j += kWarp) sum += expf(in[j] - largest);
    sum = warp_reduce<SumOf>(sum);
    for (int64_t j = lane; j < length; j += kWarp) out[j] = expf(in[j] - largest) / sum;
  }
}

__global__ void __launch_bounds__(kThreads)
    softmax_rows_by_block(const float* x, float* y, int64_t rows, int64_t length) {
  for (int64_t row = blockIdx.x; row < rows; row += gridDim.x) {
    const float* in = x + row * length;
    float* out = y + row * length;
    float largest = MaxOf::identity();
    for (int64_t j = threadIdx.x; j < length; j += kThreads) largest = fmaxf(largest, in[j]);
    largest = block_reduce<MaxOf>(largest);
    float sum = 0.0f;
    for (int64_t j = threadIdx.x; j < length; j += kThreads) sum += expf(in[j] - largest);
    sum = block_reduce<SumOf>(sum);
    for (int64_t j = threadIdx.x; j < length; j += kThreads) out[j] = expf(in[j] - largest) / sum;
  }
}

// One thread per (outer, inner) column; neighbouring threads read neighbouring
// elements of each row of the axis.
__global__ void __launch_bounds__(kThreads)
    softmax_columns(const float* x, float* y, int64_t outer, int64_t length, int64_t inner) {
  const int64_t columns = outer * inner, step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t col = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; col < columns; col += step) {
    const int64_t base = (col / inner) * length * inner + col % inner;
    const float* in = x + base;
    float* out = y + base;
    float largest = MaxOf::identity();
    for (int64_t j = 0; j < length; ++j) largest = fmaxf(largest, in[j * inner]);
    float sum = 0.0f;
    for (int64_t j = 0; j < length; ++j) sum += expf(in[j * inner] - largest);
    for (int64_t j = 0; j < length; ++j) out[j * inner] = expf(in[j * inner] - largest) / sum;
  }
}

}  // namespace

void global_pool(PoolKind kind, const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream) {
  reduce_rows(kind == PoolKind::Max ? ReduceKind::Max : ReduceKind::Mean, x, y, rows, cols, stream);
}

void reduce(ReduceKind kind, const float* x, const Dims& shape, uint32_t axes_mask, float* y, cudaStream_t stream) {
  const math::ReduceLayout r = math::make_reduce_layout(shape.rank, shape.d, axes_mask);
  if (r.outputs <= 0) return;
  if (math::reduces_rows(r)) return reduce_rows(kind, x, y, r.outputs, r.count, stream);
  switch (kind) {
    case ReduceKind::Sum: return launch_strided<SumOf, false>(x, y, r, stream);
    case ReduceKind::Mean: return launch_strided<SumOf, true>(x, y, r, stream);
    case ReduceKind::Max: return launch_strided<MaxOf, false>(x, y, r, stream);
  }
}

void softmax(const float* x, float* y, int64_t outer, int64_t axis_dim, int64_t inner, cudaStream_t stream) {
  if (outer <= 0 || axis_dim <= 0 || inner <= 0) return;
  if (inner > 1) {
    softmax_columns<<<math::blocks_for(outer * inner, kThreads), kThreads, 0, stream>>>(x, y, outer, axis_dim, inner);
  } else if (block_per_row(outer, axis_dim)) {
    softmax_rows_by_block<<<math::blocks_for(outer, 1), kThreads, 0, stream>>>(x, y, outer, axis_dim);
  } else {
    softmax_rows_by_warp<<<math::blocks_for(outer, kWarpsPerBlock), kThreads, 0, stream>>>(x, y, outer, axis_dim);
  }
}

}  // namespace tandem::cuda::kernels
