// The compiled form of a segment on a cpu device: buffers (one planned arena for
// intermediates, the caller's segment inputs/outputs, prepared constants), and a
// list of steps (oneDNN primitives or own kernels) built once. The hot path only
// binds the caller's pointers and executes the steps.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <climits>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "backends/cpu/thread_pool.h"
#include "backends/device.h"

namespace tandem::cpu {

enum class BufferKind { Arena, Input, Output, Fixed };

// Where bytes live. Arena buffers get offsets from the memory plan; their lifetime
// is the range of steps that touch them.
struct Buffer {
  BufferKind kind = BufferKind::Arena;
  size_t bytes = 0;
  int index = -1;                 // Input/Output: index in the segment's inputs/outputs
  std::byte* fixed = nullptr;     // Fixed: constant or prepared data
  int first_step = INT_MAX;
  int last_step = -1;
};

// A tensor as the cpu backend holds it: its buffer (and byte offset in it, for a
// slice such as one input of a concat written in place), logical shape and dtype,
// and for f32 the oneDNN layout (`md`), which is plain row-major unless `plain` is
// false.
struct TensorRef {
  int buffer = -1;
  size_t offset = 0;
  DType dtype = DType::f32;
  Shape shape;
  dnnl::memory::desc md;
  bool plain = true;
};

struct RunContext {
  std::vector<std::byte*> ptrs;  // per buffer
  dnnl::stream stream;
  ThreadPool* pool = nullptr;
  std::byte* ptr(const TensorRef& t) const { return ptrs[static_cast<size_t>(t.buffer)] + t.offset; }
  template <class T> T* data(const TensorRef& t) const { return reinterpret_cast<T*>(ptr(t)); }
};

// Creates oneDNN memory objects once buffer addresses are known; memory on the
// caller's buffers is re-pointed before every run.
class Binder {
 public:
  // Memory on a caller's buffer, re-pointed before each run: buffer and byte offset.
  struct Rebind {
    dnnl::memory memory;
    int buffer;
    size_t offset;
  };
  Binder(const dnnl::engine& engine, const RunContext& ctx, const std::vector<Buffer>& buffers,
         std::vector<Rebind>& rebinds)
      : engine_(engine), ctx_(ctx), buffers_(buffers), rebinds_(rebinds) {}
  dnnl::memory memory(const TensorRef& t);

 private:
  const dnnl::engine& engine_;
  const RunContext& ctx_;
  const std::vector<Buffer>& buffers_;
  std::vector<Rebind>& rebinds_;
};

class Step {
 public:
  explicit Step(int position) : position(position) {}
  virtual ~Step() = default;
  virtual void bind(Binder&) {}
  virtual void run(const RunContext& ctx) = 0;
  int position;  // index into segment.nodes of the node this step is charged to
};

class PrimitiveStep : public Step {
 public:
  PrimitiveStep(int position, dnnl::primitive primitive, std::vector<std::pair<int, TensorRef>> args)
      : Step(position), primitive_(std::move(primitive)), refs_(std::move(args)) {}
  void bind(Binder& binder) override;
  void run(const RunContext& ctx) override { primitive_.execute(ctx.stream, args_); }

 private:
  dnnl::primitive primitive_;
  std::vector<std::pair<int, TensorRef>> refs_;
  std::unordered_map<int, dnnl::memory> args_;
};

using Kernel = std::function<void(const RunContext&)>;

class KernelStep : public Step {
 public:
  KernelStep(int position, Kernel kernel) : Step(position), kernel_(std::move(kernel)) {}
  void run(const RunContext& ctx) override { kernel_(ctx); }

 private:
  Kernel kernel_;
};

// Independent parts of one step (e.g. output-channel slices of a convolution), run
// across the device's threads.
class ParallelStep : public Step {
 public:
  ParallelStep(int position, std::vector<std::unique_ptr<Step>> parts);
  void bind(Binder& binder) override;
  void run(const RunContext& ctx) override;

 private:
  std::vector<std::unique_ptr<Step>> parts_;
  const RunContext* ctx_ = nullptr;
  std::function<void(int)> run_part_;
};

// Everything the segment compiler produces.
struct CompiledSegment {
  Segment segment;
  std::string device;
  std::shared_ptr<ThreadPool> pool;  // the device's threads
  dnnl::engine engine;
  dnnl::stream stream;
  std::vector<Buffer> buffers;
  std::vector<std::unique_ptr<Step>> steps;
  std::vector<int> input_buffers;   // per segment input
  std::vector<int> output_buffers;  // per segment output
  std::vector<Tensor> keep;         // constants and prepared weights the buffers point into
};

std::unique_ptr<Executable> make_cpu_executable(CompiledSegment compiled);

}  // namespace tandem::cpu
