// The cuda backend's LRN kernel (ONNX local response normalisation across channels),
// one thread per output element: the squares of the channel window at the same
// spatial position are summed (neighbouring threads read neighbouring positions).
#include <cstdint>

#include "backends/cuda/kernels/elementwise_math.h"
#include "backends/cuda/kernels/kernels.h"

namespace tandem::cuda::kernels {
namespace {

constexpr int kThreads = 256;

// x, y: (batch, channels, inner), n elements; y must not overlap x.
__global__ void __launch_bounds__(kThreads)
    lrn_kernel(const float* __restrict__ x, float* __restrict__ y, int64_t n, int64_t channels, int64_t inner,
               int size, float alpha_over_size, float beta, float bias) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    const int64_t position = i % inner, row = i / inner, c = row % channels;
    const float* column = x + (row - c) * inner + position;  // channel 0 of this image at this position
    const math::ChannelWindow window = math::lrn_window(c, channels, size);
    float square_sum = 0.0f;
    for (int64_t k = window.first; k <= window.last; ++k) {
      const float v = column[k * inner];
      square_sum += v * v;
    }
    y[i] = math::lrn_value(x[i], square_sum, alpha_over_size, beta, bias);
  }
}

}  // namespace

void lrn(const float* x, float* y, int64_t batch, int64_t channels, int64_t inner, int size, float alpha, float beta,
         float bias, cudaStream_t stream) {
  const int64_t n = batch * channels * inner;
  if (n <= 0) return;
  const float alpha_over_size = static_cast<float>(static_cast<double>(alpha) / size);
  lrn_kernel<<<math::blocks_for(n, kThreads), kThreads, 0, stream>>>(x, y, n, channels, inner, size, alpha_over_size,
                                                                      beta, bias);
}

}  // namespace tandem::cuda::kernels
