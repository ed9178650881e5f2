// Launchers of the cuda backend's own kernels (kernels/*.cu). Plain C++ declarations
// with no CUDA syntax, so lowerings compiled by the host compiler can call them. Each
// enqueues its kernel on `stream` and returns at once without checking: the caller
// checks the launch with check_launch(name, where). Tensors are dense row-major
// unless strides are given; strides and offsets count elements, not bytes.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

namespace tandem::cuda::kernels {

constexpr int kMaxRank = 8;

// Dimensions or strides of up to kMaxRank axes, passed to kernels by value.
struct Dims {
  int rank = 0;
  int64_t d[kMaxRank] = {};
};

enum class Activation { None, Relu, LeakyRelu, Clip, Sigmoid, Tanh };

// LeakyRelu: alpha is the slope. Clip: alpha is the lower bound, beta the upper.
struct ActivationParams {
  Activation kind = Activation::None;
  float alpha = 0;
  float beta = 0;
};

// y[i] = act(x[i]); x may equal y.
void activation(const float* x, float* y, int64_t n, ActivationParams act, cudaStream_t stream);

// y: (outer, channels, inner). y = act(y + bias[c] + residual), in place; bias and
// residual (same shape as y) may be null.
void bias_activation(float* y, const float* bias, const float* residual, int64_t outer, int64_t channels,
                     int64_t inner, ActivationParams act, cudaStream_t stream);

enum class BinaryOp { Add, Sub, Mul, Div };

// y = act(a op b) over output dims `out`, with numpy broadcasting expressed by
// a_strides/b_strides (one per output axis, 0 on broadcast axes). y may equal a or b
// when that operand is not broadcast.
void binary(BinaryOp op, const float* a, const Dims& a_strides, const float* b, const Dims& b_strides, float* y,
            const Dims& out, ActivationParams act, cudaStream_t stream);

enum class ElementType { f32, f64, i8, u8, i16, i32, i64, boolean };

// y[i] = static_cast<to>(x[i]) (ONNX Cast: float to bool is x != 0).
void cast(const void* x, ElementType from, void* y, ElementType to, int64_t n, cudaStream_t stream);

// For every index i over `shape`:
//   dst[dst_offset + sum_k i_k * dst_strides.d[k]] = src[src_offset + sum_k i_k * src_strides.d[k]]
// for elements of `element_bytes` (1, 2, 4 or 8). Strides may be negative or zero
// (src only). Concat, Split, Slice, Transpose and dense copies are all this kernel.
void copy_strided(const void* src, const Dims& src_strides, int64_t src_offset, void* dst, const Dims& dst_strides,
                  int64_t dst_offset, const Dims& shape, int element_bytes, cudaStream_t stream);

enum class PadMode { Constant, Reflect, Edge };

// y (out_shape) = x (in_shape) placed at pads_begin (negative pads crop); outside x:
// the constant (its raw bits in value_bits), the mirror image without the edge
// (Reflect) or the nearest edge element (Edge).
void pad(const void* x, const Dims& in_shape, void* y, const Dims& out_shape, const Dims& pads_begin, PadMode mode,
         uint64_t value_bits, int element_bytes, cudaStream_t stream);

// y: (outer, count, inner) = data: (outer, axis_dim, inner) gathered along the middle
// axis at indices[0..count) (int64, or int32 when indices_i32); negative indices count
// from the end; indices outside [-axis_dim, axis_dim) give zeros.
void gather(const void* data, int64_t outer, int64_t axis_dim, int64_t inner, const void* indices, bool indices_i32,
            int64_t count, void* y, int element_bytes, cudaStream_t stream);

enum class PoolKind { Max, Average };

// Pooling geometry for 1 to 3 spatial axes; x: (batch, channels, in...), y: (batch,
// channels, out...). Pads may be asymmetric; out may include ceil-mode windows that
// start in the padding's end (those read only real elements).
struct PoolGeometry {
  int64_t batch = 1, channels = 1;
  int spatial_rank = 2;
  int64_t in[3] = {1, 1, 1}, out[3] = {1, 1, 1}, kernel[3] = {1, 1, 1}, stride[3] = {1, 1, 1};
  int64_t pad_begin[3] = {0, 0, 0}, pad_end[3] = {0, 0, 0}, dilation[3] = {1, 1, 1};
  bool count_include_pad = false;  // Average: divide by the whole window, pads included
};

// indices (Max only, may be null): ONNX MaxPool's Indices output, the flat index into x
// of each maximum, row-major (storage_order 0) or column-major over the spatial axes
// (storage_order 1: the first spatial axis varies fastest), as the reference op does.
void pool(PoolKind kind, const float* x, float* y, int64_t* indices, const PoolGeometry& g, int storage_order,
          cudaStream_t stream);

// y: (rows) = max or mean of x: (rows, cols) over cols (GlobalMaxPool/GlobalAveragePool).
void global_pool(PoolKind kind, const float* x, float* y, int64_t rows, int64_t cols, cudaStream_t stream);

// x, y: (outer, channels, inner). y = act(x * scale[c] + shift[c]).
void channel_affine(const float* x, float* y, const float* scale, const float* shift, int64_t outer,
                    int64_t channels, int64_t inner, ActivationParams act, cudaStream_t stream);

// BatchNormalization (inference) with parameters in device memory:
// y = (x - mean[c]) / sqrt(var[c] + epsilon) * gamma[c] + beta[c]; x, y: (outer, channels, inner).
void batchnorm(const float* x, float* y, const float* gamma, const float* beta, const float* mean, const float* var,
               float epsilon, int64_t outer, int64_t channels, int64_t inner, cudaStream_t stream);

// ONNX LRN across channels; x, y: (batch, channels, inner):
// y = x / (bias + alpha / size * sum over the channel window of x^2)^beta, with the
// window [c - floor((size-1)/2), c + ceil((size-1)/2)].
void lrn(const float* x, float* y, int64_t batch, int64_t channels, int64_t inner, int size, float alpha, float beta,
         float bias, cudaStream_t stream);

enum class ReduceKind { Sum, Mean, Max };

// y = reduction of x (dims `shape`) over the axes whose bit is set in axes_mask; y is
// dense over the kept axes in order.
void reduce(ReduceKind kind, const float* x, const Dims& shape, uint32_t axes_mask, float* y, cudaStream_t stream);

// Softmax over the middle axis of x: (outer, axis_dim, inner) (fallback where cuDNN is not used).
void softmax(const float* x, float* y, int64_t outer, int64_t axis_dim, int64_t inner, cudaStream_t stream);

}  // namespace tandem::cuda::kernels
