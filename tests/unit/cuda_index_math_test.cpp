// Host checks of the cuda backend's data-movement and pooling index math
// (backends/cuda/kernels/index_math.h, backends/cuda/strides.h). No GPU runs here:
// each test builds the layouts exactly as the lowerings do, replays what the kernel
// launchers decide (axis merging, vector widening, 32- or 64-bit index math, tiled
// transposes) and runs the kernels' per-element functions in a loop over linear
// indices, then compares with the reference op (Transpose, Slice, Concat, Split, Pad,
// Gather, MaxPool, AveragePool) on random shapes and parameters.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "backends/cuda/kernels/index_math.h"
#include "backends/cuda/strides.h"
#include "ops/nn_util.h"
#include "ops/op.h"

using namespace tandem;
using namespace tandem::cuda;
using index_math::CopyLayout;
using index_math::PadLayout;
using index_math::PoolWindow;

namespace {

using Ints = std::vector<int64_t>;

// ---- one node, its reference result ----

class OneNode {
 public:
  explicit OneNode(const std::string& op) {
    node_.op = op;
    node_.name = "n";
  }
  OneNode& in(const Tensor& t) {
    node_.inputs.push_back(graph_.add_value("in" + std::to_string(inputs_.size()), t.dtype(), t.shape()));
    inputs_.push_back(t);
    return *this;
  }
  OneNode& param(const Tensor& t) {
    node_.inputs.push_back(graph_.add_constant("param" + std::to_string(inputs_.size()), t));
    inputs_.push_back(t);
    return *this;
  }
  OneNode& absent() {
    node_.inputs.push_back(kNoValue);
    inputs_.emplace_back();
    return *this;
  }
  OneNode& attr(const std::string& name, AttributeValue value) {
    node_.attrs.set(name, std::move(value));
    return *this;
  }
  // Infers shapes and runs the reference kernel.
  std::vector<Tensor> run(size_t outputs = 1) {
    for (size_t i = 0; i < outputs; ++i) node_.outputs.push_back(graph_.add_value("out" + std::to_string(i)));
    graph_.nodes.push_back(node_);
    infer_shapes(graph_);
    return run_reference(graph_.nodes.back(), graph_, inputs_);
  }
  const Graph& graph() const { return graph_; }
  const Node& node() const { return graph_.nodes.back(); }
  const Shape& out_shape(size_t i = 0) const { return graph_.value(graph_.nodes.back().outputs.at(i)).shape; }

 private:
  Graph graph_;
  Node node_;
  std::vector<Tensor> inputs_;
};

Tensor ints(const Ints& v) { return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v); }

// A tensor of `dtype` with random bytes (data movement only compares bytes).
Tensor random_bytes(DType dtype, const Shape& shape, std::mt19937& rng) {
  Tensor t(dtype, shape);
  auto* p = static_cast<unsigned char*>(t.raw());
  for (size_t i = 0; i < t.nbytes(); ++i) p[i] = static_cast<unsigned char>(rng());
  return t;
}

Shape random_shape(std::mt19937& rng, size_t min_rank, size_t max_rank, int64_t max_dim) {
  Shape s(min_rank + rng() % (max_rank - min_rank + 1));
  for (int64_t& d : s) d = 1 + static_cast<int64_t>(rng() % static_cast<uint64_t>(max_dim));
  return s;
}

int64_t pick(std::mt19937& rng, int64_t lo, int64_t hi) {  // uniform in [lo, hi]
  return lo + static_cast<int64_t>(rng() % static_cast<uint64_t>(hi - lo + 1));
}

DType random_movement_dtype(std::mt19937& rng) {
  const DType dtypes[] = {DType::f32, DType::u8, DType::i64, DType::f16, DType::i32, DType::f64};
  return dtypes[rng() % 6];
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

// ---- copy_strided, replayed on the host ----

// Which paths the replays took, so that tests can insist every path was exercised.
struct PathCounts {
  int tiles = 0, widened = 0, elements = 0, int64_only = 0;
};
PathCounts g_paths;

void replay_tiles(const std::byte* src, std::byte* dst, const index_math::TileCopy& t, int unit) {
  using index_math::kTile;
  using index_math::kTileRows;
  std::vector<std::byte> tile(static_cast<size_t>(kTile * (kTile + 1) * unit));
  const int64_t row_tiles = (t.rows + kTile - 1) / kTile, col_tiles = (t.cols + kTile - 1) / kTile;
  for (int64_t b = 0; b < t.batches; ++b) {
    int64_t batch_src = 0, batch_dst = 0;
    index_math::copy_offsets<int64_t>(b, t.batch, batch_src, batch_dst);
    for (int64_t rt = 0; rt < row_tiles; ++rt)
      for (int64_t ct = 0; ct < col_tiles; ++ct) {
        const int64_t row0 = rt * kTile, col0 = ct * kTile;
        for (int ty = 0; ty < kTileRows; ++ty)
          for (int tx = 0; tx < kTile; ++tx)
            for (int j = ty; j < kTile; j += kTileRows) {
              const int64_t row = row0 + tx, col = col0 + j;
              if (row < t.rows && col < t.cols)
                std::memcpy(&tile[static_cast<size_t>((j * (kTile + 1) + tx) * unit)],
                            src + index_math::tile_src_offset(t, batch_src, row, col) * unit, static_cast<size_t>(unit));
            }
        for (int ty = 0; ty < kTileRows; ++ty)
          for (int tx = 0; tx < kTile; ++tx)
            for (int j = ty; j < kTile; j += kTileRows) {
              const int64_t row = row0 + j, col = col0 + tx;
              if (row < t.rows && col < t.cols)
                std::memcpy(dst + index_math::tile_dst_offset(t, batch_dst, row, col) * unit,
                            &tile[static_cast<size_t>((tx * (kTile + 1) + j) * unit)], static_cast<size_t>(unit));
            }
      }
  }
}

void replay_elements(const std::byte* src, std::byte* dst, const CopyLayout<int64_t>& layout, int unit) {
  const int64_t count = index_math::copy_elements(layout);
  const bool narrow = index_math::copy_fits_int32(layout);
  const CopyLayout<int32_t> small = index_math::narrow(layout);
  if (!narrow) ++g_paths.int64_only;
  for (int64_t i = 0; i < count; ++i) {
    int64_t from = 0, to = 0;
    index_math::copy_offsets<int64_t>(i, layout, from, to);
    if (narrow) {
      int32_t from32 = 0, to32 = 0;
      index_math::copy_offsets<int32_t>(static_cast<int32_t>(i), small, from32, to32);
      ASSERT_EQ(from32, from);
      ASSERT_EQ(to32, to);
    }
    std::memcpy(dst + to * unit, src + from * unit, static_cast<size_t>(unit));
  }
}

// What kernels::copy_strided does with these arguments (the layout stands for the
// Dims the lowering passes).
void replay_copy_strided(const void* src, const CopyLayout<int64_t>& given, int64_t src_offset, void* dst,
                         int64_t dst_offset, int element_bytes) {
  CopyLayout<int64_t> layout = given;
  if (index_math::copy_elements(layout) == 0) return;
  layout.rank = index_math::merge_axes(layout.rank, layout.shape, layout.src, layout.dst);
  const auto* from = static_cast<const std::byte*>(src) + src_offset * element_bytes;
  auto* to = static_cast<std::byte*>(dst) + dst_offset * element_bytes;
  if (index_math::is_tile_transpose(layout)) {
    ++g_paths.tiles;
    return replay_tiles(from, to, index_math::tile_copy(layout), element_bytes);
  }
  const int unit = index_math::widen_to_vectors(layout, element_bytes, reinterpret_cast<uint64_t>(from),
                                                reinterpret_cast<uint64_t>(to));
  ++(unit > element_bytes ? g_paths.widened : g_paths.elements);
  replay_elements(from, to, layout, unit);
}

// What lower_pieces does for one whole output: an alias of the bytes at the offset
// when the view is one contiguous run, else the copy.
Tensor replay_whole_output(const Tensor& x, const Shape& out, const StridedView& view) {
  Tensor y(x.dtype(), out);
  if (y.numel() == 0) return y;
  std::optional<CopyLayout<int64_t>> layout = copy_layout(out, view.strides, dense_strides(out));
  EXPECT_TRUE(layout.has_value());
  if (!layout) return y;
  const auto element = static_cast<int64_t>(dtype_size(x.dtype()));
  if (is_contiguous_run(*layout))
    std::memcpy(y.raw(), static_cast<const std::byte*>(x.raw()) + view.offset * element, y.nbytes());
  else
    replay_copy_strided(x.raw(), *layout, view.offset, y.raw(), 0, static_cast<int>(element));
  return y;
}

// ---- unit checks of the small functions ----

TEST(CudaIndexMath, MergeAxesJoinsAxesContiguousOnBothSides) {
  // A dense (2, 3, 4) copy is one run of 24.
  int64_t shape[] = {2, 3, 4}, src[] = {12, 4, 1}, dst[] = {12, 4, 1};
  ASSERT_EQ(index_math::merge_axes(3, shape, src, dst), 1);
  EXPECT_EQ(shape[0], 24);
  EXPECT_EQ(src[0], 1);
  // Concat of (2, 3, 4) into (2, 5, 4) along axis 1: rows of 12 in a stride of 20.
  int64_t shape2[] = {2, 3, 4}, src2[] = {12, 4, 1}, dst2[] = {20, 4, 1};
  ASSERT_EQ(index_math::merge_axes(3, shape2, src2, dst2), 2);
  EXPECT_EQ((Ints{shape2[0], shape2[1], src2[0], src2[1], dst2[0], dst2[1]}), (Ints{2, 12, 12, 1, 20, 1}));
  // Size-1 axes vanish; nothing left is one element.
  int64_t shape3[] = {1, 1}, src3[] = {5, 7}, dst3[] = {1, 1};
  ASSERT_EQ(index_math::merge_axes(2, shape3, src3, dst3), 1);
  EXPECT_EQ(shape3[0], 1);
  // A fully reversed source is one backward run.
  int64_t shape4[] = {3, 4}, src4[] = {-4, -1}, dst4[] = {4, 1};
  ASSERT_EQ(index_math::merge_axes(2, shape4, src4, dst4), 1);
  EXPECT_EQ((Ints{shape4[0], src4[0], dst4[0]}), (Ints{12, -1, 1}));
  // Only the inner axis reversed: the axes stay apart.
  int64_t shape5[] = {3, 4}, src5[] = {4, -1}, dst5[] = {4, 1};
  EXPECT_EQ(index_math::merge_axes(2, shape5, src5, dst5), 2);
}

TEST(CudaIndexMath, WidensOnlyAlignedContiguousRows) {
  CopyLayout<int64_t> rows;
  rows.rank = 2;
  rows.shape[0] = 3, rows.shape[1] = 8;
  rows.src[0] = 16, rows.src[1] = 1;
  rows.dst[0] = 8, rows.dst[1] = 1;
  CopyLayout<int64_t> l = rows;
  EXPECT_EQ(index_math::widen_to_vectors(l, 4, 0, 64), 16);  // 32-byte rows, 64-byte strides
  EXPECT_EQ((Ints{l.shape[1], l.src[0], l.dst[0]}), (Ints{2, 4, 2}));
  l = rows;
  EXPECT_EQ(index_math::widen_to_vectors(l, 4, 8, 64), 8);  // src only 8-byte aligned
  EXPECT_EQ((Ints{l.shape[1], l.src[0], l.dst[0]}), (Ints{4, 8, 4}));
  l = rows;
  EXPECT_EQ(index_math::widen_to_vectors(l, 4, 64, 8), 8);  // dst only 8-byte aligned
  l = rows;
  EXPECT_EQ(index_math::widen_to_vectors(l, 4, 4, 64), 4);  // no wider unit: unchanged
  EXPECT_EQ(l.shape[1], 8);
  l = rows;
  l.dst[0] = 9;  // a 36-byte row pitch: 4-byte units only
  EXPECT_EQ(index_math::widen_to_vectors(l, 4, 0, 0), 4);
  l = rows;
  l.src[1] = 2;  // strided rows are never widened
  EXPECT_EQ(index_math::widen_to_vectors(l, 1, 0, 0), 1);
}

TEST(CudaIndexMath, Int32OnlyWhenEveryOffsetFits) {
  CopyLayout<int64_t> l;
  l.rank = 2;
  l.shape[0] = 2, l.shape[1] = int64_t{1} << 30;
  l.src[0] = int64_t{1} << 30, l.src[1] = 1;
  l.dst[0] = int64_t{1} << 30, l.dst[1] = 1;
  EXPECT_FALSE(index_math::copy_fits_int32(l));  // 2^31 elements
  l.shape[0] = 1;
  EXPECT_TRUE(index_math::copy_fits_int32(l));
  l.src[1] = -3;  // reversed, reaching 3 * (2^30 - 1) below the start
  EXPECT_FALSE(index_math::copy_fits_int32(l));
}

TEST(CudaIndexMath, WindowTapsHandleDilationPadsAndOverhang) {
  PoolWindow w;
  w.in[2] = 5;
  w.kernel[2] = 3;
  w.stride[2] = 2;
  w.dilation[2] = 2;
  w.pad_begin[2] = 2;
  w.pad_end[2] = 1;
  // o = 0: inputs -2, 0, 2 -> taps 1, 2 real; -2 is padding.
  index_math::TapRange r = index_math::real_taps(w, 2, 0);
  EXPECT_EQ(r.first, 1);
  EXPECT_EQ(r.end, 3);
  EXPECT_EQ(index_math::padded_tap_count(w, 2, 0), 3);
  // o = 3: inputs 4, 6, 8 -> tap 0 real; 6 is padding (5 + 1 = 6 is outside), 8 beyond.
  r = index_math::real_taps(w, 2, 3);
  EXPECT_EQ(r.first, 0);
  EXPECT_EQ(r.end, 1);
  EXPECT_EQ(index_math::padded_tap_count(w, 2, 3), 1);
  // A window that skips the input entirely has no taps.
  w.in[2] = 1;
  w.kernel[2] = 2;
  w.dilation[2] = 5;
  w.pad_begin[2] = 1;
  w.stride[2] = 1;
  EXPECT_EQ(index_math::real_taps(w, 2, 0).count(), 0);
}

TEST(CudaIndexMath, PadSourceIndexFollowsEachMode) {
  using index_math::PadRule;
  // dim 3, begin 4: outputs 0..10 read x at i = j - 4.
  std::vector<int64_t> reflect, edge;
  for (int64_t j = 0; j < 11; ++j) {
    reflect.push_back(index_math::pad_source_index<int64_t>(PadRule::Reflect, j, 4, 3));
    edge.push_back(index_math::pad_source_index<int64_t>(PadRule::Edge, j, 4, 3));
  }
  EXPECT_EQ(reflect, (Ints{0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2}));
  EXPECT_EQ(edge, (Ints{0, 0, 0, 0, 0, 1, 2, 2, 2, 2, 2}));
  EXPECT_EQ(index_math::pad_source_index<int32_t>(PadRule::Constant, 1, 2, 3), -1);
  EXPECT_EQ(index_math::pad_source_index<int32_t>(PadRule::Reflect, 5, 2, 1), 0);
}

// ---- Transpose ----

TEST(CudaIndexMath, TransposeMatchesReference) {
  std::mt19937 rng(11);
  g_paths = {};
  for (int trial = 0; trial < 300; ++trial) {
    Shape shape = random_shape(rng, 0, 6, 5);
    if (trial % 10 == 0) shape = {pick(rng, 1, 3), pick(rng, 16, 70), pick(rng, 16, 70)};  // tiled path
    if (trial % 10 == 1) shape = {pick(rng, 16, 40), pick(rng, 1, 3), pick(rng, 16, 40), 4};
    const DType dtype = random_movement_dtype(rng);
    Ints perm(shape.size());
    for (size_t i = 0; i < perm.size(); ++i) perm[i] = static_cast<int64_t>(i);
    std::shuffle(perm.begin(), perm.end(), rng);
    const bool default_perm = trial % 7 == 0 && trial % 10 > 1;
    if (default_perm) perm = reversed_axes(shape.size());
    if (trial % 10 == 0) perm = {0, 2, 1};
    const Tensor x = random_bytes(dtype, shape, rng);
    OneNode n("Transpose");
    n.in(x);
    if (!default_perm) n.attr("perm", perm);
    const Tensor expected = n.run()[0];
    const Tensor got = replay_whole_output(x, n.out_shape(), transpose_view(shape, perm));
    ASSERT_TRUE(same_bytes(got, expected)) << "trial " << trial << " shape " << shape_str(shape) << " perm "
                                           << ::testing::PrintToString(perm);
  }
  EXPECT_GT(g_paths.tiles, 10);
  EXPECT_GT(g_paths.widened, 10);
  EXPECT_GT(g_paths.elements, 10);
}

// ---- Slice ----

int64_t random_bound(std::mt19937& rng, int64_t dim) {
  switch (rng() % 10) {
    case 0: return std::numeric_limits<int64_t>::max();
    case 1: return std::numeric_limits<int64_t>::min();
    default: return pick(rng, -dim - 3, dim + 3);
  }
}

TEST(CudaIndexMath, SliceMatchesReference) {
  std::mt19937 rng(12);
  g_paths = {};
  for (int trial = 0; trial < 400; ++trial) {
    const Shape shape = random_shape(rng, 1, 5, 7);
    const DType dtype = random_movement_dtype(rng);
    Ints axes(shape.size());
    for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
    std::shuffle(axes.begin(), axes.end(), rng);
    axes.resize(1 + rng() % shape.size());
    Ints starts, ends, steps;
    for (int64_t& a : axes) {
      const int64_t dim = shape[static_cast<size_t>(a)];
      starts.push_back(random_bound(rng, dim));
      ends.push_back(random_bound(rng, dim));
      int64_t step = pick(rng, 1, 3) * (rng() % 2 ? 1 : -1);
      if (rng() % 20 == 0) step = rng() % 2 ? std::numeric_limits<int64_t>::max() : std::numeric_limits<int64_t>::min();
      steps.push_back(step);
      if (rng() % 3 == 0) a -= static_cast<int64_t>(shape.size());  // negative axes
    }
    const bool leading_axes = trial % 5 == 0, unit_steps = trial % 4 == 0;
    if (leading_axes) axes.clear();
    if (unit_steps) steps.clear();
    if (leading_axes) {  // starts/ends then apply to axes 0, 1, ... in order
      for (size_t i = 0; i < starts.size(); ++i) {
        const int64_t dim = shape[i];
        starts[i] = random_bound(rng, dim);
        ends[i] = random_bound(rng, dim);
      }
    }
    const Tensor x = random_bytes(dtype, shape, rng);
    OneNode n("Slice");
    n.in(x).param(ints(starts)).param(ints(ends));
    if (!axes.empty()) n.param(ints(axes));
    else if (!steps.empty()) n.absent();
    if (!steps.empty()) n.param(ints(steps));
    const Tensor expected = n.run()[0];
    const StridedView view = slice_view(shape, n.out_shape(), starts, axes, steps);
    const Tensor got = replay_whole_output(x, n.out_shape(), view);
    ASSERT_TRUE(same_bytes(got, expected)) << "trial " << trial << " shape " << shape_str(shape);
  }
  EXPECT_GT(g_paths.elements + g_paths.widened, 30);
}

// ---- Concat and Split ----

TEST(CudaIndexMath, ConcatMatchesReference) {
  std::mt19937 rng(13);
  for (int trial = 0; trial < 200; ++trial) {
    const Shape base = random_shape(rng, 1, 5, 5);
    const DType dtype = random_movement_dtype(rng);
    const auto rank = static_cast<int64_t>(base.size());
    int64_t axis = pick(rng, -rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    std::vector<Tensor> inputs;
    OneNode n("Concat");
    n.attr("axis", axis);
    const int count = static_cast<int>(1 + rng() % 4);
    for (int i = 0; i < count; ++i) {
      Shape s = base;
      s[a] = pick(rng, 0, 4);
      inputs.push_back(random_bytes(dtype, s, rng));
      n.in(inputs.back());
    }
    const Tensor expected = n.run()[0];
    const Shape& out = n.out_shape();
    Tensor got(dtype, out);
    const Ints out_strides = dense_strides(out);
    int64_t start = 0;
    for (const Tensor& in : inputs) {  // as lower_concat: one copy per non-empty input
      if (in.numel() > 0) {
        std::optional<CopyLayout<int64_t>> layout = copy_layout(in.shape(), dense_strides(in.shape()), out_strides);
        ASSERT_TRUE(layout.has_value());
        replay_copy_strided(in.raw(), *layout, 0, got.raw(), start * out_strides[a], static_cast<int>(dtype_size(dtype)));
      }
      start += in.dim(a);
    }
    ASSERT_TRUE(same_bytes(got, expected)) << "trial " << trial << " base " << shape_str(base) << " axis " << axis;
  }
}

TEST(CudaIndexMath, SplitMatchesReference) {
  std::mt19937 rng(14);
  for (int trial = 0; trial < 200; ++trial) {
    Shape shape = random_shape(rng, 1, 4, 5);
    const DType dtype = random_movement_dtype(rng);
    const auto rank = static_cast<int64_t>(shape.size());
    const int64_t axis = pick(rng, -rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const size_t parts = 1 + rng() % 4;
    std::optional<Ints> split;
    const int form = static_cast<int>(rng() % 3);  // 0: split input, 1: equal parts, 2: num_outputs
    if (form == 0) {
      split = Ints(parts);
      int64_t total = 0;
      for (int64_t& s : *split) total += s = pick(rng, 0, 3);
      shape[a] = total;
    } else if (form == 1) {
      shape[a] = static_cast<int64_t>(parts) * pick(rng, 0, 3);
    } else {
      const auto chunk = pick(rng, 1, 3);
      shape[a] = chunk * static_cast<int64_t>(parts - 1) + pick(rng, 1, chunk);
    }
    const Tensor x = random_bytes(dtype, shape, rng);
    OneNode n("Split");
    n.in(x).attr("axis", axis);
    if (split) n.param(ints(*split));
    if (form == 2) n.attr("num_outputs", static_cast<int64_t>(parts));
    const std::vector<Tensor> expected = n.run(parts);
    const Ints sizes = split_sizes(shape[a], parts, split, form == 2);
    const Ints x_strides = dense_strides(shape);
    int64_t start = 0;
    for (size_t i = 0; i < parts; ++i) {  // as lower_split: output i is a band of x
      const Tensor got = replay_whole_output(x, n.out_shape(i), StridedView{start * x_strides[a], x_strides});
      ASSERT_TRUE(same_bytes(got, expected[i])) << "trial " << trial << " piece " << i;
      start += sizes[i];
    }
  }
}

// ---- Pad ----

// What kernels::pad does with the Dims that lower_pad passes (the merged layout).
Tensor replay_pad(const Tensor& x, const Shape& out, const PadLayout<int64_t>& given, index_math::PadRule rule,
                  uint64_t fill_bits) {
  Tensor y(x.dtype(), out);
  if (y.numel() == 0) return y;
  int64_t in[index_math::kMaxAxes], begin[index_math::kMaxAxes], end[index_math::kMaxAxes];
  for (int k = 0; k < given.rank; ++k) {
    in[k] = given.in[k];
    begin[k] = given.begin[k];
    end[k] = given.out[k] - given.in[k] - given.begin[k];
  }
  const int rank = index_math::merge_unpadded_axes(given.rank, in, begin, end);
  const PadLayout<int64_t> layout = index_math::pad_layout(rank, in, begin, end);
  EXPECT_TRUE(index_math::pad_fits_int32(layout));
  const PadLayout<int32_t> small = index_math::narrow(layout);
  const size_t element = dtype_size(x.dtype());
  for (int64_t i = 0; i < y.numel(); ++i) {
    const int64_t source = index_math::pad_source_offset<int64_t>(i, layout, rule);
    EXPECT_EQ(index_math::pad_source_offset<int32_t>(static_cast<int32_t>(i), small, rule), source);
    auto* to = static_cast<std::byte*>(y.raw()) + i * static_cast<int64_t>(element);
    if (source < 0)
      std::memcpy(to, &fill_bits, element);
    else
      std::memcpy(to, static_cast<const std::byte*>(x.raw()) + source * static_cast<int64_t>(element), element);
  }
  return y;
}

TEST(CudaIndexMath, PadMatchesReference) {
  std::mt19937 rng(15);
  const char* modes[] = {"constant", "reflect", "edge"};
  const index_math::PadRule rules[] = {index_math::PadRule::Constant, index_math::PadRule::Reflect,
                                       index_math::PadRule::Edge};
  for (int trial = 0; trial < 400; ++trial) {
    const Shape shape = random_shape(rng, trial % 50 == 0 ? 0 : 1, 5, 5);
    const DType dtype = random_movement_dtype(rng);
    const int mode = static_cast<int>(rng() % 3);
    Ints axes;
    const bool with_axes = trial % 4 == 0 && !shape.empty();
    if (with_axes) {
      for (size_t i = 0; i < shape.size(); ++i)
        if (rng() % 2) axes.push_back(static_cast<int64_t>(i) - (rng() % 2 ? static_cast<int64_t>(shape.size()) : 0));
      if (axes.empty()) axes.push_back(0);
    }
    const size_t padded = with_axes ? axes.size() : shape.size();
    Ints pads(2 * padded);
    for (size_t i = 0; i < padded; ++i) {
      int64_t axis = with_axes ? axes[i] : static_cast<int64_t>(i);
      if (axis < 0) axis += static_cast<int64_t>(shape.size());
      const int64_t dim = shape[static_cast<size_t>(axis)];
      if (rng() % 3 == 0) continue;  // unpadded axis
      pads[i] = pick(rng, -dim / 2, mode == 1 ? 2 * dim + 1 : 3);
      pads[i + padded] = pick(rng, -(dim + pads[i]) / 2, 3);
    }
    const Tensor x = random_bytes(dtype, shape, rng);
    const Tensor value = random_bytes(dtype, {}, rng);
    const bool with_value = mode == 0 && rng() % 2 == 0;
    OneNode n("Pad");
    n.in(x).param(ints(pads)).attr("mode", std::string(modes[mode]));
    if (with_value) n.param(value);
    else if (with_axes) n.absent();
    if (with_axes) n.param(ints(axes));
    const Tensor expected = n.run()[0];
    std::optional<PadLayout<int64_t>> layout = pad_layout(shape, pad_amounts(shape.size(), pads, axes));
    ASSERT_TRUE(layout.has_value());
    uint64_t bits = 0;
    if (with_value) std::memcpy(&bits, value.raw(), dtype_size(dtype));
    const Tensor got = replay_pad(x, n.out_shape(), *layout, rules[mode], bits);
    ASSERT_TRUE(same_bytes(got, expected)) << "trial " << trial << " shape " << shape_str(shape) << " mode "
                                           << modes[mode] << " pads " << ::testing::PrintToString(pads);
  }
}

// ---- Gather ----

// What lower_gather and kernels::gather do, with the addresses of x and y.
Tensor replay_gather(const Tensor& data, const Tensor& indices, size_t axis, const Shape& out) {
  Tensor y(data.dtype(), out);
  int64_t outer = 1, inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= data.dim(d);
  for (size_t d = axis + 1; d < data.rank(); ++d) inner *= data.dim(d);
  const int64_t count = indices.numel();
  if (y.numel() == 0 || outer == 0 || count == 0 || inner == 0) return y;
  index_math::GatherLayout<int64_t> layout{count, inner, data.dim(axis)};
  const int unit = index_math::widen_gather(layout, static_cast<int>(dtype_size(data.dtype())),
                                            reinterpret_cast<uint64_t>(data.raw()), reinterpret_cast<uint64_t>(y.raw()));
  const index_math::GatherLayout<int32_t> small{static_cast<int32_t>(layout.count), static_cast<int32_t>(layout.inner),
                                                static_cast<int32_t>(layout.axis_dim)};
  const std::vector<int64_t> index_values = indices.to_int64s();
  for (int64_t i = 0; i < outer * layout.count * layout.inner; ++i) {
    const int64_t j = index_math::gather_index_position<int64_t>(i, layout);
    EXPECT_EQ(index_math::gather_index_position<int32_t>(static_cast<int32_t>(i), small), j);
    const int64_t row = index_math::gather_row(index_values[static_cast<size_t>(j)], layout.axis_dim);
    const int64_t source = index_math::gather_source_offset<int64_t>(i, row, layout);
    EXPECT_EQ(index_math::gather_source_offset<int32_t>(static_cast<int32_t>(i), static_cast<int32_t>(row), small),
              source);
    auto* to = static_cast<std::byte*>(y.raw()) + i * unit;
    if (source < 0)
      std::memset(to, 0, static_cast<size_t>(unit));
    else
      std::memcpy(to, static_cast<const std::byte*>(data.raw()) + source * unit, static_cast<size_t>(unit));
  }
  return y;
}

TEST(CudaIndexMath, GatherMatchesReference) {
  std::mt19937 rng(16);
  for (int trial = 0; trial < 300; ++trial) {
    const Shape shape = random_shape(rng, 1, 4, 6);
    const DType dtype = random_movement_dtype(rng);
    const auto rank = static_cast<int64_t>(shape.size());
    const int64_t axis = pick(rng, -rank, rank - 1);
    const auto a = static_cast<size_t>(axis < 0 ? axis + rank : axis);
    const Shape index_shape = random_shape(rng, 0, 2, 4);
    const int64_t dim = shape[a];
    std::vector<int64_t> values(static_cast<size_t>(num_elements(index_shape)));
    for (int64_t& v : values) v = pick(rng, -dim, dim - 1);
    Tensor indices = Tensor::from<int64_t>(index_shape, values);
    if (trial % 2) {
      std::vector<int32_t> narrow(values.begin(), values.end());
      indices = Tensor::from<int32_t>(index_shape, narrow);
    }
    const Tensor x = random_bytes(dtype, shape, rng);
    OneNode n("Gather");
    n.in(x).in(indices).attr("axis", axis);
    const Tensor expected = n.run()[0];
    const Tensor got = replay_gather(x, indices, a, n.out_shape());
    ASSERT_TRUE(same_bytes(got, expected)) << "trial " << trial << " shape " << shape_str(shape) << " axis " << axis;
  }
  EXPECT_EQ(index_math::gather_row(-4, 3), -1);  // the kernel writes zeros there
  EXPECT_EQ(index_math::gather_row(3, 3), -1);
  EXPECT_EQ(index_math::gather_row(-3, 3), 0);
}

// ---- MaxPool and AveragePool ----

// The pool geometry as a lowering would fill kernels::PoolGeometry: real axes first
// (or last, with `trailing`), the rest neutral.
PoolWindow pool_window_of(const Node& node, const Shape& x, bool count_include_pad, bool trailing) {
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  const WindowGeometry g = window_geometry(node, spatial_dims(x), ints_attr(node, "kernel_shape"), options);
  PoolWindow w;
  w.planes = x[0] * x[1];
  const size_t lead = trailing ? 3 - g.rank() : 0;
  for (size_t s = 0; s < g.rank(); ++s) {
    const size_t a = lead + s;
    w.in[a] = g.input[s];
    w.out[a] = g.output[s];
    w.kernel[a] = g.kernel[s];
    w.stride[a] = g.strides[s];
    w.pad_begin[a] = g.pads_begin[s];
    w.pad_end[a] = g.pads_end[s];
    w.dilation[a] = g.dilations[s];
  }
  w.count_include_pad = count_include_pad;
  return w;
}

bool same_float(float a, float b) { return std::memcmp(&a, &b, sizeof(float)) == 0 || (std::isnan(a) && std::isnan(b)); }

struct PoolCase {
  Shape x;
  Ints kernel, strides, dilations, pads;
  int64_t ceil_mode = 0;
  std::string auto_pad = "NOTSET";
};

PoolCase random_pool_case(std::mt19937& rng) {
  PoolCase c;
  const size_t spatial = 1 + rng() % 3;
  c.x = {pick(rng, 1, 2), pick(rng, 1, 3)};
  for (size_t d = 0; d < spatial; ++d) {
    c.kernel.push_back(pick(rng, 1, spatial == 3 ? 3 : 4));
    c.strides.push_back(pick(rng, 1, 3));
    c.dilations.push_back(rng() % 3 == 0 ? pick(rng, 2, 3) : 1);
    const int64_t extent = (c.kernel.back() - 1) * c.dilations.back() + 1;
    c.x.push_back(pick(rng, 1, spatial == 3 ? 6 : 9) + (rng() % 2 ? extent : 0));
  }
  c.pads.assign(2 * spatial, 0);
  for (size_t d = 0; d < 2 * spatial; ++d) c.pads[d] = rng() % 2 ? pick(rng, 0, c.kernel[d % spatial] - 1) : 0;
  c.ceil_mode = rng() % 2;
  if (rng() % 6 == 0) {
    const char* autos[] = {"SAME_UPPER", "SAME_LOWER", "VALID"};
    c.auto_pad = autos[rng() % 3];
    c.pads.assign(2 * spatial, 0);
  }
  return c;
}

Tensor pool_input(const Shape& shape, std::mt19937& rng) {
  Tensor x(DType::f32, shape);
  std::uniform_real_distribution<float> dist(-4.0f, 4.0f);
  for (int64_t i = 0; i < x.numel(); ++i) {
    float v = std::round(dist(rng) * 4.0f) / 4.0f;  // coarse values: many ties
    if (rng() % 40 == 0) v = std::numeric_limits<float>::quiet_NaN();
    x.data<float>()[i] = v;
  }
  return x;
}

TEST(CudaIndexMath, MaxPoolMatchesReferenceWithIndices) {
  std::mt19937 rng(17);
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const PoolCase pc = random_pool_case(rng);
    const int64_t storage_order = rng() % 2;
    const Tensor x = pool_input(pc.x, rng);
    OneNode n("MaxPool");
    n.in(x).attr("kernel_shape", pc.kernel).attr("strides", pc.strides).attr("dilations", pc.dilations);
    n.attr("ceil_mode", pc.ceil_mode).attr("storage_order", storage_order).attr("auto_pad", pc.auto_pad);
    if (pc.auto_pad == "NOTSET") n.attr("pads", pc.pads);
    std::vector<Tensor> expected;
    try {
      expected = n.run(2);
    } catch (const Error&) {
      continue;  // a random geometry the op rejects (e.g. no output position)
    }
    for (bool trailing : {false, true}) {
      const PoolWindow w = pool_window_of(n.node(), pc.x, false, trailing);
      ASSERT_EQ(w.planes * w.out_plane(), expected[0].numel());
      for (int64_t i = 0; i < expected[0].numel(); ++i) {
        const index_math::MaxTap best = index_math::max_pool_element(w, x.data<float>(), i, storage_order == 1);
        ASSERT_TRUE(same_float(best.value, expected[0].data<float>()[i])) << "trial " << trial << " element " << i;
        ASSERT_EQ(best.index, expected[1].data<int64_t>()[i]) << "trial " << trial << " element " << i;
      }
    }
    ++compared;
  }
  EXPECT_GT(compared, 200);
}

TEST(CudaIndexMath, AveragePoolMatchesReference) {
  std::mt19937 rng(18);
  int compared = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const PoolCase pc = random_pool_case(rng);
    const int64_t include_pad = rng() % 2;
    Tensor x = pool_input(pc.x, rng);
    for (int64_t i = 0; i < x.numel(); ++i)
      if (std::isnan(x.data<float>()[i])) x.data<float>()[i] = 0.5f;
    OneNode n("AveragePool");
    n.in(x).attr("kernel_shape", pc.kernel).attr("strides", pc.strides).attr("dilations", pc.dilations);
    n.attr("ceil_mode", pc.ceil_mode).attr("count_include_pad", include_pad).attr("auto_pad", pc.auto_pad);
    if (pc.auto_pad == "NOTSET") n.attr("pads", pc.pads);
    Tensor expected;
    try {
      expected = n.run()[0];
    } catch (const Error&) {
      continue;
    }
    for (bool trailing : {false, true}) {
      const PoolWindow w = pool_window_of(n.node(), pc.x, include_pad == 1, trailing);
      for (int64_t i = 0; i < expected.numel(); ++i)
        ASSERT_TRUE(same_float(index_math::average_pool_element(w, x.data<float>(), i), expected.data<float>()[i]))
            << "trial " << trial << " element " << i;
    }
    ++compared;
  }
  EXPECT_GT(compared, 200);
}

}  // namespace
