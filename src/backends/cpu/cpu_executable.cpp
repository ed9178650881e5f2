// The cpu Executable: plans the arena, binds oneDNN memory to buffers once, and in
// the hot path re-points the caller's buffers and executes the prepared steps.
#include "backends/cpu/cpu_executable.h"

#include <chrono>

#include <fmt/format.h>

#include "core/cores.h"
#include "core/memory_plan.h"
#include "tandem/error.h"

namespace tandem::cpu {

dnnl::memory Binder::memory(const TensorRef& t) {
  const Buffer& buffer = buffers_[static_cast<size_t>(t.buffer)];
  bool caller_owned = buffer.kind == BufferKind::Input || buffer.kind == BufferKind::Output;
  dnnl::memory mem(t.md, engine_, caller_owned ? DNNL_MEMORY_NONE : static_cast<void*>(ctx_.ptr(t)));
  if (caller_owned) rebinds_.push_back({mem, t.buffer, t.offset});
  return mem;
}

void PrimitiveStep::bind(Binder& binder) {
  for (auto& [arg, ref] : refs_) args_[arg] = binder.memory(ref);
}

ParallelStep::ParallelStep(int position, std::vector<std::unique_ptr<Step>> parts)
    : Step(position), parts_(std::move(parts)), run_part_([this](int i) { parts_[static_cast<size_t>(i)]->run(*ctx_); }) {}

void ParallelStep::bind(Binder& binder) {
  for (auto& part : parts_) part->bind(binder);
}

void ParallelStep::run(const RunContext& ctx) {
  ctx_ = &ctx;
  ctx.pool->run(static_cast<int>(parts_.size()), run_part_);
}

namespace {

class CpuExecutable : public Executable {
 public:
  explicit CpuExecutable(CompiledSegment compiled) : c_(std::move(compiled)) {
    plan_arena();
    ctx_.stream = c_.stream;
    ctx_.pool = c_.pool.get();
    Binder binder(c_.engine, ctx_, c_.buffers, rebinds_);
    for (auto& step : c_.steps) step->bind(binder);
    node_us_.assign(c_.segment.nodes.size(), 0.0);
  }

  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
           std::vector<NodeTime>* times) override {
    if (inputs.size() != c_.input_buffers.size() || outputs.size() != c_.output_buffers.size())
      fail(ErrorKind::InvalidInput, c_.device + ": segment takes " + std::to_string(c_.input_buffers.size()) +
                                        " inputs and " + std::to_string(c_.output_buffers.size()) + " outputs");
    bind_caller_buffers(inputs, outputs);
    if (times) std::fill(node_us_.begin(), node_us_.end(), 0.0);
    SingleThreadedOneDnn guard;
    ThreadCoreBinding binding(c_.pool->cores());
    for (auto& step : c_.steps) {
      auto start = times ? std::chrono::steady_clock::now() : std::chrono::steady_clock::time_point();
      execute(*step);
      if (times) {
        std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
        node_us_[static_cast<size_t>(step->position)] += took.count();
      }
    }
    c_.stream.wait();
    if (times)
      for (size_t i = 0; i < node_us_.size(); ++i) times->push_back({c_.segment.nodes[i], node_us_[i]});
  }

  size_t workspace_bytes() const override {
    size_t bytes = arena_.nbytes();
    for (const Tensor& t : c_.keep) bytes += t.nbytes();
    return bytes;
  }

 private:
  void plan_arena() {
    ArenaLayout layout =
        layout_arena(c_.buffers, [](const Buffer& b) { return b.kind == BufferKind::Arena; }, 64);
    // Refused here rather than left to the kernel's out-of-memory killer once touched.
    double memory = host_memory_bytes();
    if (memory > 0 && static_cast<double>(layout.total_bytes) > memory)
      fail(ErrorKind::Device, fmt::format("{}: the intermediates need {:.4g} GB at once, more than the host's {:.4g} GB",
                                          c_.device, static_cast<double>(layout.total_bytes) / 1e9, memory / 1e9));
    arena_ = Tensor(DType::u8, {static_cast<int64_t>(layout.total_bytes)});
    ctx_.ptrs.assign(c_.buffers.size(), nullptr);
    for (size_t i = 0; i < c_.buffers.size(); ++i) {
      if (layout.offsets[i] != kNotInArena) ctx_.ptrs[i] = static_cast<std::byte*>(arena_.raw()) + layout.offsets[i];
      if (c_.buffers[i].kind == BufferKind::Fixed) ctx_.ptrs[i] = c_.buffers[i].fixed;
    }
  }


  void bind_caller_buffers(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) {
    for (size_t i = 0; i < inputs.size(); ++i)
      ctx_.ptrs[static_cast<size_t>(c_.input_buffers[i])] = static_cast<std::byte*>(const_cast<void*>(inputs[i]));
    for (size_t i = 0; i < outputs.size(); ++i)
      ctx_.ptrs[static_cast<size_t>(c_.output_buffers[i])] = static_cast<std::byte*>(outputs[i]);
    for (Binder::Rebind& r : rebinds_) r.memory.set_data_handle(ctx_.ptrs[static_cast<size_t>(r.buffer)] + r.offset);
  }

  void execute(Step& step) {
    try {
      step.run(ctx_);
    } catch (const dnnl::error& e) {
      const Node& node = c_.segment.graph->nodes[static_cast<size_t>(c_.segment.nodes[static_cast<size_t>(step.position)])];
      fail(ErrorKind::Device, c_.device + ": oneDNN failed running " + describe(node) + ": " + e.what());
    }
  }

  CompiledSegment c_;
  Tensor arena_;
  RunContext ctx_;
  std::vector<Binder::Rebind> rebinds_;
  std::vector<double> node_us_;
};

}  // namespace

std::unique_ptr<Executable> make_cpu_executable(CompiledSegment compiled) {
  return std::make_unique<CpuExecutable>(std::move(compiled));
}

}  // namespace tandem::cpu
