// Gather on cuda for every data dtype, along any axis, with int32 or int64 indices
// from device memory (uploaded constants or computed by earlier steps), through
// kernels::gather. Constant indices are range-checked by shape inference; computed
// ones outside [-dim, dim) give zeros on the GPU, where the reference stops with an
// error (a step cannot report one without synchronising).
#include <string>

#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "ops/nn_util.h"

namespace tandem::cuda {

void lower_gather(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& data = g.value(node.inputs[0]);
  const Value& indices = g.value(node.inputs[1]);
  if (indices.dtype != DType::i32 && indices.dtype != DType::i64) return lower_host_fallback(c, node);
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), data.shape.size());
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= data.shape[d];
  for (size_t d = axis + 1; d < data.shape.size(); ++d) inner *= data.shape[d];
  const int64_t axis_dim = data.shape[axis];
  const int64_t count = num_elements(indices.shape);
  const DeviceTensor y = c.output(node.outputs[0]);
  if (y.numel() == 0) return;
  const DeviceTensor src = c.input(node.inputs[0]);
  const DeviceTensor rows = c.input(node.inputs[1]);
  const bool indices_i32 = indices.dtype == DType::i32;
  const int element_bytes = static_cast<int>(dtype_size(data.dtype));
  c.push(
      [=, where = c.where(node)](const RunContext& ctx) {
        kernels::gather(ctx.ptr(src), outer, axis_dim, inner, ctx.ptr(rows), indices_i32, count, ctx.ptr(y),
                        element_bytes, ctx.stream);
        check_launch("kernels::gather", where);
      },
      {src, rows, y});
}

}  // namespace tandem::cuda
