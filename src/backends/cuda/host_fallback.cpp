// The op's reference kernel run on the host for a node the GPU kernels do not cover
// (rare dtypes or attribute values; each lowering says which). Three queued stages
// on the compute stream, all capturable in a CUDA graph: copy the inputs into pinned
// staging buffers, run the reference kernel in a host callback, copy the outputs
// back. Slow, but a model never fails on cuda for want of a kernel.
#include <cstdio>
#include <cstring>

#include "backends/cuda/lowering.h"
#include "ops/op.h"

namespace tandem::cuda {
namespace {

// What the host callback needs; owned by the executable.
struct HostCall {
  const Node* node = nullptr;
  const OpDef* def = nullptr;
  std::string where;
  std::vector<Tensor> inputs, outputs;  // views of pinned staging memory
  bool reported = false;
};

void CUDART_CB run_on_host(void* data) {
  auto* call = static_cast<HostCall*>(data);
  try {
    call->def->reference(*call->node, call->inputs, call->outputs);
  } catch (const std::exception& e) {
    // A host callback cannot throw into the stream: the outputs become zeros and the
    // failure is reported once.
    for (Tensor& t : call->outputs)
      if (t.nbytes()) std::memset(t.raw(), 0, t.nbytes());
    if (!call->reported) std::fprintf(stderr, "tandem: %s: host fallback failed: %s\n", call->where.c_str(), e.what());
    call->reported = true;
  }
}

// A staged tensor: its device place and the pinned host view.
struct Staged {
  DeviceTensor device;
  void* host = nullptr;
};

}  // namespace

void lower_host_fallback(SegmentCompiler& c, const Node& node) {
  auto call = std::make_shared<HostCall>();
  call->node = &node;
  call->def = find_op(node.op);
  call->where = c.where(node);
  std::vector<Staged> ins, outs;
  std::vector<DeviceTensor> touched;
  for (int id : node.inputs) {
    if (id == kNoValue) {
      call->inputs.emplace_back();
      continue;
    }
    DeviceTensor t = c.input(id);
    std::byte* host = c.pinned(t.bytes());
    call->inputs.push_back(Tensor::view(t.dtype, t.shape, host));
    ins.push_back({t, host});
    touched.push_back(t);
  }
  for (int id : node.outputs) {
    if (id == kNoValue) {
      call->outputs.emplace_back();
      continue;
    }
    DeviceTensor t = c.output(id);
    std::byte* host = c.pinned(t.bytes());
    call->outputs.push_back(Tensor::view(t.dtype, t.shape, host));
    outs.push_back({t, host});
    touched.push_back(t);
  }
  c.keep(call);
  std::string where = call->where;
  HostCall* raw = call.get();
  c.push([=](const RunContext& ctx) {
    for (const Staged& s : ins)
      if (s.device.bytes())
        TANDEM_CUDA_CHECK(where, cudaMemcpyAsync(s.host, ctx.ptr(s.device), s.device.bytes(), cudaMemcpyDeviceToHost,
                                                 ctx.stream));
    TANDEM_CUDA_CHECK(where, cudaLaunchHostFunc(ctx.stream, run_on_host, raw));
    for (const Staged& s : outs)
      if (s.device.bytes())
        TANDEM_CUDA_CHECK(where, cudaMemcpyAsync(ctx.ptr(s.device), s.host, s.device.bytes(), cudaMemcpyHostToDevice,
                                                 ctx.stream));
  }, touched);
}

}  // namespace tandem::cuda
