// Softmax (opset-13 semantics: one axis; older opsets are rewritten to it on import)
// on cuDNN: x viewed as (outer, axis_dim, inner, 1) and normalised over its channels
// (CUDNN_SOFTMAX_MODE_CHANNEL) with the max-subtracting CUDNN_SOFTMAX_ACCURATE.
// Views beyond cuDNN's int limits run kernels::softmax; non-float inputs run on the host.
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

namespace {

// x viewed around the softmax axis.
struct AxisView {
  int64_t outer = 1, axis_dim = 1, inner = 1;
};

AxisView axis_view(const Node& node, const Shape& x) {
  size_t axis = normalize_axis(node, int_attr(node, "axis", -1), x.size());
  AxisView v;
  v.axis_dim = x[axis];
  for (size_t d = 0; d < axis; ++d) v.outer *= x[d];
  for (size_t d = axis + 1; d < x.size(); ++d) v.inner *= x[d];
  return v;
}

struct SoftmaxState {
  explicit SoftmaxState(const std::string& where) : tensor(where) {}
  TensorDescriptor tensor;  // x and y: (outer, axis_dim, inner, 1)
};

void lower_cudnn_softmax(SegmentCompiler& c, const Node& node, const Shape& view) {
  const std::string where = c.where(node);
  auto state = std::make_shared<SoftmaxState>(where);
  describe_tensor(state->tensor, view, where);
  c.keep(state);
  const SoftmaxState* st = state.get();
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  c.push([=](const RunContext& ctx) {
    TANDEM_CUDA_CHECK(where, cudnnSoftmaxForward(ctx.device->cudnn(), CUDNN_SOFTMAX_ACCURATE,
                                                 CUDNN_SOFTMAX_MODE_CHANNEL, &kOne, st->tensor.get(), ctx.ptr(x),
                                                 &kZero, st->tensor.get(), ctx.ptr(y)));
  }, {x, y});
}

void lower_kernel_softmax(SegmentCompiler& c, const Node& node, const AxisView& v) {
  const std::string where = c.where(node);
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  c.push([=](const RunContext& ctx) {
    kernels::softmax(ctx.data<float>(x), ctx.data<float>(y), v.outer, v.axis_dim, v.inner, ctx.stream);
    check_launch("kernels::softmax", where);
  }, {x, y});
}

}  // namespace

void lower_softmax(SegmentCompiler& c, const Node& node) {
  const Value& x = c.graph().value(node.inputs[0]);
  if (x.dtype != DType::f32 || x.shape.empty() || num_elements(x.shape) == 0) return lower_host_fallback(c, node);
  const AxisView v = axis_view(node, x.shape);
  const Shape view{v.outer, v.axis_dim, v.inner, 1};
  if (fits_cudnn(view)) return lower_cudnn_softmax(c, node, view);
  lower_kernel_softmax(c, node, v);
}

}  // namespace tandem::cuda
