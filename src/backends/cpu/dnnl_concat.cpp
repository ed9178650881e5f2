// Concat of f32 tensors: in place when the producers wrote into its output
// (concat_in_place.cpp), else on oneDNN concat, reading each input in the layout it is
// held in and letting oneDNN choose the output layout (plain inputs when it cannot).
// Other dtypes and empty inputs run the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

void lower_concat(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& y = g.output(node, 0);
  bool simple = y.dtype == DType::f32 && !y.shape.empty();
  for (int in : node.inputs) simple = simple && num_elements(g.value(in).shape) > 0;
  if (!simple) return lower_reference(c, node);
  if (c.finish_concat_in_place(node)) return;
  auto rank = static_cast<int64_t>(y.shape.size());
  int64_t axis = node.attrs.get_int("axis", 0);
  if (axis < 0) axis += rank;
  std::vector<TensorRef> srcs;
  for (int in : node.inputs) srcs.push_back(c.input(in));
  auto make = [&]() {
    std::vector<memory::desc> mds;
    for (const TensorRef& s : srcs) mds.push_back(s.md);
    return dnnl::concat::primitive_desc(static_cast<int>(axis), mds, c.engine(), base_attr());
  };
  dnnl::concat::primitive_desc pd;
  try {
    pd = make();
  } catch (const dnnl::error&) {
    for (size_t i = 0; i < srcs.size(); ++i) srcs[i] = c.plain(node.inputs[i]);
    pd = make();
  }
  std::vector<std::pair<int, TensorRef>> args;
  for (size_t i = 0; i < srcs.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
  args.emplace_back(DNNL_ARG_DST, c.output(node.outputs[0], pd.dst_desc()));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
