// Reference device: runs each node's reference kernel on host tensors, with
// intermediates held in one planned arena.
#include "backends/reference/reference_device.h"

#include <algorithm>
#include <chrono>
#include <map>

#include "core/memory_plan.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {
namespace {

class ReferenceExecutable : public Executable {
 public:
  explicit ReferenceExecutable(const Segment& segment) : segment_(segment), graph_(*segment.graph) {
    plan_intermediates();
  }

  void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
           std::vector<NodeTime>* times) override {
    std::map<int, void*> memory = slots_;
    for (size_t i = 0; i < segment_.inputs.size(); ++i) memory[segment_.inputs[i]] = const_cast<void*>(inputs[i]);
    for (size_t i = 0; i < segment_.outputs.size(); ++i) memory[segment_.outputs[i]] = outputs[i];
    for (int n : segment_.nodes) {
      const Node& node = graph_.nodes[static_cast<size_t>(n)];
      auto start = std::chrono::steady_clock::now();
      std::vector<Tensor> in, out;
      for (int id : node.inputs) in.push_back(id == kNoValue ? Tensor() : tensor_for(id, memory));
      for (int id : node.outputs) out.push_back(id == kNoValue ? Tensor() : tensor_for(id, memory));
      find_op(node.op)->reference(node, in, out);
      if (times) {
        std::chrono::duration<double, std::micro> took = std::chrono::steady_clock::now() - start;
        times->push_back({n, took.count()});
      }
    }
  }

  size_t workspace_bytes() const override { return arena_.nbytes(); }

 private:
  Tensor tensor_for(int id, std::map<int, void*>& memory) const {
    const Value& v = graph_.value(id);
    if (v.is_constant()) return *v.data;
    return Tensor::view(v.dtype, v.shape, memory.at(id));
  }

  // Intermediates (produced and consumed inside the segment) share one arena.
  void plan_intermediates() {
    std::vector<int> boundary(segment_.inputs);
    boundary.insert(boundary.end(), segment_.outputs.begin(), segment_.outputs.end());
    std::map<int, BufferLifetime> lifetimes;
    for (size_t step = 0; step < segment_.nodes.size(); ++step) {
      const Node& node = graph_.nodes[static_cast<size_t>(segment_.nodes[step])];
      for (int id : node.outputs) {
        if (id == kNoValue || std::find(boundary.begin(), boundary.end(), id) != boundary.end()) continue;
        const Value& v = graph_.value(id);
        lifetimes[id] = {static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype), int(step), int(step)};
      }
      for (int id : node.inputs)
        if (lifetimes.count(id)) lifetimes[id].last_step = static_cast<int>(step);
    }
    std::vector<int> ids;
    std::vector<BufferLifetime> requests;
    for (auto& [id, life] : lifetimes) {
      ids.push_back(id);
      requests.push_back(life);
    }
    MemoryPlan plan = plan_memory(requests);
    arena_ = Tensor(DType::u8, {static_cast<int64_t>(plan.total_bytes)});
    for (size_t i = 0; i < ids.size(); ++i) slots_[ids[i]] = static_cast<std::byte*>(arena_.raw()) + plan.offsets[i];
  }

  Segment segment_;
  const Graph& graph_;
  Tensor arena_;
  std::map<int, void*> slots_;
};

class ReferenceDevice : public HostDevice {
 public:
  ReferenceDevice() {
    info_ = {"reference", DeviceKind::Host, "plain loops (oracle)", 1, {false, 0, false, "runs on the calling thread"}};
    info_.memory_bytes = host_memory_bytes();
  }
  const DeviceInfo& info() const override { return info_; }
  bool supports(const Node& node, const Graph&) const override { return find_op(node.op) != nullptr; }
  std::unique_ptr<Executable> compile(const Segment& segment) override {
    check_compilable(*this, segment);
    return std::make_unique<ReferenceExecutable>(segment);
  }

 private:
  DeviceInfo info_;
};

}  // namespace

std::unique_ptr<Device> make_reference_device(const DeviceOptions&) { return std::make_unique<ReferenceDevice>(); }

}  // namespace tandem
