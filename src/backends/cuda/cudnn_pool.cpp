// MaxPool and AveragePool (float32; 1-D to 3-D). cuDNN pooling runs the common case:
// symmetric pads, no dilation, no Indices output, and the output size cuDNN's floor
// formula gives (so ceil_mode only where it changes nothing); 1-D runs as 2-D with a
// height of 1. Every window then lies inside the padded input and holds a real
// element, so cuDNN's max (padding never wins) and averages (COUNT_INCLUDE_PADDING
// dividing by the whole window, EXCLUDE_PADDING by the real taps) are ONNX's.
// Everything else (asymmetric pads, dilations, ceil-mode windows, MaxPool's Indices)
// runs kernels::pool with the node's exact geometry; int8/uint8 MaxPool runs on the host.
#include <vector>

#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"
#include "backends/cuda/pool_plan.h"

namespace tandem::cuda {

namespace {

// ---- cuDNN ----

struct CudnnPoolState {
  explicit CudnnPoolState(const std::string& where) : x(where), y(where), pool(where) {}
  TensorDescriptor x, y;
  PoolingDescriptor pool;
};

cudnnPoolingMode_t cudnn_pool_mode(const PoolSpec& s) {
  if (s.max) return CUDNN_POOLING_MAX;
  return s.count_include_pad ? CUDNN_POOLING_AVERAGE_COUNT_INCLUDE_PADDING
                             : CUDNN_POOLING_AVERAGE_COUNT_EXCLUDE_PADDING;
}

// Descriptors for `p`; nullptr when cuDNN refuses it or its output size differs from
// ONNX's (ceil mode).
std::shared_ptr<CudnnPoolState> make_cudnn_pool_state(const PoolSpec& s, const CudnnPoolShape& p,
                                                      const std::string& where) {
  auto state = std::make_shared<CudnnPoolState>(where);
  describe_tensor(state->x, p.x, where);
  describe_tensor(state->y, p.y, where);
  TANDEM_CUDA_CHECK(where, cudnnSetPoolingNdDescriptor(state->pool.get(), cudnn_pool_mode(s), CUDNN_PROPAGATE_NAN,
                                                       static_cast<int>(p.window.size()), p.window.data(),
                                                       p.pads.data(), p.strides.data()));
  std::vector<int> out(p.y.size());
  cudnnStatus_t status =
      cudnnGetPoolingNdForwardOutputDim(state->pool.get(), state->x.get(), static_cast<int>(out.size()), out.data());
  if (cudnn_refused(status)) return nullptr;
  check(status, "cudnnGetPoolingNdForwardOutputDim", where);
  if (Shape(out.begin(), out.end()) != p.y) return nullptr;
  return state;
}

// Lowers through cuDNN; false (nothing done) when cuDNN does not fit.
bool lower_cudnn_pool(SegmentCompiler& c, const Node& node, const PoolSpec& s) {
  const Graph& graph = c.graph();
  std::optional<CudnnPoolShape> shape =
      cudnn_pool_shape(s, graph.value(node.inputs[0]).shape, graph.output(node, 0).shape);
  if (!shape) return false;
  const std::string where = c.where(node);
  std::shared_ptr<CudnnPoolState> state = make_cudnn_pool_state(s, *shape, where);
  if (!state) return false;
  c.keep(state);
  const CudnnPoolState* st = state.get();
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  c.push([=](const RunContext& ctx) {
    TANDEM_CUDA_CHECK(where, cudnnPoolingForward(ctx.device->cudnn(), st->pool.get(), &kOne, st->x.get(), ctx.ptr(x),
                                                 &kZero, st->y.get(), ctx.ptr(y)));
  }, {x, y});
  return true;
}

// ---- own kernel ----

kernels::PoolGeometry kernel_geometry(const PoolSpec& s, const Shape& x) {
  kernels::PoolGeometry g;
  g.batch = x[0];
  g.channels = x[1];
  g.spatial_rank = static_cast<int>(s.window.rank());
  for (size_t d = 0; d < s.window.rank(); ++d) {
    g.in[d] = s.window.input[d];
    g.out[d] = s.window.output[d];
    g.kernel[d] = s.window.kernel[d];
    g.stride[d] = s.window.strides[d];
    g.pad_begin[d] = s.window.pads_begin[d];
    g.pad_end[d] = s.window.pads_end[d];
    g.dilation[d] = s.window.dilations[d];
  }
  g.count_include_pad = s.count_include_pad;
  return g;
}

void lower_kernel_pool(SegmentCompiler& c, const Node& node, const PoolSpec& s) {
  const std::string where = c.where(node);
  const kernels::PoolGeometry g = kernel_geometry(s, c.graph().value(node.inputs[0]).shape);
  const kernels::PoolKind kind = s.max ? kernels::PoolKind::Max : kernels::PoolKind::Average;
  const int storage_order = s.storage_order;
  DeviceTensor x = c.input(node.inputs[0]);
  DeviceTensor y = c.output(node.outputs[0]);
  std::vector<DeviceTensor> tensors{x, y};
  DeviceTensor indices;
  if (s.indices) tensors.push_back(indices = c.output(node.outputs[1]));
  const bool with_indices = s.indices;
  c.push([=](const RunContext& ctx) {
    kernels::pool(kind, ctx.data<float>(x), ctx.data<float>(y), with_indices ? ctx.data<int64_t>(indices) : nullptr, g,
                  storage_order, ctx.stream);
    check_launch("kernels::pool", where);
  }, tensors);
}

}  // namespace

void lower_pool(SegmentCompiler& c, const Node& node) {
  const Graph& graph = c.graph();
  const Value& x = graph.value(node.inputs[0]);
  if (x.dtype != DType::f32 || num_elements(graph.output(node, 0).shape) == 0) return lower_host_fallback(c, node);
  const PoolSpec s = pool_spec(node, x.shape);
  if (lower_cudnn_pool(c, node, s)) return;
  lower_kernel_pool(c, node, s);
}

}  // namespace tandem::cuda
