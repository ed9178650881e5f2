// Gemm on cuBLAS: Y (M, N) = alpha * op(A) * op(B) + beta * C with transA/transB and
// the node's fused activation. Row-major Y is computed as column-major
// Y^T = op(B)^T op(A)^T by one cublasGemmEx (strict float32, or TF32 when the context
// allows it). C, broadcast from a scalar, (N), (1, N), (M, 1) or (M, N):
//   - a row (N elements) with beta 1 is added with the activation after the product
//     in one kernels::bias_activation pass (the common fully connected layer);
//   - any other C is first broadcast into Y (kernels::copy_strided) and the product
//     accumulates onto it with cuBLAS's beta; the activation follows.
// Non-float inputs, empty products and sizes beyond cuBLAS's int run on the host.
#include "backends/cuda/blas_plan.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"
#include "ops/activation.h"

namespace tandem::cuda {

void lower_gemm(SegmentCompiler& c, const Node& node) {
  const Graph& graph = c.graph();
  const Value& a = graph.value(node.inputs[0]);
  const Value& b = graph.value(node.inputs[1]);
  const Value* c_value = graph.input(node, 2);
  if (a.dtype != DType::f32 || b.dtype != DType::f32 || (c_value && c_value->dtype != DType::f32))
    return lower_host_fallback(c, node);
  const GemmSpec s = gemm_spec(node, a.shape, b.shape);
  if (!gemm_fits_cublas(s)) return lower_host_fallback(c, node);
  const std::string where = c.where(node);
  const BlasCall call = gemm_call(s);
  const GemmCMode mode = gemm_c_mode(s, c_value);
  const GemmCStrides cs = c_value ? gemm_c_strides(c_value->shape) : GemmCStrides{};
  const kernels::ActivationParams act = kernel_activation(fused_activation(node));
  const cublasComputeType_t compute = blas_compute_type(c.context());
  const float blas_beta = mode == GemmCMode::Prefill ? s.beta : 0.0f;

  DeviceTensor ta = c.input(node.inputs[0]), tb = c.input(node.inputs[1]);
  std::vector<DeviceTensor> tensors{ta, tb};
  DeviceTensor tc;
  if (mode != GemmCMode::None) tensors.push_back(tc = c.input(node.inputs[2]));
  DeviceTensor y = c.output(node.outputs[0]);
  tensors.push_back(y);

  c.push([=](const RunContext& ctx) {
    float* out = ctx.data<float>(y);  // (M, N)
    if (mode == GemmCMode::Prefill) {
      kernels::copy_strided(ctx.ptr(tc), kernel_dims({cs.row, cs.col}), 0, out, kernel_dims({s.n, 1}), 0,
                            kernel_dims({s.m, s.n}), sizeof(float), ctx.stream);
      check_launch("kernels::copy_strided", where);
    }
    run_blas_call(ctx.device->cublas(), call, s.alpha, ctx.data<float>(tb), ctx.data<float>(ta), blas_beta, out,
                  compute, where);
    if (mode == GemmCMode::RowBias) {
      kernels::bias_activation(out, ctx.data<float>(tc), nullptr, s.m, s.n, 1, act, ctx.stream);
      check_launch("kernels::bias_activation", where);
    } else if (act.kind != kernels::Activation::None) {
      kernels::activation(out, out, s.m * s.n, act, ctx.stream);
      check_launch("kernels::activation", where);
    }
  }, tensors);
}

}  // namespace tandem::cuda
