// Segment compilation: value bookkeeping (where each value lives, in which layout),
// reorders, arena buffers with lifetimes, compile-time weight preparation and the
// step list.
#include "backends/cpu/segment_compiler.h"

#include <algorithm>
#include <cstring>

#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/execution_rules.h"
#include "backends/cpu/lowering.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem::cpu {

static memory::desc md_of(DType dtype, const Shape& shape) {
  return dnnl_type(dtype) ? plain_md(shape, dtype) : memory::desc();
}

SegmentCompiler::SegmentCompiler(const Segment& segment, const dnnl::engine& engine, const dnnl::stream& stream,
                                 std::string device, std::shared_ptr<ThreadPool> pool)
    : segment_(segment), graph_(*segment.graph), engine_(engine), stream_(stream), device_(std::move(device)),
      pool_(std::move(pool)) {
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
    held_[segment.inputs[i]] = ref_on(buffer, v.dtype, v.shape, md_of(v.dtype, v.shape));
  }
  for (size_t i = 0; i < segment.outputs.size(); ++i) {
    const Value& v = graph_.value(segment.outputs[i]);
    int buffer = new_buffer(BufferKind::Output, value_bytes(v));
    out_.buffers[static_cast<size_t>(buffer)].index = static_cast<int>(i);
    out_.output_buffers.push_back(buffer);
    segment_outputs_[segment.outputs[i]] = static_cast<int>(i);
    output_buffer_of_[segment.outputs[i]] = buffer;
  }
  plan_concats();
}

std::unique_ptr<Executable> SegmentCompiler::compile() {
  for (size_t p = 0; p < segment_.nodes.size(); ++p) {
    if (fused_.count(static_cast<int>(p))) continue;
    position_ = static_cast<int>(p);
    lower_node();
  }
  for (int value : segment_.outputs)
    if (!held_.count(value))
      fail(ErrorKind::Internal, device_ + ": segment output '" + graph_.value(value).name + "' was never computed");
  out_.segment = segment_;
  out_.device = device_;
  out_.pool = pool_;
  out_.engine = engine_;
  out_.stream = stream_;
  return make_cpu_executable(std::move(out_));
}

bool SegmentCompiler::all_inputs_constant(const Node& node) const {
  bool any = false;
  for (int id : node.inputs) {
    if (id == kNoValue) continue;
    if (!graph_.value(id).is_constant()) return false;
    any = true;
  }
  return any && find_lowering(node.op) != nullptr;
}

// How a node is lowered: folded when its inputs are constant; nothing to compute when
// its outputs are empty; the reference kernel when an input is empty but an output is
// not (oneDNN and the own kernels assume elements to work on); else its lowering.
Lowering SegmentCompiler::lowering_of(const Node& node) const {
  if (all_inputs_constant(node)) return lower_folded;
  auto empty = [&](int id) { return id != kNoValue && is_empty(graph_.value(id)); };
  if (std::all_of(node.outputs.begin(), node.outputs.end(), [&](int id) { return id == kNoValue || empty(id); }))
    return lower_empty;
  if (std::any_of(node.inputs.begin(), node.inputs.end(), empty)) return lower_reference;
  return find_lowering(node.op);
}

void SegmentCompiler::lower_node() {
  const Node& node = graph_.nodes[static_cast<size_t>(segment_.nodes[static_cast<size_t>(position_)])];
  Lowering lowering = lowering_of(node);
  if (!lowering) fail(ErrorKind::Unsupported, device_ + ": no kernel for " + describe(node));
  std::vector<int> before;
  for (auto& [value, ref] : held_) before.push_back(value);
  tasks_ = tasks_for(node);
  try {
    lowering(*this, node);
  } catch (const dnnl::error& e) {
    fail(ErrorKind::Device, device_ + ": oneDNN could not prepare " + describe(node) + ": " + e.what());
  }
  for (auto& [value, ref] : held_)
    if (is_segment_output(value) && !std::binary_search(before.begin(), before.end(), value) &&
        ref.buffer != output_buffer_of_.at(value))
      copy_to_output(value);
}

int SegmentCompiler::tasks_for(const Node& node) const {
  NodeCost cost = node_cost(node, graph_);
  return runs_on_one_task(cost.flops, cost.input_bytes + cost.weight_bytes + cost.output_bytes) ? 1 : pool_->threads();
}

const std::vector<int>& SegmentCompiler::consumers(int value) const {
  static const std::vector<int> none;
  auto it = consumers_.find(value);
  return it == consumers_.end() ? none : it->second;
}

int SegmentCompiler::sole_consumer(int value) const {
  const auto& users = consumers(value);
  if (users.size() != 1 || is_segment_output(value)) return -1;
  return position_of(users[0]) > position_ ? users[0] : -1;
}

bool SegmentCompiler::dead_from(const TensorRef& t, int limit, int ignore) const {
  if (out_.buffers[static_cast<size_t>(t.buffer)].kind != BufferKind::Arena) return false;
  auto it = buffer_values_.find(t.buffer);
  if (it == buffer_values_.end()) return true;
  for (int value : it->second) {
    if (is_segment_output(value)) return false;
    for (int user : consumers(value))
      if (user != ignore && position_of(user) >= limit) return false;
  }
  return true;
}

TensorRef SegmentCompiler::input(int value) {
  auto it = held_.find(value);
  if (it != held_.end()) return it->second;
  const Value& v = graph_.value(value);
  if (!v.is_constant())
    fail(ErrorKind::Internal, device_ + ": value '" + v.name + "' is read before it is computed");
  TensorRef t = constant(*v.data);
  held_[value] = t;
  return t;
}

TensorRef SegmentCompiler::plain(int value) {
  TensorRef t = input(value);
  return t.plain ? t : in_layout(value, plain_md(t.shape));
}

TensorRef SegmentCompiler::in_layout(int value, const memory::desc& md) {
  TensorRef t = input(value);
  if (t.md == md) return t;
  if (t.plain && is_plain(md) && t.md.dims() == md.dims()) return with_layout(t, md);
  for (const TensorRef& copy : copies_[value]) {
    if (copy.md == md) return copy;
    if (copy.plain && is_plain(md) && copy.md.dims() == md.dims()) return with_layout(copy, md);
  }
  TensorRef copy = reorder(t, md);
  copies_[value].push_back(copy);
  buffer_values_[copy.buffer].push_back(value);
  return copy;
}

TensorRef SegmentCompiler::reorder(const TensorRef& src, const memory::desc& md) {
  TensorRef dst = scratch(src.dtype, src.shape, md);
  copy(src, dst);
  return dst;
}

TensorRef SegmentCompiler::output(int value, const memory::desc& md) {
  if (std::optional<TensorRef> slot = concat_slot(value, md)) {
    define(value, *slot);
    return *slot;
  }
  const Value& v = graph_.value(value);
  TensorRef t = is_segment_output(value) && (md.is_zero() || is_plain(md))
                    ? ref_on(output_buffer_of_.at(value), v.dtype, v.shape, md)
                    : scratch(v.dtype, v.shape, md);
  define(value, t);
  return t;
}

TensorRef SegmentCompiler::output_plain(int value) {
  const Value& v = graph_.value(value);
  return output(value, md_of(v.dtype, v.shape));
}

TensorRef SegmentCompiler::output_inplace(int value, const TensorRef& src) {
  if (is_segment_output(value) || !dead_from(src, position_ + 1)) return output(value, src.md);
  TensorRef t = src;
  t.shape = graph_.value(value).shape;
  define(value, t);
  return t;
}

void SegmentCompiler::define(int value, const TensorRef& t) {
  held_[value] = t;
  buffer_values_[t.buffer].push_back(value);
}

void SegmentCompiler::alias(int value, const TensorRef& src) {
  const Value& v = graph_.value(value);
  if (is_segment_output(value)) {
    copy(src, output_plain(value));
    return;
  }
  TensorRef view = src;
  view.shape = v.shape;
  if (src.plain) view.md = md_of(v.dtype, v.shape);
  define(value, view);
}

TensorRef SegmentCompiler::scratch(DType dtype, const Shape& shape, const memory::desc& md) {
  size_t bytes = md.is_zero() ? static_cast<size_t>(num_elements(shape)) * dtype_size(dtype) : md.get_size();
  return ref_on(new_buffer(BufferKind::Arena, bytes), dtype, shape, md);
}

TensorRef SegmentCompiler::constant(const Tensor& data) {
  int buffer = new_buffer(BufferKind::Fixed, data.nbytes());
  out_.keep.push_back(data);
  out_.buffers[static_cast<size_t>(buffer)].fixed = static_cast<std::byte*>(const_cast<void*>(data.raw()));
  return ref_on(buffer, data.dtype(), data.shape(), md_of(data.dtype(), data.shape()));
}

TensorRef SegmentCompiler::prepare(const Tensor& data, const memory::desc& src_md, const memory::desc& md,
                                   const dnnl::primitive_attr& attr) {
  Tensor prepared(DType::u8, {static_cast<int64_t>(md.get_size())});
  memory src(src_md, engine_, const_cast<void*>(data.raw()));
  memory dst(md, engine_, prepared.raw());
  dnnl::reorder(dnnl::reorder::primitive_desc(engine_, src_md, engine_, md, attr)).execute(stream_, src, dst);
  stream_.wait();
  TensorRef t = constant(prepared);
  t.shape = data.shape();
  t.md = md;
  t.plain = is_plain(md);
  return t;
}

std::unique_ptr<Step> SegmentCompiler::primitive_step(const dnnl::primitive_desc_base& pd,
                                                      std::vector<std::pair<int, TensorRef>> args) {
  memory::desc scratchpad = pd.scratchpad_desc();
  if (scratchpad.get_size() > 0)
    args.emplace_back(DNNL_ARG_SCRATCHPAD, scratch(DType::u8, {static_cast<int64_t>(scratchpad.get_size())}, scratchpad));
  int step = static_cast<int>(out_.steps.size());
  for (auto& [arg, t] : args) touch(t, step);
  return std::make_unique<PrimitiveStep>(position_, dnnl::primitive(pd.get()), std::move(args));
}

void SegmentCompiler::push(const dnnl::primitive_desc_base& pd, std::vector<std::pair<int, TensorRef>> args) {
  out_.steps.push_back(primitive_step(pd, std::move(args)));
}

void SegmentCompiler::push_parallel(const std::vector<Part>& parts) {
  if (parts.size() == 1) return push(parts[0].pd, parts[0].args);
  std::vector<std::unique_ptr<Step>> steps;
  for (const Part& part : parts) steps.push_back(primitive_step(part.pd, part.args));
  out_.steps.push_back(std::make_unique<ParallelStep>(position_, std::move(steps)));
}

void SegmentCompiler::push_kernel(Kernel kernel, const std::vector<TensorRef>& tensors) {
  int step = static_cast<int>(out_.steps.size());
  for (const TensorRef& t : tensors) touch(t, step);
  out_.steps.push_back(std::make_unique<KernelStep>(position_, std::move(kernel)));
}

void SegmentCompiler::fuse(int node_index) { fused_.insert(position_of(node_index)); }

void SegmentCompiler::touch(const TensorRef& t, int step) {
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

TensorRef SegmentCompiler::with_layout(TensorRef t, const memory::desc& md) {
  t.md = md;
  return t;
}

TensorRef SegmentCompiler::ref_on(int buffer, DType dtype, const Shape& shape, const memory::desc& md) {
  TensorRef t;
  t.buffer = buffer;
  t.dtype = dtype;
  t.shape = shape;
  t.md = md;
  t.plain = md.is_zero() || is_plain(md);
  return t;
}

void SegmentCompiler::copy_to_output(int value) {
  const Value& v = graph_.value(value);
  copy(held_.at(value), ref_on(output_buffer_of_.at(value), v.dtype, v.shape, md_of(v.dtype, v.shape)));
}

void SegmentCompiler::copy(const TensorRef& src, const TensorRef& dst) {
  if (src.plain && dst.plain) {
    size_t bytes = static_cast<size_t>(num_elements(dst.shape)) * dtype_size(dst.dtype);
    push_kernel([src, dst, bytes](const RunContext& ctx) { std::memcpy(ctx.ptr(dst), ctx.ptr(src), bytes); },
                {src, dst});
    return;
  }
  push(dnnl::reorder::primitive_desc(engine_, src.md, engine_, dst.md, base_attr()),
       {{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}});
}

}  // namespace tandem::cpu
