// Conv on cuDNN (float32 NCHW, 1-D to 3-D, groups, strides, dilations, pads and
// auto_pad). 1-D runs as 2-D with a height of 1. cuDNN takes only symmetric pads: the
// shared part of each pad goes to cuDNN and the excess of an asymmetric pad is applied
// by padding the input with zeros first (kernels::pad into a scratch tensor). The
// algorithm comes from conv_search. The epilogue follows the convolution in the same
// step: bias, the node's fused activation, and, for a Conv without its own activation
// whose output feeds only an Add with an already computed operand of the same shape,
// that residual Add and an activation node reading only the Add (both fused away).
// A Relu epilogue of a 1-D or 2-D convolution runs inside
// cudnnConvolutionBiasActivationForward (the residual as its z input); any other goes
// to kernels::bias_activation after cudnnConvolutionForward. Non-float inputs, shapes
// beyond cuDNN's int limits and problems no algorithm runs go to the host fallback.
#include <optional>

#include "backends/cuda/conv_plan.h"
#include "backends/cuda/conv_search.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"
#include "ops/activation.h"

namespace tandem::cuda {

namespace {

// Descriptors and the algorithm of one convolution; kept by the executable.
struct ConvState {
  explicit ConvState(const std::string& where) : x(where), y(where), bias(where), w(where), conv(where), relu(where) {}
  TensorDescriptor x, y, bias;
  FilterDescriptor w;
  ConvolutionDescriptor conv;
  ActivationDescriptor relu;
  ConvChoice choice;
};

// Whether cuDNN accepts the convolution and computes the output shape the node expects.
bool output_matches(const ConvState& s, const ConvGeometry& g, const std::string& where) {
  std::vector<int> out(g.y.size());
  cudnnStatus_t status = cudnnGetConvolutionNdForwardOutputDim(s.conv.get(), s.x.get(), s.w.get(),
                                                               static_cast<int>(out.size()), out.data());
  if (cudnn_refused(status)) return false;
  check(status, "cudnnGetConvolutionNdForwardOutputDim", where);
  return Shape(out.begin(), out.end()) == g.y;
}

// Descriptors set up and an algorithm chosen; nullptr when cuDNN cannot run it.
std::shared_ptr<ConvState> make_conv_state(SegmentCompiler& c, const ConvGeometry& g, const std::string& where) {
  auto s = std::make_shared<ConvState>(where);
  describe_tensor(s->x, g.x, where);
  describe_tensor(s->y, g.y, where);
  Shape bias_shape(g.y.size(), 1);
  bias_shape[1] = g.out_channels();
  describe_tensor(s->bias, bias_shape, where);
  describe_filter(s->w, g.w, where);
  TANDEM_CUDA_CHECK(where, cudnnSetConvolutionNdDescriptor(s->conv.get(), static_cast<int>(g.pads.size()),
                                                           g.pads.data(), g.strides.data(), g.dilations.data(),
                                                           CUDNN_CROSS_CORRELATION, CUDNN_DATA_FLOAT));
  TANDEM_CUDA_CHECK(where, cudnnSetConvolutionGroupCount(s->conv.get(), g.group));
  TANDEM_CUDA_CHECK(where,
                    cudnnSetActivationDescriptor(s->relu.get(), CUDNN_ACTIVATION_RELU, CUDNN_PROPAGATE_NAN, 0.0));
  if (!output_matches(*s, g, where)) return nullptr;
  ConvProblem problem{&s->x, &s->w, &s->conv, &s->y, g.x, g.w, g.y};
  std::string signature = conv_signature(problem, g.pads, g.strides, g.dilations, g.group, conv_math_type(c.context()));
  std::optional<ConvChoice> choice = choose_conv_algorithm(c.context(), problem, signature, where);
  if (!choice) return nullptr;
  s->choice = *choice;
  TANDEM_CUDA_CHECK(where, cudnnSetConvolutionMathType(s->conv.get(), s->choice.math));
  return s;
}

// ---- steps ----

// The device tensors one convolution step reads and writes.
struct ConvTensors {
  DeviceTensor source, padded, weights, bias, residual, y;
  bool padding = false, has_bias = false, has_residual = false;

  std::vector<DeviceTensor> all() const {
    std::vector<DeviceTensor> list{source, weights, y};
    if (padding) list.push_back(padded);
    if (has_bias) list.push_back(bias);
    if (has_residual) list.push_back(residual);
    return list;
  }
};

ConvTensors conv_tensors(SegmentCompiler& c, const Node& node, const ConvGeometry& g, const ConvEpilogue& e,
                         bool relu_in_cudnn) {
  ConvTensors t;
  t.source = c.input(node.inputs[0]);
  t.padding = g.needs_padding();
  if (t.padding) t.padded = c.scratch(DType::f32, g.x);
  t.weights = c.input(node.inputs[1]);
  // cudnnConvolutionBiasActivationForward always reads a bias: zeros when the node has none.
  t.has_bias = e.bias || relu_in_cudnn;
  if (e.bias) t.bias = c.input(node.inputs[2]);
  else if (relu_in_cudnn) t.bias = c.constant(Tensor(DType::f32, {g.out_channels()}));
  t.has_residual = e.residual != kNoValue;
  if (t.has_residual) t.residual = c.input(e.residual);
  t.y = c.output(e.result);
  return t;
}

// One convolution step: pad (when needed), convolve, epilogue. Runs on ctx.stream.
struct ConvStep {
  const ConvState* state = nullptr;
  ConvGeometry g;
  ConvTensors t;
  kernels::ActivationParams act;
  bool relu_in_cudnn = false;   // the epilogue is cuDNN's bias + relu (+ residual z)
  bool epilogue_kernel = false;  // the epilogue is kernels::bias_activation
  std::string where;

  void operator()(const RunContext& ctx) const {
    if (t.padding) pad_source(ctx);
    if (relu_in_cudnn) return convolve_bias_relu(ctx);
    convolve(ctx);
    if (epilogue_kernel) bias_activation(ctx);
  }

  // padded (g.x) = source (g.source) with the pad excess as zeros.
  void pad_source(const RunContext& ctx) const {
    kernels::pad(ctx.ptr(t.source), kernel_dims(g.source), ctx.ptr(t.padded), kernel_dims(g.x),
                 kernel_dims(g.pad_begin), kernels::PadMode::Constant, 0, sizeof(float), ctx.stream);
    check_launch("kernels::pad", where);
  }

  const void* conv_input(const RunContext& ctx) const { return ctx.ptr(t.padding ? t.padded : t.source); }

  // y = relu(conv(x) + alpha2 * z + bias); z is the residual, or y itself (ignored, alpha2 0) without one.
  void convolve_bias_relu(const RunContext& ctx) const {
    const ConvState& s = *state;
    const float alpha2 = t.has_residual ? 1.0f : 0.0f;
    void* y = ctx.ptr(t.y);
    const void* z = t.has_residual ? static_cast<const void*>(ctx.ptr(t.residual)) : y;
    TANDEM_CUDA_CHECK(where, cudnnConvolutionBiasActivationForward(
                                 ctx.device->cudnn(), &kOne, s.x.get(), conv_input(ctx), s.w.get(), ctx.ptr(t.weights),
                                 s.conv.get(), s.choice.algo, ctx.workspace, s.choice.workspace, &alpha2, s.y.get(), z,
                                 s.bias.get(), ctx.ptr(t.bias), s.relu.get(), s.y.get(), y));
  }

  // y = conv(x)
  void convolve(const RunContext& ctx) const {
    const ConvState& s = *state;
    TANDEM_CUDA_CHECK(where, cudnnConvolutionForward(ctx.device->cudnn(), &kOne, s.x.get(), conv_input(ctx), s.w.get(),
                                                     ctx.ptr(t.weights), s.conv.get(), s.choice.algo, ctx.workspace,
                                                     s.choice.workspace, &kZero, s.y.get(), ctx.ptr(t.y)));
  }

  // y: (N, M, spatial) = act(y + bias[m] + residual), in place.
  void bias_activation(const RunContext& ctx) const {
    kernels::bias_activation(ctx.data<float>(t.y), t.has_bias ? ctx.data<float>(t.bias) : nullptr,
                             t.has_residual ? ctx.data<float>(t.residual) : nullptr, g.y[0], g.out_channels(),
                             g.spatial_outputs(), act, ctx.stream);
    check_launch("kernels::bias_activation", where);
  }
};

}  // namespace

void lower_conv(SegmentCompiler& c, const Node& node) {
  const Graph& graph = c.graph();
  const Value& x = graph.value(node.inputs[0]);
  const Value& w = *graph.input(node, 1);
  const Value* b = graph.input(node, 2);
  const Value& y = graph.output(node, 0);
  if (x.dtype != DType::f32 || w.dtype != DType::f32 || (b && b->dtype != DType::f32))
    return lower_host_fallback(c, node);
  std::optional<ConvGeometry> geometry = conv_geometry(node, x.shape, w.shape, y.shape);
  if (!geometry) return lower_host_fallback(c, node);
  const std::string where = c.where(node);
  std::shared_ptr<ConvState> state = make_conv_state(c, *geometry, where);
  if (!state) return lower_host_fallback(c, node);
  c.keep(state);
  c.need_workspace(state->choice.workspace);

  const ConvEpilogue e = conv_epilogue(c, node);
  for (int fused : e.fused) c.fuse(fused);
  ConvStep step;
  step.state = state.get();
  step.g = *geometry;
  step.act = kernel_activation(e.activation);
  step.relu_in_cudnn = e.activation.kind == ActivationKind::Relu && geometry->y.size() == 4;
  step.epilogue_kernel =
      !step.relu_in_cudnn && (e.bias || e.residual != kNoValue || e.activation.kind != ActivationKind::None);
  step.t = conv_tensors(c, node, *geometry, e, step.relu_in_cudnn);
  step.where = where;
  c.push(step, step.t.all());
}

}  // namespace tandem::cuda
