// The Device contract: the one interface every backend implements (reference, cpu,
// later cuda and remote). A device says which nodes it supports, compiles a Segment
// (a run of nodes placed on it) into an Executable once, owns its memory and copies
// to and from the host. Vendor headers never appear here.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tandem {

// A topologically ordered run of nodes of one graph, all placed on one device.
// Boundary tensors (inputs, outputs) are dense row-major in the device's memory;
// inside, a backend may use any layout and fuse nodes.
struct Segment {
  const Graph* graph = nullptr;
  std::vector<int> nodes;    // indices into graph->nodes
  std::vector<int> inputs;   // non-constant value ids read here, produced elsewhere
  std::vector<int> outputs;  // value ids produced here, read elsewhere or graph outputs
};

// Builds a segment from node indices; inputs/outputs are derived from the graph.
Segment make_segment(const Graph& graph, std::vector<int> nodes);
// The whole graph as one segment.
Segment whole_graph_segment(const Graph& graph);

struct NodeTime {
  int node = -1;              // index into graph->nodes
  double microseconds = 0;    // 0 for a node fused into the one before it
};

class Executable {
 public:
  virtual ~Executable() = default;
  // inputs[i] holds segment.inputs[i]; outputs[i] receives segment.outputs[i];
  // both in this device's memory. With `times`, each node is timed (synchronously).
  virtual void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                   std::vector<NodeTime>* times = nullptr) = 0;
  // Bytes of device memory held for intermediates and prepared weights.
  virtual size_t workspace_bytes() const = 0;
};

enum class DeviceKind { Host, Gpu, Remote };

struct DeviceInfo {
  std::string name;         // "reference", "cpu", "cpu:1", "cuda:0"
  DeviceKind kind = DeviceKind::Host;
  std::string description;  // CPU model, GPU name
  int threads = 1;
};

struct DeviceOptions {
  int threads = 0;          // 0: all cores
};

class Device {
 public:
  virtual ~Device() = default;
  virtual const DeviceInfo& info() const = 0;
  const std::string& name() const { return info().name; }

  // Whether compile() accepts this node (op type and attribute values).
  virtual bool supports(const Node& node, const Graph& graph) const = 0;
  // Prepares the segment once (primitives, layouts, weights, memory); throws
  // Error(Unsupported) naming the first node it cannot run.
  virtual std::unique_ptr<Executable> compile(const Segment& segment) = 0;

  virtual void* allocate(size_t bytes) = 0;
  virtual void release(void* ptr) = 0;
  virtual void copy_from_host(void* dst, const void* src, size_t bytes) = 0;
  virtual void copy_to_host(void* dst, const void* src, size_t bytes) = 0;
  // Waits until all work queued on this device has finished.
  virtual void synchronize() = 0;
};

// A device whose memory is ordinary host memory (reference, cpu).
class HostDevice : public Device {
 public:
  void* allocate(size_t bytes) override;
  void release(void* ptr) override;
  void copy_from_host(void* dst, const void* src, size_t bytes) override;
  void copy_to_host(void* dst, const void* src, size_t bytes) override;
  void synchronize() override {}
};

}  // namespace tandem
