// Concat of f32 tensors: in place when the producers wrote into its output
// (concat_in_place.cpp), else on oneDNN concat, reading each input in the layout it is
// held in and letting oneDNN choose the output layout (plain inputs when it cannot).
// A concat along channels of several images runs as one oneDNN concat per slice of
// images, the slices on the device's threads (oneDNN runs single-threaded here).
// Other dtypes and empty inputs run the reference kernel.
#include <algorithm>

#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

// The concat `pd` (inputs `srcs`, output `dst`, along `axis`) cut into one concat per
// slice of images, one slice per task; empty when it cannot be cut (one image, a
// batch concat, a layout whose image slices are not dense, one task).
std::vector<SegmentCompiler::Part> image_slices(SegmentCompiler& c, int64_t axis, const std::vector<TensorRef>& srcs,
                                                const TensorRef& dst) {
  const int64_t images = dst.shape[0];
  const int64_t parts = std::min<int64_t>(c.tasks(), images);
  bool sliceable = axis != 0 && parts > 1 && same_layout(dst.md, dst.shape);
  for (const TensorRef& s : srcs) sliceable = sliceable && same_layout(s.md, s.shape);
  if (!sliceable) return {};
  std::vector<SegmentCompiler::Part> slices;
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t n0 = images * p / parts, n1 = images * (p + 1) / parts;
    std::vector<memory::desc> mds;
    std::vector<std::pair<int, TensorRef>> args;
    for (size_t i = 0; i < srcs.size(); ++i) {
      TensorRef part = layout_slice(srcs[i], srcs[i].md, n0, n1, 0, srcs[i].shape[1]);
      mds.push_back(part.md);
      args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), part);
    }
    TensorRef part_dst = layout_slice(dst, dst.md, n0, n1, 0, dst.shape[1]);
    args.emplace_back(DNNL_ARG_DST, part_dst);
    slices.push_back({dnnl::concat::primitive_desc(part_dst.md, static_cast<int>(axis), mds, c.engine(), base_attr()),
                      std::move(args)});
  }
  return slices;
}

}  // namespace

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
  TensorRef dst = c.output(node.outputs[0], pd.dst_desc());
  std::vector<SegmentCompiler::Part> slices = image_slices(c, axis, srcs, dst);
  if (!slices.empty()) return c.push_parallel(slices);
  std::vector<std::pair<int, TensorRef>> args;
  for (size_t i = 0; i < srcs.size(); ++i) args.emplace_back(DNNL_ARG_MULTIPLE_SRC + static_cast<int>(i), srcs[i]);
  args.emplace_back(DNNL_ARG_DST, dst);
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
