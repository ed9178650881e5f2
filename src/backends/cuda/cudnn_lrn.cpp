// LRN across channels (float32, rank 3 to 5). cuDNN's cross-channel LRN computes
// ONNX's formula, y = x / (bias + alpha / size * square_sum)^beta (cuDNN divides its
// alpha by the window width itself), over the window [c - (size-1)/2, c + size-1 -
// (size-1)/2]. It runs when cuDNN accepts the parameters (size in [CUDNN_LRN_MIN_N,
// CUDNN_LRN_MAX_N], bias >= CUDNN_LRN_MIN_K, beta >= CUDNN_LRN_MIN_BETA) and the size
// is odd (cuDNN documents ONNX's lopsided window for even sizes too, but those stay on
// the own kernel), on x viewed as (N, C, spatial, 1). Other parameters run
// kernels::lrn, which implements the same formula for every size.
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

// ONNX's attributes, with its defaults.
struct LrnSpec {
  int64_t size = 1;
  float alpha = 1e-4f, beta = 0.75f, bias = 1.0f;
};

LrnSpec lrn_spec(const Node& node) {
  return {int_attr(node, "size", 1), float_attr(node, "alpha", 1e-4f), float_attr(node, "beta", 0.75f),
          float_attr(node, "bias", 1.0f)};
}

bool cudnn_accepts(const LrnSpec& s) {
  return s.size % 2 == 1 && s.size >= CUDNN_LRN_MIN_N && s.size <= CUDNN_LRN_MAX_N && s.bias >= CUDNN_LRN_MIN_K &&
         s.beta >= CUDNN_LRN_MIN_BETA;
}

// x viewed as (N, C, inner): inner is the product of the spatial dims.
struct ChannelView {
  int64_t batch = 0, channels = 0, inner = 1;
};

ChannelView channel_view(const Shape& x) {
  ChannelView v{x[0], x[1], 1};
  for (size_t d = 2; d < x.size(); ++d) v.inner *= x[d];
  return v;
}

struct LrnState {
  explicit LrnState(const std::string& where) : tensor(where), lrn(where) {}
  TensorDescriptor tensor;  // x and y: (N, C, inner, 1)
  LrnDescriptor lrn;
};

void lower_cudnn_lrn(SegmentCompiler& c, const Node& node, const LrnSpec& s, const Shape& view) {
  const std::string where = c.where(node);
  auto state = std::make_shared<LrnState>(where);
  describe_tensor(state->tensor, view, where);
  TANDEM_CUDA_CHECK(where, cudnnSetLRNDescriptor(state->lrn.get(), static_cast<unsigned>(s.size), s.alpha, s.beta,
                                                 s.bias));
  c.keep(state);
  const LrnState* st = state.get();
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  c.push([=](const RunContext& ctx) {
    TANDEM_CUDA_CHECK(where, cudnnLRNCrossChannelForward(ctx.device->cudnn(), st->lrn.get(),
                                                         CUDNN_LRN_CROSS_CHANNEL_DIM1, &kOne, st->tensor.get(),
                                                         ctx.ptr(x), &kZero, st->tensor.get(), ctx.ptr(y)));
  }, {x, y});
}

void lower_kernel_lrn(SegmentCompiler& c, const Node& node, const LrnSpec& s, const ChannelView& v) {
  const std::string where = c.where(node);
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  const int size = static_cast<int>(s.size);
  c.push([=](const RunContext& ctx) {
    kernels::lrn(ctx.data<float>(x), ctx.data<float>(y), v.batch, v.channels, v.inner, size, s.alpha, s.beta, s.bias,
                 ctx.stream);
    check_launch("kernels::lrn", where);
  }, {x, y});
}

}  // namespace

void lower_lrn(SegmentCompiler& c, const Node& node) {
  const Value& x = c.graph().value(node.inputs[0]);
  const LrnSpec s = lrn_spec(node);
  if (x.dtype != DType::f32 || num_elements(x.shape) == 0 || !fits_int(s.size)) return lower_host_fallback(c, node);
  const ChannelView v = channel_view(x.shape);
  const Shape view{v.batch, v.channels, v.inner, 1};
  if (cudnn_accepts(s) && fits_cudnn(view)) return lower_cudnn_lrn(c, node, s, view);
  lower_kernel_lrn(c, node, s, v);
}

}  // namespace tandem::cuda
