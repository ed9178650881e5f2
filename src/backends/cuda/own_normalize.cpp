// Lowering of BatchNormalization (inference) onto the backend's own kernels. With
// constant parameters (the usual case once a BN could not be folded into a Conv)
// the per-channel scale and shift are computed once here, in double as the
// reference does, and each run is one affine kernel that also applies an activation
// reading only the BN's output; with parameters computed at run time the kernel
// derives them per channel from the four inputs.
#include <cmath>

#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

constexpr float kDefaultEpsilon = 1e-5f;

// x: (N, C, D1..Dk) viewed as (outer, channels, inner).
struct ChannelView {
  int64_t outer = 1, channels = 1, inner = 1;
};

ChannelView channel_view(const Shape& x) {
  ChannelView v{x[0], x[1], 1};
  for (size_t d = 2; d < x.size(); ++d) v.inner *= x[d];
  return v;
}

bool parameters_constant(const Node& node, const Graph& graph) {
  for (size_t i = 1; i < 5; ++i)
    if (!graph.input(node, i)->is_constant()) return false;
  return true;
}

// scale = gamma / sqrt(var + epsilon), shift = beta - mean * scale, per channel.
struct AffineParameters {
  Tensor scale, shift;  // (C)
};

AffineParameters fold_parameters(const Node& node, const Graph& graph, double epsilon) {
  const float* gamma = graph.input(node, 1)->data->data<float>();
  const float* beta = graph.input(node, 2)->data->data<float>();
  const float* mean = graph.input(node, 3)->data->data<float>();
  const float* var = graph.input(node, 4)->data->data<float>();
  const int64_t channels = graph.input(node, 1)->data->numel();
  AffineParameters p{Tensor(DType::f32, {channels}), Tensor(DType::f32, {channels})};
  for (int64_t c = 0; c < channels; ++c) {
    const double scale = double(gamma[c]) / std::sqrt(double(var[c]) + epsilon);
    p.scale.data<float>()[c] = static_cast<float>(scale);
    p.shift.data<float>()[c] = static_cast<float>(double(beta[c]) - double(mean[c]) * scale);
  }
  return p;
}

void lower_constant_batchnorm(SegmentCompiler& c, const Node& node, const DeviceTensor& x, const ChannelView& v,
                              float epsilon) {
  const AffineParameters folded = fold_parameters(node, c.graph(), epsilon);
  const DeviceTensor scale = c.constant(folded.scale), shift = c.constant(folded.shift);
  int result = node.outputs[0];
  const kernels::ActivationParams act = fuse_tail_activation(c, result);
  const DeviceTensor y = c.output_inplace(result, x);
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    // y: (N, C, inner) = act(x * scale[c] + shift[c])
    kernels::channel_affine(ctx.data<float>(x), ctx.data<float>(y), ctx.data<float>(scale), ctx.data<float>(shift),
                            v.outer, v.channels, v.inner, act, ctx.stream);
    check_launch("kernels::channel_affine", where);
  }, {x, scale, shift, y});
}

void lower_computed_batchnorm(SegmentCompiler& c, const Node& node, const DeviceTensor& x, const ChannelView& v,
                              float epsilon) {
  const DeviceTensor gamma = c.input(node.inputs[1]), beta = c.input(node.inputs[2]);
  const DeviceTensor mean = c.input(node.inputs[3]), var = c.input(node.inputs[4]);
  const DeviceTensor y = c.output_inplace(node.outputs[0], x);
  const std::string where = c.where(node);
  c.push([=](const RunContext& ctx) {
    kernels::batchnorm(ctx.data<float>(x), ctx.data<float>(y), ctx.data<float>(gamma), ctx.data<float>(beta),
                       ctx.data<float>(mean), ctx.data<float>(var), epsilon, v.outer, v.channels, v.inner, ctx.stream);
    check_launch("kernels::batchnorm", where);
  }, {x, gamma, beta, mean, var, y});
}

}  // namespace

void lower_batchnorm(SegmentCompiler& c, const Node& node) {
  const DeviceTensor x = c.input(node.inputs[0]);
  const ChannelView v = channel_view(x.shape);
  const float epsilon = float_attr(node, "epsilon", kDefaultEpsilon);
  if (parameters_constant(node, c.graph()))
    lower_constant_batchnorm(c, node, x, v, epsilon);
  else
    lower_computed_batchnorm(c, node, x, v, epsilon);
}

}  // namespace tandem::cuda
