// The cuda Executable: plans and allocates the arena and the shared workspace once,
// then per run binds the caller's buffers and enqueues the steps on the compute
// stream. With graphs on, the step sequence is captured once per set of caller
// buffers as a CUDA graph and replayed: one launch instead of one per kernel, which
// is what batch-1 latency needs. Timed runs (per-node times) run the steps one by one
// between events instead.
#include <algorithm>
#include <map>
#include <set>

#include "backends/cuda/segment_compiler.h"
#include "core/memory_plan.h"
#include "tandem/error.h"

namespace tandem::cuda {
namespace {

constexpr size_t kMaxGraphs = 8;  // captured graphs kept per executable (one per caller buffer set)
constexpr size_t kMaxEagerKeys = 64;  // buffer sets remembered as seen once

// A captured and instantiated step sequence.
struct CapturedGraph {
  cudaGraph_t graph = nullptr;
  cudaGraphExec_t exec = nullptr;
  ~CapturedGraph() {
    if (exec) cudaGraphExecDestroy(exec);
    if (graph) cudaGraphDestroy(graph);
  }
};

// A pair of events around one step, for timed runs.
struct StepTimer {
  cudaEvent_t start = nullptr, stop = nullptr;
  ~StepTimer() {
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
  }
};

class CudaExecutable : public Executable {
 public:
  explicit CudaExecutable(CompiledSegment compiled) : c_(std::move(compiled)), where_(c_.context->name()) {
    plan_arena();
    workspace_ = DeviceMemory(*c_.context, c_.workspace_bytes, "workspace of a compiled segment");
    ctx_.stream = c_.context->compute();
    ctx_.device = c_.context.get();
    ctx_.workspace = workspace_.get();
    ctx_.workspace_bytes = workspace_.bytes();
    graphs_enabled_ = c_.context->options().graphs;
  }

  ~CudaExecutable() override {
    // Work still queued may use the arena, the workspace or the constants.
    cudaSetDevice(c_.context->ordinal());
    cudaStreamSynchronize(ctx_.stream);
  }

  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
           std::vector<NodeTime>* times) override {
    if (inputs.size() != c_.input_buffers.size() || outputs.size() != c_.output_buffers.size())
      fail(ErrorKind::InvalidInput, where_ + ": segment takes " + std::to_string(c_.input_buffers.size()) +
                                        " inputs and " + std::to_string(c_.output_buffers.size()) + " outputs");
    c_.context->activate();
    std::vector<std::byte*> key = bind_caller_buffers(inputs, outputs);
    if (times) return run_timed(*times);
    if (!graphs_enabled_) return enqueue_steps();
    auto found = graphs_.find(key);
    if (found != graphs_.end()) {
      TANDEM_CUDA_CHECK(where_, cudaGraphLaunch(found->second->exec, ctx_.stream));
      return;
    }
    // The first run with a buffer set goes eagerly (libraries load their kernels
    // lazily, which must not happen inside a capture); later ones capture and replay.
    if (!eager_runs_.count(key)) {
      if (eager_runs_.size() >= kMaxEagerKeys) eager_runs_.clear();
      eager_runs_.insert(key);
      return enqueue_steps();
    }
    capture_and_launch(key);
  }

  size_t workspace_bytes() const override {
    size_t bytes = arena_.bytes() + workspace_.bytes();
    for (const DeviceMemory& m : c_.constants) bytes += m.bytes();
    return bytes;
  }

 private:
  void plan_arena() {
    ArenaLayout layout =
        layout_arena(c_.buffers, [](const Buffer& b) { return b.kind == BufferKind::Arena; }, kArenaAlignment);
    arena_ = DeviceMemory(*c_.context, layout.total_bytes, "activation arena of a compiled segment");
    ctx_.ptrs.assign(c_.buffers.size(), nullptr);
    for (size_t i = 0; i < c_.buffers.size(); ++i) {
      if (layout.offsets[i] != kNotInArena) ctx_.ptrs[i] = arena_.get() + layout.offsets[i];
      if (c_.buffers[i].kind == BufferKind::Fixed) ctx_.ptrs[i] = c_.buffers[i].fixed;
    }
  }


  // Points the caller's buffers; returns them as the key of the captured graph.
  std::vector<std::byte*> bind_caller_buffers(const std::vector<const void*>& inputs, const std::vector<void*>& outputs) {
    std::vector<std::byte*> key;
    for (size_t i = 0; i < inputs.size(); ++i) {
      auto* p = static_cast<std::byte*>(const_cast<void*>(inputs[i]));
      ctx_.ptrs[static_cast<size_t>(c_.input_buffers[i])] = p;
      key.push_back(p);
    }
    for (size_t i = 0; i < outputs.size(); ++i) {
      auto* p = static_cast<std::byte*>(outputs[i]);
      ctx_.ptrs[static_cast<size_t>(c_.output_buffers[i])] = p;
      key.push_back(p);
    }
    return key;
  }

  void enqueue_steps() {
    for (const Step& step : c_.steps) step.launch(ctx_);
  }

  void capture_and_launch(const std::vector<std::byte*>& key) {
    auto captured = std::make_unique<CapturedGraph>();
    TANDEM_CUDA_CHECK(where_, cudaStreamBeginCapture(ctx_.stream, cudaStreamCaptureModeThreadLocal));
    try {
      enqueue_steps();
    } catch (...) {
      cudaGraph_t broken = nullptr;
      cudaStreamEndCapture(ctx_.stream, &broken);
      if (broken) cudaGraphDestroy(broken);
      cudaGetLastError();
      throw;
    }
    TANDEM_CUDA_CHECK(where_ + ", capturing a CUDA graph", cudaStreamEndCapture(ctx_.stream, &captured->graph));
    TANDEM_CUDA_CHECK(where_ + ", instantiating a CUDA graph",
                      cudaGraphInstantiate(&captured->exec, captured->graph, 0));
    TANDEM_CUDA_CHECK(where_, cudaGraphLaunch(captured->exec, ctx_.stream));
    if (graphs_.size() >= kMaxGraphs) graphs_.erase(graphs_.begin());
    graphs_[key] = std::move(captured);
  }

  // Each step between two events; waits for the end and charges each step's time to
  // its node (a node lowered to several steps gets their sum; fused nodes get 0).
  void run_timed(std::vector<NodeTime>& times) {
    std::vector<StepTimer> timers(c_.steps.size());
    for (size_t i = 0; i < c_.steps.size(); ++i) {
      TANDEM_CUDA_CHECK(where_, cudaEventCreate(&timers[i].start));
      TANDEM_CUDA_CHECK(where_, cudaEventCreate(&timers[i].stop));
      TANDEM_CUDA_CHECK(where_, cudaEventRecord(timers[i].start, ctx_.stream));
      c_.steps[i].launch(ctx_);
      TANDEM_CUDA_CHECK(where_, cudaEventRecord(timers[i].stop, ctx_.stream));
    }
    TANDEM_CUDA_CHECK(where_, cudaStreamSynchronize(ctx_.stream));
    std::vector<double> node_us(c_.segment.nodes.size(), 0.0);
    for (size_t i = 0; i < c_.steps.size(); ++i) {
      float ms = 0;
      TANDEM_CUDA_CHECK(where_, cudaEventElapsedTime(&ms, timers[i].start, timers[i].stop));
      node_us[static_cast<size_t>(c_.steps[i].position)] += ms * 1000.0;
    }
    for (size_t i = 0; i < node_us.size(); ++i) times.push_back({c_.segment.nodes[i], node_us[i]});
  }

  CompiledSegment c_;
  std::string where_;
  DeviceMemory arena_, workspace_;
  RunContext ctx_;
  bool graphs_enabled_ = true;
  std::set<std::vector<std::byte*>> eager_runs_;
  std::map<std::vector<std::byte*>, std::unique_ptr<CapturedGraph>> graphs_;
};

}  // namespace

std::unique_ptr<Executable> make_cuda_executable(CompiledSegment compiled) {
  return std::make_unique<CudaExecutable>(std::move(compiled));
}

}  // namespace tandem::cuda
