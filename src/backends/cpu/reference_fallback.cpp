// The op's reference kernel inside the cpu backend, for rare parameter combinations
// that are not worth an optimised path (each caller says which). Inputs are plain
// views of the planned buffers; outputs are written in place.
#include "backends/cpu/lowering.h"
#include "ops/op.h"

namespace tandem::cpu {

void lower_reference(SegmentCompiler& c, const Node& node) {
  std::vector<TensorRef> inputs, outputs, touched;
  for (int id : node.inputs) {
    inputs.push_back(id == kNoValue ? TensorRef{} : c.plain(id));
  }
  for (int id : node.outputs) {
    outputs.push_back(id == kNoValue ? TensorRef{} : c.output_plain(id));
  }
  for (const auto* list : {&inputs, &outputs})
    for (const TensorRef& t : *list)
      if (t.buffer >= 0) touched.push_back(t);
  const OpDef* def = find_op(node.op);
  const Node* n = &node;
  c.push_kernel(
      [=](const RunContext& ctx) {
        std::vector<Tensor> in, out;
        for (const TensorRef& t : inputs) in.push_back(t.buffer < 0 ? Tensor() : Tensor::view(t.dtype, t.shape, ctx.ptr(t)));
        for (const TensorRef& t : outputs) out.push_back(t.buffer < 0 ? Tensor() : Tensor::view(t.dtype, t.shape, ctx.ptr(t)));
        def->reference(*n, in, out);
      },
      touched);
}

}  // namespace tandem::cpu
