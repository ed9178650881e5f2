// Segments (which values cross a segment's boundary), the checks before compiling one, and
// host-memory devices.
#include "backends/device.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>

#include <fmt/format.h>
#include <unistd.h>

#include "core/host_memory.h"
#include "tandem/error.h"

namespace tandem {

const char* device_kind_name(DeviceKind kind) {
  switch (kind) {
    case DeviceKind::Host: return "host";
    case DeviceKind::Gpu: return "gpu";
    case DeviceKind::Remote: return "remote";
  }
  return "host";
}

Segment make_segment(const Graph& graph, std::vector<int> nodes) {
  Segment segment;
  segment.graph = &graph;
  std::set<int> inside(nodes.begin(), nodes.end());
  std::set<int> produced_here;
  for (int n : nodes)
    for (int out : graph.nodes.at(static_cast<size_t>(n)).outputs)
      if (out != kNoValue) produced_here.insert(out);
  std::set<int> seen_inputs;
  for (int n : nodes)
    for (int in : graph.nodes[static_cast<size_t>(n)].inputs)
      if (in != kNoValue && !produced_here.count(in) && !graph.value(in).is_constant() &&
          seen_inputs.insert(in).second)
        segment.inputs.push_back(in);
  std::set<int> graph_outputs(graph.outputs.begin(), graph.outputs.end());
  auto users = graph.consumers();
  for (int n : nodes)
    for (int out : graph.nodes[static_cast<size_t>(n)].outputs) {
      if (out == kNoValue) continue;
      bool needed = graph_outputs.count(out) != 0;
      for (int user : users[static_cast<size_t>(out)])
        if (!inside.count(user)) needed = true;
      if (needed) segment.outputs.push_back(out);
    }
  segment.nodes = std::move(nodes);
  return segment;
}

Segment whole_graph_segment(const Graph& graph) {
  std::vector<int> all(graph.nodes.size());
  for (size_t i = 0; i < all.size(); ++i) all[i] = static_cast<int>(i);
  return make_segment(graph, std::move(all));
}

void check_compilable(const Device& device, const Segment& segment) {
  const Graph& graph = *segment.graph;
  const DeviceInfo& info = device.info();
  for (int n : segment.nodes) {
    const Node& node = graph.nodes.at(static_cast<size_t>(n));
    if (!device.supports(node, graph))
      fail(ErrorKind::Unsupported, info.name + ": no kernel for " + describe(node) +
                                       (touches_empty_value(node, graph) ? " with an empty tensor" : ""));
    if (info.memory_bytes <= 0) continue;
    for (const std::vector<int>* ids : {&node.inputs, &node.outputs})
      for (int id : *ids) {
        if (id == kNoValue) continue;
        const Value& v = graph.value(id);
        // In floating point, not value_bytes: a corrupt shape's element count can
        // overflow 64 bits.
        double bytes = static_cast<double>(dtype_size(v.dtype));
        for (int64_t d : v.shape) bytes *= static_cast<double>(std::max<int64_t>(d, 0));
        if (bytes > info.memory_bytes)
          fail(ErrorKind::Device, fmt::format("{}: value '{}' {} of {} needs {:.4g} GB, more than the device's {:.4g} GB",
                                              info.name, v.name, shape_str(v.shape), describe(node), bytes / 1e9,
                                              info.memory_bytes / 1e9));
      }
  }
}

double host_memory_bytes() {
  long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
  return pages > 0 && page_size > 0 ? static_cast<double>(pages) * static_cast<double>(page_size) : 0.0;
}

static void* aligned_host_memory(const std::string& device, size_t bytes) {
  void* p = allocate_host_memory(bytes);
  if (!p) fail(ErrorKind::Device, device + ": allocation of " + std::to_string(bytes) + " host bytes failed");
  return p;
}

namespace {
// The event of a device that finishes work before returning: always done.
class FinishedEvent : public DeviceEvent {
 public:
  void wait() override {}
  bool done() override { return true; }
};
}  // namespace

void Device::copy_from_host_async(void* dst, const void* src, size_t bytes, Lane) { copy_from_host(dst, src, bytes); }

void Device::copy_to_host_async(void* dst, const void* src, size_t bytes, Lane) { copy_to_host(dst, src, bytes); }

std::shared_ptr<DeviceEvent> Device::record(Lane) { return std::make_shared<FinishedEvent>(); }

void Device::wait_for(const std::shared_ptr<DeviceEvent>& event, Lane) {
  if (event) event->wait();
}

void* Device::allocate_host(size_t bytes) { return aligned_host_memory(name(), bytes); }

void Device::release_host(void* ptr) { std::free(ptr); }

void* HostDevice::allocate(size_t bytes) { return aligned_host_memory(name(), bytes); }

void HostDevice::release(void* ptr) { std::free(ptr); }

void HostDevice::copy_from_host(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }

void HostDevice::copy_to_host(void* dst, const void* src, size_t bytes) { std::memcpy(dst, src, bytes); }

}  // namespace tandem
