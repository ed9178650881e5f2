// The cuda backend's elementwise kernels: activations, the bias + residual +
// activation epilogue of convolutions and matrix products, binary ops with numpy
// broadcasting (fast paths for same shapes, a scalar and a per-channel operand, a
// strided walk otherwise), Cast, and per-channel affine maps and batch norm. Dense
// paths move four floats per access (float4) where pointers and sizes allow.
#include <cstdint>

#include "backends/cuda/kernels/elementwise_math.h"
#include "backends/cuda/kernels/kernels.h"

namespace tandem::cuda::kernels {
namespace {

static_assert(kMaxRank == math::kRankLimit, "kernels::Dims and math::BroadcastDims must hold the same ranks");

constexpr int kThreads = 256;

// ---- dense vector loops ----

// V consecutive floats, loaded and stored in one access when V is 4.
template <int V>
struct Pack {
  float v[V];
};

template <int V>
__device__ __forceinline__ Pack<V> load(const float* p) {
  Pack<V> r;
  if constexpr (V == 4) {
    const float4 q = *reinterpret_cast<const float4*>(p);
    r.v[0] = q.x;
    r.v[1] = q.y;
    r.v[2] = q.z;
    r.v[3] = q.w;
  } else {
    r.v[0] = *p;
  }
  return r;
}

template <int V>
__device__ __forceinline__ void store(float* p, const Pack<V>& r) {
  if constexpr (V == 4)
    *reinterpret_cast<float4*>(p) = make_float4(r.v[0], r.v[1], r.v[2], r.v[3]);
  else
    *p = r.v[0];
}

bool aligned16(const void* p) { return reinterpret_cast<uintptr_t>(p) % 16 == 0; }

// Calls op.apply<V>(first, channel) for each run of V elements [first, first + V) of
// a dense (outer, channels, inner) tensor; inner % V == 0 when op is per channel, so
// that a run never straddles two channels.
template <class Op, class Index, int V>
__global__ void __launch_bounds__(kThreads) for_each_run(Op op, Index runs, Index inner, Index channels) {
  const Index step = Index(gridDim.x) * Index(blockDim.x);
  for (Index r = Index(blockIdx.x) * Index(blockDim.x) + Index(threadIdx.x); r < runs; r += step) {
    const Index first = r * Index(V);
    Index channel = 0;
    if constexpr (Op::kPerChannel) channel = math::channel_of(first, inner, channels);
    op.template apply<V>(first, channel);
  }
}

// Runs `op` over n elements of (n / (channels * inner), channels, inner), four at a
// time when `vectorise` (the caller checked alignment and divisibility). 32-bit
// indices whenever n allows: their division is much cheaper than 64-bit.
template <class Op>
void launch_runs(const Op& op, int64_t n, int64_t inner, int64_t channels, bool vectorise, cudaStream_t stream) {
  if (n <= 0) return;
  const int width = vectorise ? 4 : 1;
  const int64_t runs = n / width;
  const unsigned blocks = math::blocks_for(runs, kThreads);
  if (n <= INT32_MAX) {
    using Index = uint32_t;
    if (vectorise)
      for_each_run<Op, Index, 4><<<blocks, kThreads, 0, stream>>>(op, Index(runs), Index(inner), Index(channels));
    else
      for_each_run<Op, Index, 1><<<blocks, kThreads, 0, stream>>>(op, Index(runs), Index(inner), Index(channels));
  } else if (vectorise) {
    for_each_run<Op, int64_t, 4><<<blocks, kThreads, 0, stream>>>(op, runs, inner, channels);
  } else {
    for_each_run<Op, int64_t, 1><<<blocks, kThreads, 0, stream>>>(op, runs, inner, channels);
  }
}

// ---- the per-run operations ----

struct ActivationRun {
  static constexpr bool kPerChannel = false;
  const float* x;  // may equal y
  float* y;
  ActivationParams act;
  template <int V, class Index>
  __device__ void apply(Index first, Index) const {
    Pack<V> p = load<V>(x + first);
    for (int k = 0; k < V; ++k) p.v[k] = math::activate(act, p.v[k]);
    store<V>(y + first, p);
  }
};

// y = act(y + bias[c] + residual), summed in that order.
template <bool kHasBias>
struct BiasActivationRun {
  static constexpr bool kPerChannel = kHasBias;
  float* y;
  const float* __restrict__ bias;
  const float* residual;  // may be null
  ActivationParams act;
  template <int V, class Index>
  __device__ void apply(Index first, Index channel) const {
    Pack<V> p = load<V>(y + first);
    if constexpr (kHasBias) {
      const float b = bias[channel];
      for (int k = 0; k < V; ++k) p.v[k] += b;
    }
    if (residual) {
      const Pack<V> r = load<V>(residual + first);
      for (int k = 0; k < V; ++k) p.v[k] += r.v[k];
    }
    for (int k = 0; k < V; ++k) p.v[k] = math::activate(act, p.v[k]);
    store<V>(y + first, p);
  }
};

struct ChannelAffineRun {
  static constexpr bool kPerChannel = true;
  const float* x;  // may equal y
  float* y;
  const float* __restrict__ scale;
  const float* __restrict__ shift;
  ActivationParams act;
  template <int V, class Index>
  __device__ void apply(Index first, Index channel) const {
    const float s = scale[channel], b = shift[channel];
    Pack<V> p = load<V>(x + first);
    for (int k = 0; k < V; ++k) p.v[k] = math::activate(act, math::affine(p.v[k], s, b));
    store<V>(y + first, p);
  }
};

struct BatchNormRun {
  static constexpr bool kPerChannel = true;
  const float* x;  // may equal y
  float* y;
  const float* __restrict__ gamma;
  const float* __restrict__ beta;
  const float* __restrict__ mean;
  const float* __restrict__ var;
  float epsilon;
  template <int V, class Index>
  __device__ void apply(Index first, Index c) const {
    const float g = gamma[c], b = beta[c], m = mean[c], v = var[c];
    Pack<V> p = load<V>(x + first);
    for (int k = 0; k < V; ++k) p.v[k] = math::batchnorm(p.v[k], g, b, m, v, epsilon);
    store<V>(y + first, p);
  }
};

// ---- binary ops ----

// The op is a runtime value: it is the same for every thread, so the switch costs a
// few uniform instructions and saves four copies of every kernel.
__device__ __forceinline__ float combine(BinaryOp op, float a, float b) {
  switch (op) {
    case BinaryOp::Add: return a + b;
    case BinaryOp::Sub: return a - b;
    case BinaryOp::Mul: return a * b;
    case BinaryOp::Div: return a / b;
  }
  return a;
}

struct SameShapeRun {
  static constexpr bool kPerChannel = false;
  BinaryOp op;
  const float* a;  // a, b may equal y
  const float* b;
  float* y;
  ActivationParams act;
  template <int V, class Index>
  __device__ void apply(Index first, Index) const {
    const Pack<V> pa = load<V>(a + first), pb = load<V>(b + first);
    Pack<V> r;
    for (int k = 0; k < V; ++k) r.v[k] = math::activate(act, combine(op, pa.v[k], pb.v[k]));
    store<V>(y + first, r);
  }
};

// One operand dense (the output's shape), the other one value (scalar) or one value
// per channel; `dense_first`: the dense operand is a (else b, as in 1 - x).
template <bool kPerChannelOperand>
struct StretchedRun {
  static constexpr bool kPerChannel = kPerChannelOperand;
  BinaryOp op;
  const float* dense;  // may equal y
  const float* __restrict__ stretched;
  float* y;
  bool dense_first;
  ActivationParams act;
  template <int V, class Index>
  __device__ void apply(Index first, Index channel) const {
    const float s = stretched[channel];  // channel is 0 for a scalar
    const Pack<V> p = load<V>(dense + first);
    Pack<V> r;
    for (int k = 0; k < V; ++k)
      r.v[k] = math::activate(act, dense_first ? combine(op, p.v[k], s) : combine(op, s, p.v[k]));
    store<V>(y + first, r);
  }
};

__global__ void __launch_bounds__(kThreads)
    binary_strided(BinaryOp op, const float* a, const float* b, float* y, math::BroadcastDims dims, int64_t n,
                   ActivationParams act) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) {
    int64_t a_offset, b_offset;
    math::broadcast_offsets(i, dims, a_offset, b_offset);
    y[i] = math::activate(act, combine(op, a[a_offset], b[b_offset]));
  }
}

// ---- Cast ----

template <class From, class To>
__global__ void __launch_bounds__(kThreads) cast_kernel(const From* __restrict__ x, To* __restrict__ y, int64_t n) {
  const int64_t step = int64_t(gridDim.x) * blockDim.x;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += step) y[i] = math::convert<To>(x[i]);
}

// Calls f(T{}) with the C++ type of an element type.
template <class F>
void with_element_type(ElementType type, F&& f) {
  switch (type) {
    case ElementType::f32: return f(float{});
    case ElementType::f64: return f(double{});
    case ElementType::i8: return f(int8_t{});
    case ElementType::u8: return f(uint8_t{});
    case ElementType::i16: return f(int16_t{});
    case ElementType::i32: return f(int32_t{});
    case ElementType::i64: return f(int64_t{});
    case ElementType::boolean: return f(bool{});
  }
}

int64_t element_count(const Dims& dims) {
  int64_t n = 1;
  for (int k = 0; k < dims.rank; ++k) n *= dims.d[k];
  return n;
}

}  // namespace

void activation(const float* x, float* y, int64_t n, ActivationParams act, cudaStream_t stream) {
  if (act.kind == Activation::None && x == y) return;
  const bool vectorise = n % 4 == 0 && aligned16(x) && aligned16(y);
  launch_runs(ActivationRun{x, y, act}, n, 1, 1, vectorise, stream);
}

void bias_activation(float* y, const float* bias, const float* residual, int64_t outer, int64_t channels,
                     int64_t inner, ActivationParams act, cudaStream_t stream) {
  if (!bias && !residual && act.kind == Activation::None) return;
  const int64_t n = outer * channels * inner;
  const bool aligned = aligned16(y) && (!residual || aligned16(residual));
  if (bias) {
    launch_runs(BiasActivationRun<true>{y, bias, residual, act}, n, inner, channels, aligned && inner % 4 == 0,
                stream);
  } else {
    launch_runs(BiasActivationRun<false>{y, bias, residual, act}, n, inner, channels, aligned && n % 4 == 0, stream);
  }
}

void binary(BinaryOp op, const float* a, const Dims& a_strides, const float* b, const Dims& b_strides, float* y,
            const Dims& out, ActivationParams act, cudaStream_t stream) {
  const int64_t n = element_count(out);
  if (n <= 0) return;
  math::BroadcastDims walk;
  walk.rank = out.rank;
  for (int k = 0; k < out.rank; ++k) {
    walk.extent[k] = out.d[k];
    walk.a_stride[k] = a_strides.d[k];
    walk.b_stride[k] = b_strides.d[k];
  }
  walk = math::collapse_broadcast(walk);
  const math::BroadcastPlan plan = math::plan_broadcast(walk);
  const bool dense4 = n % 4 == 0 && aligned16(y);
  switch (plan.kind) {
    case math::BroadcastCase::Same:
      return launch_runs(SameShapeRun{op, a, b, y, act}, n, 1, 1, dense4 && aligned16(a) && aligned16(b), stream);
    case math::BroadcastCase::ScalarB:
      return launch_runs(StretchedRun<false>{op, a, b, y, true, act}, n, 1, 1, dense4 && aligned16(a), stream);
    case math::BroadcastCase::ScalarA:
      return launch_runs(StretchedRun<false>{op, b, a, y, false, act}, n, 1, 1, dense4 && aligned16(b), stream);
    case math::BroadcastCase::ChannelB:
      return launch_runs(StretchedRun<true>{op, a, b, y, true, act}, n, plan.inner, plan.channels,
                         dense4 && aligned16(a) && plan.inner % 4 == 0, stream);
    case math::BroadcastCase::ChannelA:
      return launch_runs(StretchedRun<true>{op, b, a, y, false, act}, n, plan.inner, plan.channels,
                         dense4 && aligned16(b) && plan.inner % 4 == 0, stream);
    case math::BroadcastCase::General:
      binary_strided<<<math::blocks_for(n, kThreads), kThreads, 0, stream>>>(op, a, b, y, walk, n, act);
      return;
  }
}

void cast(const void* x, ElementType from, void* y, ElementType to, int64_t n, cudaStream_t stream) {
  if (n <= 0) return;
  const unsigned blocks = math::blocks_for(n, kThreads);
  with_element_type(from, [&](auto from_zero) {
    with_element_type(to, [&](auto to_zero) {
      using From = decltype(from_zero);
      using To = decltype(to_zero);
      cast_kernel<From, To><<<blocks, kThreads, 0, stream>>>(static_cast<const From*>(x), static_cast<To*>(y), n);
    });
  });
}

void channel_affine(const float* x, float* y, const float* scale, const float* shift, int64_t outer,
                    int64_t channels, int64_t inner, ActivationParams act, cudaStream_t stream) {
  const bool vectorise = inner % 4 == 0 && aligned16(x) && aligned16(y);
  launch_runs(ChannelAffineRun{x, y, scale, shift, act}, outer * channels * inner, inner, channels, vectorise, stream);
}

void batchnorm(const float* x, float* y, const float* gamma, const float* beta, const float* mean, const float* var,
               float epsilon, int64_t outer, int64_t channels, int64_t inner, cudaStream_t stream) {
  const bool vectorise = inner % 4 == 0 && aligned16(x) && aligned16(y);
  launch_runs(BatchNormRun{x, y, gamma, beta, mean, var, epsilon}, outer * channels * inner, inner, channels,
              vectorise, stream);
}

}  // namespace tandem::cuda::kernels
