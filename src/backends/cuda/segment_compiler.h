// Compiles a Segment for a cuda device. Every value lives dense and row-major (NCHW)
// in device memory: the caller's input and output buffers at the segment boundary,
// constants uploaded once here, and intermediates in one arena whose offsets are
// planned from buffer lifetimes (memory of dead tensors is reused). Each node is
// lowered (lowering_table.cpp) to steps: closures that enqueue kernels or vendor
// calls on the compute stream, with every pointer resolved from the RunContext, so
// that the executable can capture them once as a CUDA graph and replay it.
#pragma once
#include <climits>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "backends/cuda/cuda_context.h"
#include "backends/device.h"

namespace tandem::cuda {

// Every arena buffer starts at a multiple of this many bytes (so does cudaMalloc'd
// memory), which lowerings may rely on for vector loads and for views at an offset.
constexpr size_t kArenaAlignment = 256;

enum class BufferKind { Arena, Input, Output, Fixed };

struct Buffer {
  BufferKind kind = BufferKind::Arena;
  size_t bytes = 0;
  int index = -1;              // Input/Output: index in the segment's inputs/outputs
  std::byte* fixed = nullptr;  // Fixed: device address of a constant
  int first_step = INT_MAX;
  int last_step = -1;
};

// A dense row-major tensor in device memory: a buffer and a byte offset in it.
struct DeviceTensor {
  int buffer = -1;
  size_t offset = 0;
  DType dtype = DType::f32;
  Shape shape;
  int64_t numel() const { return num_elements(shape); }
  size_t bytes() const { return static_cast<size_t>(numel()) * dtype_size(dtype); }
};

// What a step sees when it runs: the address of every buffer, the stream, the
// device's handles and the executable's shared scratch workspace.
struct RunContext {
  std::vector<std::byte*> ptrs;  // per buffer
  cudaStream_t stream = nullptr;
  const CudaContext* device = nullptr;
  void* workspace = nullptr;
  size_t workspace_bytes = 0;
  std::byte* ptr(const DeviceTensor& t) const { return ptrs[static_cast<size_t>(t.buffer)] + t.offset; }
  template <class T> T* data(const DeviceTensor& t) const { return reinterpret_cast<T*>(ptr(t)); }
};

// Enqueues work on ctx.stream; must not synchronise (it may be captured in a graph).
using Launch = std::function<void(const RunContext& ctx)>;

struct Step {
  int position = 0;  // index into segment.nodes of the node this step is charged to
  Launch launch;
};

// Everything the compiler produces; the executable takes ownership.
struct CompiledSegment {
  Segment segment;
  std::shared_ptr<CudaContext> context;
  std::vector<Buffer> buffers;
  std::vector<Step> steps;
  std::vector<int> input_buffers;     // per segment input
  std::vector<int> output_buffers;    // per segment output
  std::vector<DeviceMemory> constants;
  std::vector<PinnedMemory> staging;  // host buffers of host-fallback steps
  std::vector<std::shared_ptr<void>> keep;  // descriptors and other state the steps own
  size_t workspace_bytes = 0;
};

class SegmentCompiler {
 public:
  SegmentCompiler(const Segment& segment, std::shared_ptr<CudaContext> context);
  std::unique_ptr<Executable> compile();

  const Graph& graph() const { return graph_; }
  CudaContext& context() const { return *context_; }
  const std::string& device() const { return context_->name(); }
  // "cuda:0, Conv node 'conv1'": for error messages of the node being lowered.
  std::string where(const Node& node) const;
  // Position (index into segment.nodes) of the node being lowered.
  int position() const { return position_; }

  // --- values and their uses
  bool is_segment_output(int value) const { return segment_outputs_.count(value) != 0; }
  // Graph indices of nodes in this segment that read `value`.
  const std::vector<int>& consumers(int value) const;
  // The only consumer of `value` when it has exactly one, is no segment output and
  // comes later in this segment; otherwise -1.
  int sole_consumer(int value) const;
  // Whether `value` already has a place (computed, a segment input or a constant).
  bool is_defined(int value) const;

  // --- reading and writing values
  // Where `value` lives (constants are uploaded on first use).
  DeviceTensor input(int value);
  // Where the node being lowered writes `value`: the caller's output buffer when it
  // is a segment output, else a fresh arena buffer.
  DeviceTensor output(int value);
  // Like output(), but `src`'s buffer when `src` dies at this node and has the same
  // size (an elementwise op may then write over its input).
  DeviceTensor output_inplace(int value, const DeviceTensor& src);
  // `value` is `src` reinterpreted with value's shape (Reshape, Flatten...); copied
  // when `value` is a segment output or `src` lives in a caller's buffer that
  // `value` would outlive.
  void alias(int value, const DeviceTensor& src);
  // A fresh arena tensor for intermediate results of the node being lowered.
  DeviceTensor scratch(DType dtype, const Shape& shape);
  // Host data uploaded once now and kept by the executable.
  DeviceTensor constant(const Tensor& data);

  // --- steps
  // Adds a step charged to the node being lowered; `tensors` are the device tensors
  // it reads or writes (for buffer lifetimes).
  void push(Launch launch, const std::vector<DeviceTensor>& tensors);
  // Asks for `bytes` of scratch workspace shared by all steps (ctx.workspace).
  void need_workspace(size_t bytes);
  // Keeps `state` (descriptors, plans) alive as long as the executable.
  void keep(std::shared_ptr<void> state) { out_.keep.push_back(std::move(state)); }
  // Page-locked host memory kept by the executable (host-fallback staging).
  std::byte* pinned(size_t bytes);
  // Node `node_index` is computed by the node being lowered: it is skipped and
  // reports 0 µs.
  void fuse(int node_index);
  // Copies `src` into `dst` (same byte size) on the stream.
  void copy(const DeviceTensor& src, const DeviceTensor& dst);

 private:
  void lower_node();
  bool all_inputs_constant(const Node& node) const;
  // Constant, Shape and nodes whose inputs are all constant: evaluated now by the
  // reference kernel, results uploaded as constants.
  void fold_on_host(const Node& node);
  void define(int value, const DeviceTensor& t);
  void touch(const DeviceTensor& t, int step);
  int new_buffer(BufferKind kind, size_t bytes);
  DeviceTensor on_buffer(int buffer, DType dtype, const Shape& shape) const;
  bool dies_here(const DeviceTensor& t) const;

  const Segment& segment_;
  const Graph& graph_;
  std::shared_ptr<CudaContext> context_;
  CompiledSegment out_;
  int position_ = 0;
  std::map<int, int> positions_;                   // graph node index -> position
  std::set<int> fused_;                            // positions of fused nodes
  std::map<int, std::vector<int>> consumers_;      // value -> consumer node indices
  std::map<int, int> segment_outputs_;             // value -> output index
  std::map<int, DeviceTensor> held_;               // value -> where it lives
  std::map<int, std::vector<int>> buffer_values_;  // buffer -> values living in it
};

// The executable for a compiled segment (cuda_executable.cpp).
std::unique_ptr<Executable> make_cuda_executable(CompiledSegment compiled);

}  // namespace tandem::cuda
