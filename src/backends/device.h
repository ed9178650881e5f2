// The Device contract: the one interface every backend implements (reference, cpu,
// later cuda and remote). A device says which nodes it supports, compiles a Segment
// (a run of nodes placed on it) into an Executable once, owns its memory and copies
// to and from the host. Vendor headers never appear here.
#pragma once
#include <map>
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
  // both in this device's memory. Queues the work on the device's compute lane and
  // may return before it has finished (host devices finish before returning); use an
  // event or Device::synchronize(). With `times`, each node is timed and run() returns
  // only when all of it has finished.
  virtual void run(const std::vector<const void*>& inputs, const std::vector<void*>& outputs,
                   std::vector<NodeTime>* times = nullptr) = 0;
  // Bytes of device memory held for intermediates and prepared weights.
  virtual size_t workspace_bytes() const = 0;
};

enum class DeviceKind { Host, Gpu, Remote };
// "host", "gpu", "remote".
const char* device_kind_name(DeviceKind kind);

// How a device moves data and orders its work, for the runtime's overlap decisions.
struct TransferModel {
  bool async = false;          // run() and the *_async copies return before the work is done
  int copy_engines = 0;        // engines copying concurrently with compute (0: copies use the compute threads)
  bool pinned_staging = false; // host buffers from allocate_host() copy asynchronously and faster
  std::string streams;         // the stream model in words, e.g. "compute + H2D + D2H streams, events"
};

struct DeviceInfo {
  std::string name;         // "reference", "cpu", "cpu:1", "cuda:0"
  DeviceKind kind = DeviceKind::Host;
  std::string description;  // CPU model, GPU name
  int threads = 1;
  TransferModel transfer;
  // Host devices: the cores their threads are pinned to; empty: unpinned (any core).
  // Two host devices whose cores overlap (or either is unpinned) share compute.
  std::vector<int> cores = {};
  // Host devices: their convolutions keep activations channels last (the cpu backend
  // where oneDNN picks its AVX-512 kernels), which changes how a conv is split.
  bool channels_last = false;
  // The memory its tensors live in: the host's RAM, or the GPU's; 0 when unknown.
  double memory_bytes = 0;
};

struct DeviceOptions {
  int threads = 0;          // 0: all cores (host devices pinned to cores: one thread per core)
  // Host devices, by device name: the cores ("cpu:1" -> {1}) its threads are pinned
  // to, so that two CPU device instances can own disjoint cores. A device not named
  // here runs unpinned on all cores.
  std::map<std::string, std::vector<int>> cores = {};
  bool tf32 = false;        // GPUs: allow TF32 tensor-core math (default strict float32)
  bool graphs = true;       // GPUs: capture compiled segments as CUDA graphs and replay them
  size_t workspace_limit = size_t{256} << 20;  // GPUs: most scratch bytes one algorithm may use
};

// The queues of a device. Work on one lane runs in order; lanes run concurrently.
enum class Lane { Compute, ToDevice, ToHost };

// A point in a lane's queue: done once all work queued there before it has finished.
class DeviceEvent {
 public:
  virtual ~DeviceEvent() = default;
  virtual void wait() = 0;  // blocks the calling thread until done
  virtual bool done() = 0;
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

  // Queued copies on `lane`; `src`/`dst` on the host must stay valid until an event
  // recorded after them is done. The defaults copy synchronously.
  virtual void copy_from_host_async(void* dst, const void* src, size_t bytes, Lane lane = Lane::ToDevice);
  virtual void copy_to_host_async(void* dst, const void* src, size_t bytes, Lane lane = Lane::ToHost);
  // An event after the work queued on `lane` so far (the default is already done).
  virtual std::shared_ptr<DeviceEvent> record(Lane lane = Lane::Compute);
  // Work queued on `lane` after this call starts once `event` (of any device) is done.
  // The default blocks the calling thread until it is.
  virtual void wait_for(const std::shared_ptr<DeviceEvent>& event, Lane lane = Lane::Compute);
  // Host memory for staging copies (page-locked on GPUs); the default is ordinary memory.
  virtual void* allocate_host(size_t bytes);
  virtual void release_host(void* ptr);
};

// What every Device::compile checks first: the device supports each node of the
// segment (Error(Unsupported) naming the node), and no value the segment reads or
// writes is larger than the device's memory (Error(Device) naming the value, e.g. a
// huge input dimension), before any kernel is prepared for it.
void check_compilable(const Device& device, const Segment& segment);
// The host's physical memory in bytes (0 when the system does not say).
double host_memory_bytes();

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
