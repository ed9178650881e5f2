// MatMul on cuBLAS with numpy semantics: a 1-D first operand is a row (1, K), a 1-D
// second operand a column (K, 1), leading batch dims broadcast. Row-major
// Y = A B runs as column-major Y^T = B^T A^T. The broadcast batch dims split into an
// inner run over which each operand is either contiguous or one shared matrix (run
// as one strided batched call, stride 0 for the shared one) and outer dims looped
// over with one call per index (all enqueued by one step, none synchronising). When
// B is shared by a contiguous run of A's matrices, they fold into the rows of one
// plain product. Non-float inputs, empty products and sizes beyond cuBLAS's int run
// on the host.
#include "backends/cuda/blas_plan.h"
#include "backends/cuda/cudnn_util.h"
#include "backends/cuda/lowering.h"

namespace tandem::cuda {

void lower_matmul(SegmentCompiler& c, const Node& node) {
  const Graph& graph = c.graph();
  const Value& a = graph.value(node.inputs[0]);
  const Value& b = graph.value(node.inputs[1]);
  if (a.dtype != DType::f32 || b.dtype != DType::f32 || a.shape.empty() || b.shape.empty())
    return lower_host_fallback(c, node);
  const MatMulShapes s = matmul_shapes(a.shape, b.shape);
  if (!matmul_fits_cublas(s)) return lower_host_fallback(c, node);
  const std::string where = c.where(node);
  const std::vector<BlasCall> calls = matmul_calls(s);
  const cublasComputeType_t compute = blas_compute_type(c.context());
  DeviceTensor ta = c.input(node.inputs[0]), tb = c.input(node.inputs[1]);
  DeviceTensor y = c.output(node.outputs[0]);
  c.push([=](const RunContext& ctx) {
    for (const BlasCall& call : calls)
      run_blas_call(ctx.device->cublas(), call, 1.0f, ctx.data<float>(tb), ctx.data<float>(ta), 0.0f,
                    ctx.data<float>(y), compute, where);
  }, {ta, tb, y});
}

}  // namespace tandem::cuda
