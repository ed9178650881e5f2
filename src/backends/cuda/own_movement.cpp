// Concat, Split, Slice and Transpose on cuda, for every dtype (the kernel moves
// elements by size). Each output is a strided view of an input: when that view is
// one contiguous, aligned byte range (Split along the outermost non-trivial axis,
// Slice of leading rows, a Transpose that only moves unit axes) the output aliases
// the input's memory and nothing runs; otherwise one kernels::copy_strided per piece,
// all of a node in one step. Slice parameters that are not constants, and views with
// more than kernels::kMaxRank axes left after merging, go to the host fallback.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/lowering.h"
#include "backends/cuda/strides.h"
#include "ops/nn_util.h"

namespace tandem::cuda {
namespace {

using Layout = index_math::CopyLayout<int64_t>;


// One piece of a node's output: value `out` (or a part of it) is `layout` applied to
// value `in`, starting at element offsets src_offset / dst_offset.
struct Piece {
  int in = kNoValue, out = kNoValue;
  Layout layout;
  int64_t src_offset = 0, dst_offset = 0;
};

// A planned copy_strided call with its tensors resolved at compile time.
struct StridedCopy {
  DeviceTensor src, dst;
  kernels::Dims shape, src_strides, dst_strides;
  int64_t src_offset = 0, dst_offset = 0;
  int element_bytes = 1;
};

StridedCopy strided_copy(const DeviceTensor& src, const DeviceTensor& dst, const Piece& p) {
  StridedCopy s;
  s.src = src;
  s.dst = dst;
  s.shape = dims_of<kernels::Dims>(p.layout.shape, p.layout.rank);
  s.src_strides = dims_of<kernels::Dims>(p.layout.src, p.layout.rank);
  s.dst_strides = dims_of<kernels::Dims>(p.layout.dst, p.layout.rank);
  s.src_offset = p.src_offset;
  s.dst_offset = p.dst_offset;
  s.element_bytes = static_cast<int>(dtype_size(src.dtype));
  return s;
}

// One step enqueuing every copy of the node being lowered.
void push_copies(SegmentCompiler& c, const Node& node, std::vector<StridedCopy> copies) {
  if (copies.empty()) return;
  std::vector<DeviceTensor> touched;
  for (const StridedCopy& s : copies) {
    touched.push_back(s.src);
    touched.push_back(s.dst);
  }
  c.push(
      [copies = std::move(copies), where = c.where(node)](const RunContext& ctx) {
        for (const StridedCopy& s : copies) {
          kernels::copy_strided(ctx.ptr(s.src), s.src_strides, s.src_offset, ctx.ptr(s.dst), s.dst_strides,
                                s.dst_offset, s.shape, s.element_bytes, ctx.stream);
          check_launch("kernels::copy_strided", where);
        }
      },
      touched);
}

// The input's bytes from element `offset` on, under the output's shape, when they are
// the whole output in order and start aligned; otherwise nullopt.
std::optional<DeviceTensor> aligned_run(const DeviceTensor& src, const Value& out, const Piece& p) {
  if (!is_contiguous_run(p.layout) || p.dst_offset != 0) return std::nullopt;
  DeviceTensor view = src;
  view.offset += static_cast<size_t>(p.src_offset) * dtype_size(src.dtype);
  if (view.offset % kArenaAlignment != 0) return std::nullopt;
  view.dtype = out.dtype;
  view.shape = out.shape;
  return view;
}

// Lowers pieces that each fill one whole output (Slice, Transpose, Split): an alias
// where the piece is an aligned contiguous run of its input, else a copy.
void lower_pieces(SegmentCompiler& c, const Node& node, const std::vector<Piece>& pieces) {
  std::vector<StridedCopy> copies;
  for (const Piece& p : pieces) {
    const Value& out = c.graph().value(p.out);
    if (num_elements(out.shape) == 0) {
      c.output(p.out);
      continue;
    }
    const DeviceTensor src = c.input(p.in);
    if (std::optional<DeviceTensor> view = aligned_run(src, out, p)) {
      c.alias(p.out, *view);
      continue;
    }
    copies.push_back(strided_copy(src, c.output(p.out), p));
  }
  push_copies(c, node, std::move(copies));
}

// The piece reading `view` of input `in` into the whole of dense output `out`;
// nullopt when more axes than the kernel takes remain after merging.
std::optional<Piece> whole_output_piece(const Graph& g, int in, int out, const StridedView& view) {
  const Shape& shape = g.value(out).shape;
  if (num_elements(shape) == 0) return Piece{in, out, Layout{}, 0, 0};
  std::optional<Layout> layout = copy_layout(shape, view.strides, dense_strides(shape));
  if (!layout) return std::nullopt;
  return Piece{in, out, *layout, view.offset, 0};
}

// Input i of a Slice as int64s: an empty list when absent, nullopt when not a constant.
std::optional<std::vector<int64_t>> constant_param(const Graph& g, const Node& node, size_t i) {
  const Value* v = g.input(node, i);
  if (!v) return std::vector<int64_t>();
  if (!v->is_constant()) return std::nullopt;
  return v->data->to_int64s();
}

}  // namespace

void lower_transpose(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Shape& x = g.value(node.inputs[0]).shape;
  const std::vector<int64_t> perm = ints_attr(node, "perm", reversed_axes(x.size()));
  std::optional<Piece> piece = whole_output_piece(g, node.inputs[0], node.outputs[0], transpose_view(x, perm));
  if (!piece) return lower_host_fallback(c, node);
  lower_pieces(c, node, {*piece});
}

void lower_slice(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Shape& x = g.value(node.inputs[0]).shape;
  auto starts = constant_param(g, node, 1), ends = constant_param(g, node, 2);
  auto axes = constant_param(g, node, 3), steps = constant_param(g, node, 4);
  if (!starts || !ends || !axes || !steps) return lower_host_fallback(c, node);
  const Shape& out = g.output(node, 0).shape;
  StridedView view = slice_view(x, out, *starts, *axes, *steps);
  std::optional<Piece> piece = whole_output_piece(g, node.inputs[0], node.outputs[0], view);
  if (!piece) return lower_host_fallback(c, node);
  lower_pieces(c, node, {*piece});
}

void lower_split(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Shape& x = g.value(node.inputs[0]).shape;
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), x.size());
  const Value* split_input = g.input(node, 1);
  if (split_input && !split_input->is_constant()) return lower_host_fallback(c, node);
  std::optional<std::vector<int64_t>> split;
  if (split_input) split = split_input->data->to_int64s();
  const std::vector<int64_t> sizes = split_sizes(x[axis], node.outputs.size(), split, node.attrs.has("num_outputs"));
  const std::vector<int64_t> x_strides = dense_strides(x);
  std::vector<Piece> pieces;
  int64_t start = 0;
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    if (node.outputs[i] != kNoValue) {
      const StridedView band{start * x_strides[axis], x_strides};
      std::optional<Piece> piece = whole_output_piece(g, node.inputs[0], node.outputs[i], band);
      if (!piece) return lower_host_fallback(c, node);
      pieces.push_back(*piece);
    }
    start += sizes[i];
  }
  lower_pieces(c, node, pieces);
}

void lower_concat(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Shape& out = g.output(node, 0).shape;
  const size_t axis = normalize_axis(node, int_attr(node, "axis", 0), out.size());
  const std::vector<int64_t> out_strides = dense_strides(out);
  std::vector<Piece> pieces;
  int64_t start = 0;
  for (int in : node.inputs) {
    const Shape& shape = g.value(in).shape;
    if (num_elements(shape) > 0) {
      std::optional<Layout> layout = copy_layout(shape, dense_strides(shape), out_strides);
      if (!layout) return lower_host_fallback(c, node);
      pieces.push_back(Piece{in, node.outputs[0], *layout, 0, start * out_strides[axis]});
    }
    start += shape[axis];
  }
  if (pieces.size() == 1 && num_elements(g.value(pieces[0].in).shape) == num_elements(out))
    return lower_pieces(c, node, pieces);  // one non-empty input: the output is that input
  std::vector<DeviceTensor> sources;
  for (const Piece& p : pieces) sources.push_back(c.input(p.in));
  const DeviceTensor dst = c.output(node.outputs[0]);
  std::vector<StridedCopy> copies;
  for (size_t i = 0; i < pieces.size(); ++i) copies.push_back(strided_copy(sources[i], dst, pieces[i]));
  push_copies(c, node, std::move(copies));
}

}  // namespace tandem::cuda
