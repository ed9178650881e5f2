// Pieces shared by the oneDNN lowerings: primitive attributes with a user-managed
// scratchpad, activations as eltwise algorithms, the chain of following nodes that
// can run as post-ops of a Conv/Gemm/binary op, and descriptor overrides.
#pragma once
#include <optional>
#include <vector>

#include "backends/cpu/segment_compiler.h"
#include "ops/activation.h"
#include "ops/nn_util.h"

namespace tandem::cpu {

// Attributes every primitive gets: the scratchpad comes from the arena.
dnnl::primitive_attr base_attr();

// `t` (the whole tensor, layout `md`: plain, blocked8 or channels last) narrowed to
// images [n0, n1) and channels [c0, c1): an offset into the same buffer, a dense
// tensor of the same layout (channels last only for all channels; blocked8 from a
// multiple of 8).
TensorRef layout_slice(const TensorRef& t, const memory::desc& md, int64_t n0, int64_t n1, int64_t c0, int64_t c1);

// `t` read as a flat f32 array, cut into up to `parts` contiguous ranges of whole
// cache lines, one view (plain 1-D) per range; empty when `t`'s layout is not one of
// the dense ones or has padding, so that elements and storage do not correspond.
// For element-wise steps whose operands share one layout.
std::vector<TensorRef> flat_ranges(const TensorRef& t, int parts);

struct Eltwise {
  dnnl::algorithm algorithm = dnnl::algorithm::eltwise_relu;
  float alpha = 0, beta = 0;
};

// kind None -> nullopt.
std::optional<Eltwise> eltwise_of(const Activation& act);
// A standalone f32 activation node (Clip only with constant bounds); else nullopt.
std::optional<Eltwise> eltwise_of_node(const Node& node, const Graph& graph);

// A node after a Conv/Gemm/binary op that runs as one of its post-ops.
struct FusedTail {
  int node = -1;                  // graph node index
  std::optional<Eltwise> eltwise; // an activation
  int residual = -1;              // an Add's other operand (sum post-op), value id
};

// The nodes following `value` that can be folded into its producer, in order:
// activations that are the sole consumer of the previous result and, when
// `allow_sum`, one same-shape Add whose other operand is computed already and read
// by no later node (so the producer can accumulate into its buffer).
std::vector<FusedTail> fusable_tail(SegmentCompiler& c, int value, bool allow_sum);
// The value the last of the first `count` tail nodes produces (`value` when 0).
int tail_result(const Graph& graph, int value, const std::vector<FusedTail>& tail, size_t count);
// Post-ops: `ops` so far, then the node's own fused activation, then the first
// `count` tail nodes.
dnnl::post_ops make_post_ops(const std::optional<Eltwise>& own, const std::vector<FusedTail>& tail, size_t count,
                             dnnl::post_ops ops = {});

// Creates a primitive descriptor with the longest prefix of `tail` that oneDNN
// accepts; `make(count)` builds it with the first `count` tail nodes fused. Marks the
// used tail nodes fused and returns how many there were.
template <class Pd, class Make>
size_t create_with_tail(SegmentCompiler& c, const std::vector<FusedTail>& tail, Make make, Pd& pd) {
  for (size_t count = tail.size();; --count) {
    try {
      pd = make(count);
      for (size_t i = 0; i < count; ++i) c.fuse(tail[i].node);
      return count;
    } catch (const dnnl::error&) {
      if (count == 0) throw;
    }
  }
}

// Where a Conv writes `result` in layout `dst_md`: the residual's buffer when a sum
// post-op (`residual_tail`) accumulates into it, else a fresh output.
TensorRef result_destination(SegmentCompiler& c, int result, const FusedTail* residual_tail,
                             const memory::desc& dst_md);

// A Conv window in oneDNN's terms: dilation 0 means none, and the right padding is
// what makes oneDNN's floor formula give the inferred output size.
struct DnnlWindow {
  memory::dims strides, kernel, dilates, pad_l, pad_r;
};
DnnlWindow dnnl_window(const WindowGeometry& g);

// Whether oneDNN picked its generic reference implementation (slow) for `pd`.
bool is_reference_impl(const dnnl::primitive_desc_base& pd);

// `t` with another (physically identical) descriptor, e.g. a rank-padded view.
TensorRef with_md(TensorRef t, const memory::desc& md);
// Descriptor with format_tag::any for oneDNN to choose the layout.
memory::desc any_md(const memory::dims& dims);

// Whether this machine's oneDNN convolutions keep activations channels last (the
// AVX-512 brgconv kernels) rather than blocked by 8 channels (AVX2): asked once, of
// a typical 3x3 convolution.
bool convs_prefer_channels_last(const dnnl::engine& engine);
// The layout an own kernel that reads 8-channel vectors (pooling, Winograd) should
// read `value` (N, C, spatial...) in: channels last or blocked by 8 channels,
// whichever it is held in, else the one the convolutions prefer.
memory::desc vector_layout(SegmentCompiler& c, int value);

}  // namespace tandem::cpu
