// The plan executor (plan_executor.h): splitting a plan into segments, one buffer
// per boundary value and device plus host staging, and runs with one worker thread
// per device that hand values to each other through host staging and DeviceEvents.
#include "runtime/plan_executor.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "backends/registry.h"
#include "core/cores.h"
#include "plan/plan_file.h"
#include "runtime/boundary_buffers.h"
#include "runtime/device_workers.h"
#include "runtime/graph_io.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

double microseconds_since(Clock::time_point start) {
  return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
}

// Where one boundary value lives: its producer's device, a buffer on every device
// that holds it, and a host copy when it leaves its device.
struct ValueRoute {
  int producer_device = -1;      // -1: a graph input, which starts on the host
  std::vector<void*> on_device;  // per device; nullptr where the device does not hold it
  void* staging = nullptr;       // host memory, when the value leaves its device
  int staging_owner = -1;        // the device whose allocate_host() made `staging`
  size_t bytes = 0;
};

struct CompiledSegment {
  Segment segment;
  std::unique_ptr<Executable> executable;
  std::vector<const void*> inputs;  // device buffers of segment.inputs
  std::vector<void*> outputs;       // device buffers of segment.outputs
};

// Thrown in a worker waiting for a value when another worker has failed.
struct RunAborted {};

// How long a device thread that owns its cores polls for a value before it blocks.
// A core that sleeps while it waits wakes up slow (caches and, on virtual machines,
// the vCPU handed to others). Polling uses PAUSE, which leaves the other cores
// alone; sched_yield in a tight loop was seen to slow them. OpenMP runtimes poll
// for the same reason (their "block time").
constexpr std::chrono::microseconds kOwnCoreSpin{5000};

// Values on their way to the host: each is published once, with the event after its
// copy into host staging (nullptr: already there), and awaited by other devices.
class Handoff {
 public:
  void publish(const std::vector<int>& values, const std::shared_ptr<DeviceEvent>& event) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      for (int v : values) on_host_[v] = event;
      version_.fetch_add(1, std::memory_order_release);
    }
    changed_.notify_all();
  }
  // Blocks until `value` is published; polls for up to `spin` first.
  std::shared_ptr<DeviceEvent> await(int value, std::chrono::microseconds spin = {}) {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!ready(value) && spin.count() > 0) {
      const auto deadline = Clock::now() + spin;
      while (!ready(value) && Clock::now() < deadline) {
        const uint64_t seen = version_.load(std::memory_order_acquire);
        lock.unlock();
        while (version_.load(std::memory_order_acquire) == seen && Clock::now() < deadline) spin_pause(32);
        lock.lock();
      }
    }
    changed_.wait(lock, [&] { return ready(value); });
    if (aborted_) throw RunAborted{};
    return on_host_.at(value);
  }
  void abort() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      aborted_ = true;
      version_.fetch_add(1, std::memory_order_release);
    }
    changed_.notify_all();
  }

 private:
  bool ready(int value) const { return aborted_ || on_host_.count(value) != 0; }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::map<int, std::shared_ptr<DeviceEvent>> on_host_;
  std::atomic<uint64_t> version_{0};
  bool aborted_ = false;
};

}  // namespace

struct PlanExecutor::Impl {
  std::unique_ptr<Graph> owned_graph;
  const Graph* graph = nullptr;
  std::vector<std::string> device_names;
  std::vector<std::unique_ptr<Device>> devices;
  std::vector<PlanSegment> segments;
  std::vector<CompiledSegment> compiled;        // same order as segments
  std::vector<std::vector<int>> segments_of_device;
  std::map<int, ValueRoute> routes;             // by value id
  std::vector<void*> arenas;                    // per device: its boundary values (boundary_buffers.h)
  std::vector<size_t> busy_devices;             // devices with segments; the first runs on the caller
  std::vector<std::vector<int>> own_cores;      // per device: cores no other device of the plan uses
  Clock::time_point run_start;                  // of the run in progress
  std::unique_ptr<DeviceWorkers> workers;       // threads for the others
  size_t boundary_bytes = 0, separate_bytes = 0;
  std::vector<TensorSpec> inputs, outputs;
  PlanRunTimes times;

  ~Impl() {
    compiled.clear();
    for (size_t d = 0; d < arenas.size(); ++d)
      if (arenas[d]) devices[d]->release(arenas[d]);
    for (auto& [id, route] : routes)
      if (route.staging) devices[static_cast<size_t>(route.staging_owner)]->release_host(route.staging);
  }
};

namespace {

using Impl = PlanExecutor::Impl;

// Per device: its cores when it is a host device pinned to cores that no other host
// device of the plan runs on, else none. Such a device's thread may poll while it
// waits without taking compute from another device.
std::vector<std::vector<int>> owned_cores(const std::vector<std::unique_ptr<Device>>& devices) {
  std::vector<std::vector<int>> owned(devices.size());
  for (size_t d = 0; d < devices.size(); ++d) {
    const DeviceInfo& info = devices[d]->info();
    if (info.kind != DeviceKind::Host || info.cores.empty()) continue;
    bool alone = true;
    for (size_t e = 0; e < devices.size(); ++e)
      if (e != d && devices[e]->info().kind == DeviceKind::Host && cores_overlap(info.cores, devices[e]->info().cores))
        alone = false;
    if (alone) owned[d] = info.cores;
  }
  return owned;
}

void create_devices(Impl& s, const Plan& plan, const DeviceOptions& options) {
  if (plan.devices.empty()) fail(ErrorKind::InvalidInput, "the plan names no devices");
  std::set<std::string> seen;
  for (const std::string& name : plan.devices)
    if (!seen.insert(name).second) fail(ErrorKind::InvalidInput, "the plan names device '" + name + "' twice");
  s.device_names = plan.devices;
  DeviceOptions pinned = options;  // the plan's cores win: it was made for them
  for (const auto& [device, cores] : plan.cores) pinned.cores[device] = cores;
  for (const std::string& name : plan.devices) s.devices.push_back(create_device(name, pinned));
  s.own_cores = owned_cores(s.devices);
}

Placement checked_placement(const Impl& s, const Plan& plan) {
  Placement placement = placement_of(plan, *s.graph);
  if (placement.size() != s.graph->nodes.size())
    fail(ErrorKind::InvalidInput, "the plan places " + std::to_string(placement.size()) + " nodes; the graph has " +
                                      std::to_string(s.graph->nodes.size()));
  for (size_t n = 0; n < placement.size(); ++n) {
    const Node& node = s.graph->nodes[n];
    int d = placement[n];
    if (d < 0 || static_cast<size_t>(d) >= s.devices.size())
      fail(ErrorKind::InvalidInput, "the plan puts " + describe(node) + " on device #" + std::to_string(d) +
                                        ", which it does not name");
    if (!s.devices[static_cast<size_t>(d)]->supports(node, *s.graph))
      fail(ErrorKind::Unsupported, "the plan puts " + describe(node) + " on " + s.device_names[static_cast<size_t>(d)] +
                                       ", which cannot run it");
  }
  return placement;
}

// Whether node `n` reads a value that another device's node produces after `start`
// in the plan's timeline (a segment starting then would wait for it).
bool waits_for_another_device(const Graph& graph, const Placement& placement, const std::vector<int>& producers,
                              const std::vector<double>& finish_us, int n, double start) {
  for (int v : graph.nodes[static_cast<size_t>(n)].inputs) {
    const int p = v == kNoValue ? -1 : producers[static_cast<size_t>(v)];
    if (p >= 0 && placement[static_cast<size_t>(p)] != placement[static_cast<size_t>(n)] &&
        finish_us[static_cast<size_t>(p)] > start)
      return true;
  }
  return false;
}

// Runs of consecutive nodes on one device; a run is also cut before a node that needs
// a value from another device later than the run's first node starts in the plan,
// so that the nodes before it need not wait for that value (a segment starts when
// all its inputs are there). Plans without a timeline are cut at device switches only.
std::vector<PlanSegment> split_into_segments(const Graph& graph, const Placement& placement, const Plan& plan) {
  std::vector<double> start_us(placement.size(), 0), finish_us(placement.size(), 0);
  for (const PlannedNode& n : plan.nodes)
    if (n.node >= 0 && static_cast<size_t>(n.node) < placement.size()) {
      start_us[static_cast<size_t>(n.node)] = n.start_us;
      finish_us[static_cast<size_t>(n.node)] = n.finish_us;
    }
  const std::vector<int> producers = graph.producers();
  std::vector<PlanSegment> segments;
  for (size_t n = 0; n < placement.size(); ++n) {
    const int node = static_cast<int>(n);
    if (segments.empty() || segments.back().device != placement[n] ||
        waits_for_another_device(graph, placement, producers, finish_us, node,
                                 start_us[static_cast<size_t>(segments.back().nodes.front())]))
      segments.push_back({placement[n], {}});
    segments.back().nodes.push_back(node);
  }
  return segments;
}

ValueRoute& route_of(Impl& s, int value) {
  ValueRoute& route = s.routes[value];
  if (route.on_device.empty()) {
    route.on_device.assign(s.devices.size(), nullptr);
    route.bytes = value_bytes(s.graph->value(value));
  }
  return route;
}

// One arena per device for its boundary values, laid out by their lifetimes.
void place_in_arenas(Impl& s, const std::set<int>& leaving, const std::map<int, size_t>& bytes) {
  std::vector<SegmentBoundary> boundaries;
  for (size_t k = 0; k < s.compiled.size(); ++k)
    boundaries.push_back({s.segments[k].device, s.compiled[k].segment.inputs, s.compiled[k].segment.outputs});
  BoundaryLayout layout = layout_boundary_buffers(boundaries, s.devices.size(), bytes, leaving);
  s.arenas.assign(s.devices.size(), nullptr);
  for (size_t d = 0; d < s.devices.size(); ++d) {
    if (layout.arena_bytes[d] > 0) s.arenas[d] = s.devices[d]->allocate(layout.arena_bytes[d]);
    s.boundary_bytes += layout.arena_bytes[d];
  }
  s.separate_bytes = layout.separate_bytes;
  for (const auto& [key, offset] : layout.offset)
    s.routes.at(key.first).on_device[static_cast<size_t>(key.second)] =
        static_cast<std::byte*>(s.arenas[static_cast<size_t>(key.second)]) + offset;
}

// Which devices hold each boundary value, and which values leave their device.
void plan_routes(Impl& s) {
  std::map<int, std::set<int>> holders;
  for (const CompiledSegment& c : s.compiled) {
    int d = s.segments[static_cast<size_t>(&c - s.compiled.data())].device;
    for (int v : c.segment.outputs) {
      route_of(s, v).producer_device = d;
      holders[v].insert(d);
    }
    for (int v : c.segment.inputs) {
      route_of(s, v);
      holders[v].insert(d);
    }
  }
  std::set<int> graph_outputs(s.graph->outputs.begin(), s.graph->outputs.end());
  std::set<int> leaving;
  std::map<int, size_t> bytes;
  for (auto& [v, route] : s.routes) {
    bytes[v] = route.bytes;
    if (route.producer_device < 0 || graph_outputs.count(v) != 0 || holders[v].size() > 1) leaving.insert(v);
  }
  place_in_arenas(s, leaving, bytes);
  for (int v : leaving) {
    ValueRoute& route = s.routes.at(v);
    route.staging_owner = route.producer_device >= 0 ? route.producer_device : *holders[v].begin();
    route.staging = s.devices[static_cast<size_t>(route.staging_owner)]->allocate_host(route.bytes);
  }
}

void compile_segments(Impl& s) {
  s.segments_of_device.assign(s.devices.size(), {});
  for (size_t k = 0; k < s.segments.size(); ++k) {
    const PlanSegment& p = s.segments[k];
    CompiledSegment c;
    c.segment = make_segment(*s.graph, p.nodes);
    c.executable = s.devices[static_cast<size_t>(p.device)]->compile(c.segment);
    s.compiled.push_back(std::move(c));
    s.segments_of_device[static_cast<size_t>(p.device)].push_back(static_cast<int>(k));
  }
  plan_routes(s);
  for (size_t k = 0; k < s.compiled.size(); ++k) {
    CompiledSegment& c = s.compiled[k];
    size_t d = static_cast<size_t>(s.segments[k].device);
    for (int v : c.segment.inputs) c.inputs.push_back(s.routes.at(v).on_device[d]);
    for (int v : c.segment.outputs) c.outputs.push_back(s.routes.at(v).on_device[d]);
  }
}

void build(Impl& s, const Plan& plan, const DeviceOptions& options) {
  create_devices(s, plan, options);
  s.segments = split_into_segments(*s.graph, checked_placement(s, plan), plan);
  compile_segments(s);
  for (int id : s.graph->inputs) s.inputs.push_back(spec_of(s.graph->value(id)));
  for (int id : s.graph->outputs) s.outputs.push_back(spec_of(s.graph->value(id)));
  s.times.segment_us.assign(s.segments.size(), 0.0);
  s.times.segment_start_us.assign(s.segments.size(), 0.0);
  for (size_t d = 0; d < s.devices.size(); ++d)
    if (!s.segments_of_device[d].empty()) s.busy_devices.push_back(d);
  s.workers = std::make_unique<DeviceWorkers>(s.busy_devices.size());
}

// Copies the segment's inputs produced on other devices (or graph inputs) from host
// staging into this device's buffers, each once per run, on the to-device lane after
// their producers' events; the compute lane then waits for those copies only.
void bring_inputs(Impl& s, int d, const CompiledSegment& c, Handoff& handoff, std::set<int>& present) {
  Device& device = *s.devices[static_cast<size_t>(d)];
  const auto spin = s.own_cores[static_cast<size_t>(d)].empty() ? std::chrono::microseconds{} : kOwnCoreSpin;
  bool copied = false;
  for (int v : c.segment.inputs) {
    const ValueRoute& route = s.routes.at(v);
    if (route.producer_device == d || !present.insert(v).second) continue;
    std::shared_ptr<DeviceEvent> event = handoff.await(v, spin);
    if (event) device.wait_for(event, Lane::ToDevice);
    device.copy_from_host_async(route.on_device[static_cast<size_t>(d)], route.staging, route.bytes, Lane::ToDevice);
    copied = true;
  }
  if (copied) device.wait_for(device.record(Lane::ToDevice), Lane::Compute);
}

// Copies the segment's outputs that leave this device into host staging on the
// to-host lane once the segment's compute is done, and publishes them with one event
// after those copies; the compute lane goes on with the next segment meanwhile.
void send_outputs(Impl& s, int d, const CompiledSegment& c, Handoff& handoff) {
  Device& device = *s.devices[static_cast<size_t>(d)];
  std::vector<int> leaving;
  for (int v : c.segment.outputs)
    if (s.routes.at(v).staging) leaving.push_back(v);
  if (leaving.empty()) return;
  device.wait_for(device.record(Lane::Compute), Lane::ToHost);
  for (int v : leaving) {
    const ValueRoute& route = s.routes.at(v);
    device.copy_to_host_async(route.staging, route.on_device[static_cast<size_t>(d)], route.bytes, Lane::ToHost);
  }
  handoff.publish(leaving, device.record(Lane::ToHost));
}

void run_device(Impl& s, int d, Handoff& handoff) {
  Device& device = *s.devices[static_cast<size_t>(d)];
  ThreadCoreBinding on_own_cores(s.own_cores[static_cast<size_t>(d)]);  // polls there, not on another device's core
  std::set<int> present;
  for (int k : s.segments_of_device[static_cast<size_t>(d)]) {
    CompiledSegment& c = s.compiled[static_cast<size_t>(k)];
    bring_inputs(s, d, c, handoff, present);
    auto start = Clock::now();
    s.times.segment_start_us[static_cast<size_t>(k)] = std::chrono::duration<double, std::micro>(start - s.run_start).count();
    c.executable->run(c.inputs, c.outputs);
    std::shared_ptr<DeviceEvent> computed = device.record(Lane::Compute);
    // The segment's compute time, for drift checks and --layers. A host device's copies
    // out run on this thread, so they come after it; an async device's are queued
    // first so that they start as soon as the compute is done.
    const bool copies_block = device.info().kind == DeviceKind::Host;
    if (!copies_block) send_outputs(s, d, c, handoff);
    computed->wait();
    s.times.segment_us[static_cast<size_t>(k)] = microseconds_since(start);
    if (copies_block) send_outputs(s, d, c, handoff);
  }
}

// Runs every device's work, the first busy device's on the calling thread and each
// other one's on its worker; rethrows the first failure after all have stopped.
void run_workers(Impl& s, Handoff& handoff) {
  if (s.busy_devices.empty()) return;
  std::vector<std::exception_ptr> errors(s.devices.size());
  s.workers->run([&s, &handoff, &errors](size_t lane) {
    const size_t d = s.busy_devices.at(lane);
    try {
      run_device(s, static_cast<int>(d), handoff);
    } catch (const RunAborted&) {
    } catch (...) {
      errors[d] = std::current_exception();
      handoff.abort();
    }
  });
  for (const std::exception_ptr& error : errors)
    if (error) {
      for (auto& device : s.devices) device->synchronize();
      std::rethrow_exception(error);
    }
}

// A plan of one segment on a host device: run on the calling thread, straight from
// the caller's tensors into the results (no workers, no staging).
std::vector<Tensor> execute_on_host(Impl& s, const std::vector<Tensor>& inputs) {
  auto start = Clock::now();
  const Graph& g = *s.graph;
  const Segment& segment = s.compiled.front().segment;
  std::vector<Tensor> results;
  for (int id : g.outputs) results.emplace_back(g.value(id).dtype, g.value(id).shape);
  std::vector<const void*> in;
  std::vector<void*> out;
  bind_whole_graph(g, segment, inputs, results, in, out);
  s.compiled.front().executable->run(in, out);
  copy_unexecuted_outputs(g, inputs, results);
  s.times.segment_us.front() = s.times.wall_us = microseconds_since(start);
  return results;
}

bool runs_on_host_alone(const Impl& s) {
  return s.segments.size() == 1 && s.devices.at(static_cast<size_t>(s.segments.front().device))->info().kind == DeviceKind::Host;
}

std::vector<Tensor> execute(Impl& s, const std::vector<Tensor>& inputs) {
  check_inputs(s.inputs, inputs);
  if (runs_on_host_alone(s)) return execute_on_host(s, inputs);
  auto start = s.run_start = Clock::now();
  const Graph& g = *s.graph;
  Handoff handoff;
  for (size_t k = 0; k < g.inputs.size(); ++k) {
    auto route = s.routes.find(g.inputs[k]);
    if (route == s.routes.end()) continue;
    std::memcpy(route->second.staging, inputs[k].raw(), route->second.bytes);
    handoff.publish({g.inputs[k]}, nullptr);
  }
  run_workers(s, handoff);
  std::vector<Tensor> results;
  for (int id : g.outputs) results.emplace_back(g.value(id).dtype, g.value(id).shape);
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    auto route = s.routes.find(g.outputs[k]);
    if (route == s.routes.end() || route->second.producer_device < 0) continue;
    if (auto event = handoff.await(g.outputs[k])) event->wait();
    std::memcpy(results[k].raw(), route->second.staging, route->second.bytes);
  }
  for (auto& device : s.devices) device->synchronize();
  copy_unexecuted_outputs(g, inputs, results);
  s.times.wall_us = microseconds_since(start);
  return results;
}

}  // namespace

PlanExecutor::PlanExecutor(const Graph& graph, const Plan& plan, const DeviceOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->graph = &graph;
  build(*impl_, plan, options);
}

PlanExecutor::PlanExecutor(Graph&& graph, const Plan& plan, const DeviceOptions& options)
    : impl_(std::make_unique<Impl>()) {
  impl_->owned_graph = std::make_unique<Graph>(std::move(graph));
  impl_->graph = impl_->owned_graph.get();
  build(*impl_, plan, options);
}

PlanExecutor::PlanExecutor(PlanExecutor&&) noexcept = default;
PlanExecutor& PlanExecutor::operator=(PlanExecutor&&) noexcept = default;
PlanExecutor::~PlanExecutor() = default;

const std::vector<TensorSpec>& PlanExecutor::inputs() const { return impl_->inputs; }
const std::vector<TensorSpec>& PlanExecutor::outputs() const { return impl_->outputs; }
const std::vector<std::string>& PlanExecutor::devices() const { return impl_->device_names; }
const std::vector<PlanSegment>& PlanExecutor::segments() const { return impl_->segments; }

std::vector<Tensor> PlanExecutor::run(const std::vector<Tensor>& inputs) { return execute(*impl_, inputs); }

const PlanRunTimes& PlanExecutor::last_run_times() const { return impl_->times; }
size_t PlanExecutor::boundary_bytes() const { return impl_->boundary_bytes; }
size_t PlanExecutor::separate_boundary_bytes() const { return impl_->separate_bytes; }

}  // namespace tandem
