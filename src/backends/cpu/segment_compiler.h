// Compiles a Segment for a cpu device: walks its nodes in order and lowers each to
// steps (oneDNN primitives created here, or own kernels), tracking where every value
// lives and in which layout. Layouts propagate between oneDNN ops; reorders are added
// only where a consumer needs another layout and at the segment boundary (dense
// row-major). Lowerings (dnnl_*.cpp, kernels_*.cpp) use this class's helpers.
#pragma once
#include <map>
#include <optional>
#include <set>

#include "backends/cpu/cpu_executable.h"
#include "backends/cpu/layout.h"

namespace tandem::cpu {

class SegmentCompiler;
// Turns one node into steps through the compiler (lowering.h lists them).
using Lowering = void (*)(SegmentCompiler& c, const Node& node);

class SegmentCompiler {
 public:
  SegmentCompiler(const Segment& segment, const dnnl::engine& engine, const dnnl::stream& stream,
                  std::string device, std::shared_ptr<ThreadPool> pool);
  std::unique_ptr<Executable> compile();

  const Graph& graph() const { return graph_; }
  const dnnl::engine& engine() const { return engine_; }
  const std::string& device() const { return device_; }
  // Position (index into segment.nodes) of the node being lowered.
  int position() const { return position_; }
  // How many parallel parts the node being lowered should be split into: the
  // device's threads, or 1 for nodes too small to gain from more.
  int tasks() const { return tasks_; }

  // --- values and their uses
  bool is_segment_output(int value) const { return segment_outputs_.count(value) != 0; }
  // Graph indices of nodes in this segment that read `value`.
  const std::vector<int>& consumers(int value) const;
  // The only consumer of `value` when it has exactly one, is no segment output and the
  // consumer is in this segment and comes later; otherwise -1.
  int sole_consumer(int value) const;
  int position_of(int node_index) const { return positions_.at(node_index); }
  bool is_defined(int value) const { return held_.count(value) != 0; }
  // Whether the buffer of `t` is an arena buffer whose every value is read by no node
  // at or after position `limit` (apart from node `ignore`) and is no segment output.
  bool dead_from(const TensorRef& t, int limit, int ignore = -1) const;

  // --- reading values
  // As held: the producer's layout (constants: plain, from the graph).
  TensorRef input(int value);
  // Dense row-major (reordered once and cached when held blocked).
  TensorRef plain(int value);
  // In layout `md` (reordered once and cached when held otherwise).
  TensorRef in_layout(int value, const memory::desc& md);
  // A copy of `src` in layout `md`, in a fresh arena buffer.
  TensorRef reorder(const TensorRef& src, const memory::desc& md);

  // --- writing values
  // Where the node writes `value` in layout `md`: the caller's output buffer when the
  // value is a segment output and `md` is plain, else a fresh arena buffer. The value
  // is defined once the step is pushed (define is called here).
  TensorRef output(int value, const memory::desc& md);
  TensorRef output_plain(int value);
  // Like output(value, src.md) but reusing src's buffer when that dies here.
  TensorRef output_inplace(int value, const TensorRef& src);
  // `value` now lives in `t` (e.g. a result written by a fused step).
  void define(int value, const TensorRef& t);
  // `value` is a view of `src`: reshaped when `src` is plain, else of the same shape
  // and layout (copied when `value` is a segment output).
  void alias(int value, const TensorRef& src);
  // A fresh arena tensor (scratch or staging).
  TensorRef scratch(DType dtype, const Shape& shape, const memory::desc& md);

  // --- constants
  // A constant owned by the executable.
  TensorRef constant(const Tensor& data);
  // `data` (plain, described by `src_md`) reordered once now into layout `md`,
  // optionally through `attr` (e.g. output scales).
  TensorRef prepare(const Tensor& data, const memory::desc& src_md, const memory::desc& md,
                    const dnnl::primitive_attr& attr = {});

  // --- steps
  // Adds a primitive built from `pd` (whose attr must use a user scratchpad).
  void push(const dnnl::primitive_desc_base& pd, std::vector<std::pair<int, TensorRef>> args);
  // Adds an own kernel touching `tensors` (read or written). It may split its work
  // across ctx.pool.
  void push_kernel(Kernel kernel, const std::vector<TensorRef>& tensors);
  // One primitive of a step split into independent parts.
  struct Part {
    dnnl::primitive_desc_base pd;
    std::vector<std::pair<int, TensorRef>> args;
  };
  // Adds a step whose parts run in parallel on the device's threads.
  void push_parallel(const std::vector<Part>& parts);
  // Node `node_index` is computed by the node being lowered: it is skipped and
  // reports 0 µs.
  void fuse(int node_index);
  // Copies `src` into `dst` (same dims; a reorder when layouts differ).
  void copy(const TensorRef& src, const TensorRef& dst);

  // --- concat in place (concat_in_place.cpp)
  // For a producer about to write `value` channels last (`md`): when `value` can be
  // written straight into the channel slice of a Concat's channels-last output, the
  // slice's (strided) descriptor. The producer then writes with it and output(value,
  // that descriptor) returns the slice.
  std::optional<memory::desc> concat_view(int value, const memory::desc& md);
  // When the producers of `node`'s inputs wrote them into its output buffer: copies
  // the inputs that are elsewhere into their slices, defines the output and returns
  // true. False when no input was written in place.
  bool finish_concat_in_place(const Node& node);

 private:
  void lower_node();
  Lowering lowering_of(const Node& node) const;
  // Nodes computed once at compile time: every present input is a constant.
  bool all_inputs_constant(const Node& node) const;
  void touch(const TensorRef& t, int step);
  int new_buffer(BufferKind kind, size_t bytes);
  static TensorRef with_layout(TensorRef t, const memory::desc& md);
  TensorRef ref_on(int buffer, DType dtype, const Shape& shape, const memory::desc& md);
  void copy_to_output(int value);
  // One task for nodes too small to gain from more threads (estimated from their cost).
  int tasks_for(const Node& node) const;
  std::unique_ptr<Step> primitive_step(const dnnl::primitive_desc_base& pd, std::vector<std::pair<int, TensorRef>> args);

  // A Concat along channels whose inputs are produced here, read only by it:
  // producers write straight into slices of its output buffer, all in one layout:
  // channels last (strided slices), or at batch 1 plain or blocked by 8 channels
  // (when every slice starts at a multiple of 8), where slices are contiguous.
  struct ConcatGroup {
    Shape shape;                   // the concat's output
    std::vector<int64_t> offsets;  // first channel of each input
    bool contiguous = false;       // batch 1: plain and blocked slices are contiguous
    bool blockable = false;
    int buffer = -1;               // set by the first producer writing in place
    memory::desc layout;           // of the whole output, set with `buffer`
  };
  void plan_concats();
  std::optional<TensorRef> concat_slot(int value, const memory::desc& md);
  // The layout a group takes when its first producer writes in `md` (of `shape`).
  std::optional<memory::desc> concat_layout(const ConcatGroup& group, const memory::desc& md, const Shape& shape) const;
  TensorRef slice_of(const ConcatGroup& group, size_t input, const Shape& shape) const;

  const Segment& segment_;
  const Graph& graph_;
  dnnl::engine engine_;
  dnnl::stream stream_;
  std::string device_;
  std::shared_ptr<ThreadPool> pool_;
  CompiledSegment out_;

  int position_ = 0;
  std::map<int, int> positions_;          // graph node index -> position
  std::set<int> fused_;                   // positions of fused nodes
  std::map<int, std::vector<int>> consumers_;
  std::map<int, int> segment_outputs_;    // value -> output index
  std::map<int, TensorRef> held_;         // value -> where it lives
  std::map<int, std::vector<TensorRef>> copies_;  // value -> copies in other layouts
  std::map<int, std::vector<int>> buffer_values_;  // buffer -> values living in it
  std::map<int, int> output_buffer_of_;   // value -> Output buffer
  int tasks_ = 1;                         // see tasks()
  std::map<int, ConcatGroup> concat_groups_;             // Concat node index -> group
  std::map<int, std::pair<int, size_t>> concat_inputs_;  // value -> (Concat node, input index)
};

}  // namespace tandem::cpu
