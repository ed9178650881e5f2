// Concat without copying: for a Concat along channels, each input is a slice of the
// output: strided when channels last (any batch), contiguous at batch 1 in plain
// layout and in the 8-channel blocked layout (when the slice starts at a multiple of
// 8). Producers of the inputs write straight into those slices when their chosen
// layout is the group's; the Concat itself then only copies the inputs that could not
// (those needing a reorder side by side on the device's threads, cut by images or,
// for one image, by rows).
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/segment_compiler.h"

namespace tandem::cpu {

namespace {

constexpr int64_t kBlock = 8;

// Indices [first, last) along `axis` of `t` when its layout is strided without inner
// blocks (plain, channels last, a slice of a channels-last Concat output): the same
// strides from an offset; nullopt for blocked layouts.
std::optional<TensorRef> strided_range(const TensorRef& t, int axis, int64_t first, int64_t last) {
  const dnnl_memory_desc_t& d = t.md.data;
  if (d.format_kind != dnnl_blocked || d.format_desc.blocking.inner_nblks != 0 || d.offset0 != 0 ||
      t.md.data_type() != memory::data_type::f32)
    return std::nullopt;
  memory::dims dims(d.dims, d.dims + d.ndims), strides(d.format_desc.blocking.strides, d.format_desc.blocking.strides + d.ndims);
  dims[static_cast<size_t>(axis)] = last - first;
  TensorRef part = t;
  part.offset += static_cast<size_t>(first * strides[static_cast<size_t>(axis)]) * sizeof(float);
  part.md = strided_md(dims, strides);
  part.shape = Shape(dims.begin(), dims.end());
  part.plain = false;
  return part;
}

// The copy of `src` into `dst` (same dims) as reorders of up to `tasks` ranges of
// images, or of rows for one image, so that the device's threads share it; one
// reorder when the layouts cannot be cut that way.
std::vector<SegmentCompiler::Part> copy_parts(const dnnl::engine& engine, const TensorRef& src, const TensorRef& dst,
                                              int tasks) {
  auto reorder = [&](const TensorRef& from, const TensorRef& to) {
    return SegmentCompiler::Part{dnnl::reorder::primitive_desc(engine, from.md, engine, to.md, base_attr()),
                                 {{DNNL_ARG_SRC, from}, {DNNL_ARG_DST, to}}};
  };
  const Shape& shape = dst.shape;  // (N, C, spatial...)
  const int axis = shape[0] > 1 || shape.size() < 3 ? 0 : 2;
  const int64_t count = shape[static_cast<size_t>(axis)], pieces = std::min<int64_t>(tasks, count);
  std::vector<SegmentCompiler::Part> parts;
  for (int64_t p = 0; p < pieces && pieces > 1; ++p) {
    const int64_t first = count * p / pieces, last = count * (p + 1) / pieces;
    std::optional<TensorRef> from = strided_range(src, axis, first, last), to = strided_range(dst, axis, first, last);
    if (!from || !to) return {reorder(src, dst)};
    parts.push_back(reorder(*from, *to));
  }
  if (parts.empty()) parts.push_back(reorder(src, dst));
  return parts;
}

}  // namespace

void SegmentCompiler::plan_concats() {
  for (int n : segment_.nodes) {
    const Node& node = graph_.nodes[static_cast<size_t>(n)];
    if (node.op != "Concat" || node.outputs.size() != 1) continue;
    const Value& y = graph_.value(node.outputs[0]);
    auto rank = static_cast<int64_t>(y.shape.size());
    int64_t axis = node.attrs.get_int("axis", 0);
    if (y.dtype != DType::f32 || rank < 3 || rank > 5 || (axis != 1 && axis != 1 - rank) ||
        is_segment_output(node.outputs[0]))
      continue;
    ConcatGroup group{y.shape, {}, y.shape[0] == 1, true, -1, {}};
    std::set<int> seen;
    bool eligible = true;
    int64_t channel = 0;
    for (int in : node.inputs) {
      const Value& v = graph_.value(in);
      bool produced_here = false;
      for (int m : segment_.nodes)
        for (int out : graph_.nodes[static_cast<size_t>(m)].outputs) produced_here = produced_here || out == in;
      eligible = eligible && produced_here && seen.insert(in).second && consumers(in).size() == 1 &&
                 !is_segment_output(in) && v.dtype == DType::f32 && num_elements(v.shape) > 0;
      group.offsets.push_back(channel);
      group.blockable = group.blockable && channel % kBlock == 0;
      channel += eligible ? v.shape[1] : 0;
    }
    if (!eligible) continue;
    concat_groups_[n] = group;
    for (size_t i = 0; i < node.inputs.size(); ++i) concat_inputs_[node.inputs[i]] = {n, i};
  }
}

namespace {

// Input slice (N, c, spatial...) of a channels-last (N, C, spatial...) whole: strides of
// the whole, dims of the slice.
memory::desc channels_last_slice_md(const Shape& whole, const Shape& shape) {
  memory::dims strides(whole.size());
  strides[1] = 1;
  int64_t step = whole[1];
  for (size_t d = whole.size() - 1; d >= 2; --d) {
    strides[d] = step;
    step *= whole[d];
  }
  strides[0] = step;
  return strided_md(dnnl_dims(shape), strides);
}

}  // namespace

TensorRef SegmentCompiler::slice_of(const ConcatGroup& group, size_t input, const Shape& shape) const {
  TensorRef t;
  t.buffer = group.buffer;
  t.shape = shape;
  if (is_channels_last(group.layout)) {
    t.plain = false;
    t.offset = static_cast<size_t>(group.offsets[input]) * sizeof(float);
    t.md = channels_last_slice_md(group.shape, shape);
    return t;
  }
  int64_t plane = num_elements(Shape(shape.begin() + 2, shape.end()));
  t.offset = static_cast<size_t>(group.offsets[input] * plane) * sizeof(float);
  t.plain = is_plain(group.layout);
  t.md = t.plain ? plain_md(shape) : blocked8_md(shape);
  return t;
}

std::optional<memory::desc> SegmentCompiler::concat_layout(const ConcatGroup& group, const memory::desc& md,
                                                           const Shape& shape) const {
  if (is_channels_last(md) || md == channels_last_slice_md(group.shape, shape)) return channels_last_md(group.shape);
  if (!group.contiguous) return std::nullopt;
  if (is_plain(md)) return plain_md(group.shape);
  if (group.blockable && md == blocked8_md(shape)) return blocked8_md(group.shape);
  return std::nullopt;
}

std::optional<memory::desc> SegmentCompiler::concat_view(int value, const memory::desc& md) {
  auto it = concat_inputs_.find(value);
  if (it == concat_inputs_.end() || !is_channels_last(md)) return std::nullopt;
  const ConcatGroup& group = concat_groups_.at(it->second.first);
  if (group.buffer >= 0 && !is_channels_last(group.layout)) return std::nullopt;
  return channels_last_slice_md(group.shape, graph_.value(value).shape);
}

std::optional<TensorRef> SegmentCompiler::concat_slot(int value, const memory::desc& md) {
  auto it = concat_inputs_.find(value);
  if (it == concat_inputs_.end()) return std::nullopt;
  ConcatGroup& group = concat_groups_.at(it->second.first);
  const Shape& shape = graph_.value(value).shape;
  if (group.buffer < 0) {
    std::optional<memory::desc> layout = concat_layout(group, md, shape);
    if (!layout) return std::nullopt;
    group.layout = *layout;
    group.buffer = new_buffer(BufferKind::Arena, group.layout.get_size());
  }
  TensorRef slice = slice_of(group, it->second.second, shape);
  if (slice.md != md && !(slice.plain && is_plain(md))) return std::nullopt;
  return slice;
}

bool SegmentCompiler::finish_concat_in_place(const Node& node) {
  auto it = concat_groups_.find(segment_.nodes[static_cast<size_t>(position_)]);
  if (it == concat_groups_.end() || it->second.buffer < 0) return false;
  const ConcatGroup& group = it->second;
  std::vector<Part> reorders;  // the inputs to copy that need a reorder, run in parallel
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    TensorRef held = input(node.inputs[i]);
    TensorRef slice = slice_of(group, i, held.shape);
    if (held.buffer == slice.buffer && held.offset == slice.offset) continue;
    if (held.plain && slice.plain) {
      copy(held, slice);
      continue;
    }
    for (Part& part : copy_parts(engine_, held, slice, tasks())) reorders.push_back(std::move(part));
  }
  if (!reorders.empty()) push_parallel(reorders);
  TensorRef whole;
  whole.buffer = group.buffer;
  whole.shape = group.shape;
  whole.md = group.layout;
  whole.plain = is_plain(group.layout);
  define(node.outputs[0], whole);
  return true;
}

}  // namespace tandem::cpu
