// Segment compilation for a cuda device: where every value lives (caller buffers,
// uploaded constants, arena buffers with lifetimes), in-place reuse of dying
// buffers, views, folding of compile-time-known nodes and the step list.
#include "backends/cuda/segment_compiler.h"

#include <algorithm>

#include "backends/cuda/lowering.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem::cuda {

SegmentCompiler::SegmentCompiler(const Segment& segment, std::shared_ptr<CudaContext> context)
    : segment_(segment), graph_(*segment.graph), context_(std::move(context)) {
  for (size_t p = 0; p < segment.nodes.size(); ++p) {
    int n = segment.nodes[p];
    positions_[n] = static_cast<int>(p);
    for (int in : graph_.nodes.at(static_cast<size_t>(n)).inputs)
      if (in != kNoValue) consumers_[in].push_back(n);
  }
  for (size_t i = 0; i < segment.inputs.size(); ++i) {
    const Value& v = graph_.value(segment.inputs[i]);
    int buffer = new_buffer(BufferKind::Input, value_bytes(v));
    out_.buffers[static_cast<size_t>(buffer)].index = static_cast<int>(i);
    out_.input_buffers.push_back(buffer);
    define(segment.inputs[i], on_buffer(buffer, v.dtype, v.shape));
  }
  for (size_t i = 0; i < segment.outputs.size(); ++i) {
    const Value& v = graph_.value(segment.outputs[i]);
    int buffer = new_buffer(BufferKind::Output, value_bytes(v));
    out_.buffers[static_cast<size_t>(buffer)].index = static_cast<int>(i);
    out_.output_buffers.push_back(buffer);
    segment_outputs_[segment.outputs[i]] = buffer;
  }
}

std::unique_ptr<Executable> SegmentCompiler::compile() {
  context_->activate();
  for (size_t p = 0; p < segment_.nodes.size(); ++p) {
    if (fused_.count(static_cast<int>(p))) continue;
    position_ = static_cast<int>(p);
    lower_node();
  }
  for (int value : segment_.outputs)
    if (!held_.count(value))
      fail(ErrorKind::Internal, device() + ": segment output '" + graph_.value(value).name + "' was never computed");
  out_.segment = segment_;
  out_.context = context_;
  return make_cuda_executable(std::move(out_));
}

std::string SegmentCompiler::where(const Node& node) const { return device() + ", " + describe(node); }

bool SegmentCompiler::all_inputs_constant(const Node& node) const {
  for (int id : node.inputs)
    if (id != kNoValue && !graph_.value(id).is_constant()) return false;
  return true;
}

void SegmentCompiler::lower_node() {
  const Node& node = graph_.nodes[static_cast<size_t>(segment_.nodes[static_cast<size_t>(position_)])];
  std::vector<int> before;
  for (const auto& [value, t] : held_) before.push_back(value);
  if (node.op == "Shape" || all_inputs_constant(node)) {
    fold_on_host(node);
  } else {
    Lowering lowering = find_lowering(node.op);
    if (!lowering) fail(ErrorKind::Unsupported, device() + ": no kernel for " + describe(node));
    lowering(*this, node);
  }
  // Values that became segment outputs somewhere else than the caller's buffer (a
  // fused node's result, a view of an input) are copied there.
  for (const auto& [value, t] : held_) {
    if (!is_segment_output(value) || std::binary_search(before.begin(), before.end(), value)) continue;
    int buffer = segment_outputs_.at(value);
    if (t.buffer != buffer) copy(t, on_buffer(buffer, t.dtype, t.shape));
  }
}

void SegmentCompiler::fold_on_host(const Node& node) {
  std::vector<Tensor> inputs;
  for (int id : node.inputs) {
    if (id == kNoValue) {
      inputs.emplace_back();
      continue;
    }
    const Value& v = graph_.value(id);
    // Shape reads only the shape of a computed input.
    inputs.push_back(v.is_constant() ? *v.data : Tensor::view(v.dtype, v.shape, nullptr));
  }
  std::vector<Tensor> outputs = run_reference(node, graph_, inputs);
  for (size_t i = 0; i < node.outputs.size(); ++i)
    if (node.outputs[i] != kNoValue) define(node.outputs[i], constant(outputs[i]));
}

const std::vector<int>& SegmentCompiler::consumers(int value) const {
  static const std::vector<int> none;
  auto it = consumers_.find(value);
  return it == consumers_.end() ? none : it->second;
}

int SegmentCompiler::sole_consumer(int value) const {
  const auto& users = consumers(value);
  if (users.size() != 1 || is_segment_output(value)) return -1;
  return positions_.at(users[0]) > position_ ? users[0] : -1;
}

bool SegmentCompiler::is_defined(int value) const { return held_.count(value) || graph_.value(value).is_constant(); }

DeviceTensor SegmentCompiler::input(int value) {
  auto it = held_.find(value);
  if (it != held_.end()) return it->second;
  const Value& v = graph_.value(value);
  if (!v.is_constant()) fail(ErrorKind::Internal, device() + ": value '" + v.name + "' is read before it is computed");
  DeviceTensor t = constant(*v.data);
  define(value, t);
  return t;
}

DeviceTensor SegmentCompiler::output(int value) {
  const Value& v = graph_.value(value);
  auto out = segment_outputs_.find(value);
  DeviceTensor t = out != segment_outputs_.end() ? on_buffer(out->second, v.dtype, v.shape) : scratch(v.dtype, v.shape);
  define(value, t);
  return t;
}

DeviceTensor SegmentCompiler::output_inplace(int value, const DeviceTensor& src) {
  const Value& v = graph_.value(value);
  size_t bytes = static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype);
  if (is_segment_output(value) || bytes != src.bytes() || !dies_here(src)) return output(value);
  DeviceTensor t = on_buffer(src.buffer, v.dtype, v.shape);
  t.offset = src.offset;
  define(value, t);
  return t;
}

bool SegmentCompiler::dies_here(const DeviceTensor& t) const {
  if (out_.buffers[static_cast<size_t>(t.buffer)].kind != BufferKind::Arena) return false;
  auto it = buffer_values_.find(t.buffer);
  if (it == buffer_values_.end()) return true;
  for (int value : it->second) {
    if (is_segment_output(value)) return false;
    for (int user : consumers(value))
      if (positions_.at(user) > position_) return false;
  }
  return true;
}

void SegmentCompiler::alias(int value, const DeviceTensor& src) {
  const Value& v = graph_.value(value);
  if (is_segment_output(value)) {
    copy(src, output(value));
    return;
  }
  DeviceTensor t = src;
  t.dtype = v.dtype;
  t.shape = v.shape;
  define(value, t);
}

DeviceTensor SegmentCompiler::scratch(DType dtype, const Shape& shape) {
  size_t bytes = static_cast<size_t>(num_elements(shape)) * dtype_size(dtype);
  return on_buffer(new_buffer(BufferKind::Arena, bytes), dtype, shape);
}

DeviceTensor SegmentCompiler::constant(const Tensor& data) {
  const Node& node = graph_.nodes[static_cast<size_t>(segment_.nodes.at(static_cast<size_t>(position_)))];
  DeviceMemory memory(*context_, data.nbytes(), "a constant of " + describe(node));
  if (data.nbytes() > 0)
    TANDEM_CUDA_CHECK(device() + ", uploading a constant",
                      cudaMemcpy(memory.get(), data.raw(), data.nbytes(), cudaMemcpyHostToDevice));
  int buffer = new_buffer(BufferKind::Fixed, data.nbytes());
  out_.buffers[static_cast<size_t>(buffer)].fixed = memory.get();
  out_.constants.push_back(std::move(memory));
  return on_buffer(buffer, data.dtype(), data.shape());
}

void SegmentCompiler::push(Launch launch, const std::vector<DeviceTensor>& tensors) {
  int step = static_cast<int>(out_.steps.size());
  for (const DeviceTensor& t : tensors) touch(t, step);
  out_.steps.push_back({position_, std::move(launch)});
}

void SegmentCompiler::need_workspace(size_t bytes) { out_.workspace_bytes = std::max(out_.workspace_bytes, bytes); }

std::byte* SegmentCompiler::pinned(size_t bytes) {
  out_.staging.emplace_back(*context_, bytes, "host staging");
  return out_.staging.back().get();
}

void SegmentCompiler::fuse(int node_index) { fused_.insert(positions_.at(node_index)); }

void SegmentCompiler::copy(const DeviceTensor& src, const DeviceTensor& dst) {
  size_t bytes = std::min(src.bytes(), dst.bytes());
  if (bytes == 0) return;
  std::string where = device() + ", copy within the segment";
  push([=](const RunContext& ctx) {
    TANDEM_CUDA_CHECK(where, cudaMemcpyAsync(ctx.ptr(dst), ctx.ptr(src), bytes, cudaMemcpyDeviceToDevice, ctx.stream));
  }, {src, dst});
}

void SegmentCompiler::define(int value, const DeviceTensor& t) {
  held_[value] = t;
  buffer_values_[t.buffer].push_back(value);
}

void SegmentCompiler::touch(const DeviceTensor& t, int step) {
  Buffer& b = out_.buffers.at(static_cast<size_t>(t.buffer));
  b.first_step = std::min(b.first_step, step);
  b.last_step = std::max(b.last_step, step);
}

int SegmentCompiler::new_buffer(BufferKind kind, size_t bytes) {
  Buffer b;
  b.kind = kind;
  b.bytes = bytes;
  out_.buffers.push_back(b);
  return static_cast<int>(out_.buffers.size()) - 1;
}

DeviceTensor SegmentCompiler::on_buffer(int buffer, DType dtype, const Shape& shape) const {
  DeviceTensor t;
  t.buffer = buffer;
  t.dtype = dtype;
  t.shape = shape;
  return t;
}

}  // namespace tandem::cuda
