// The plan executor: runs a Plan (every node's device) across several devices with
// real copies between them. The plan is split into segments, maximal runs of
// consecutive nodes (topological order) on one device, each compiled once on its
// device. Every value crossing a segment boundary has a buffer on each device that
// holds it and, where it leaves its device (another device reads it, or it is a
// graph output), one host staging buffer; device buffers share one arena per device
// by lifetime (boundary_buffers.h). A run uses one thread per device (the calling
// thread for the first, threads started once for the others), executing that
// device's segments in plan order. A value read on another device is copied
// producer -> host staging on the producer's to-host lane (then an event is
// recorded) and host staging -> consumer on the consumer's to-device lane after it
// waits for that event, so copies overlap compute, independent branches on different
// devices overlap, and there is no global synchronisation inside a run. A plan that
// is one segment on a host device runs on the calling thread straight from the
// caller's tensors, as a Session would.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/device.h"
#include "plan/plan.h"
#include "tandem/session.h"

namespace tandem {

// One segment of the executed plan.
struct PlanSegment {
  int device = -1;          // index into Plan::devices
  std::vector<int> nodes;   // indices into graph.nodes, consecutive in topological order
};

// Measured times of the last run.
struct PlanRunTimes {
  // Per segment (same order as segments()): host wall time of its run() until its
  // work had finished, copies excluded.
  std::vector<double> segment_us;
  // Per segment: when its compute began, µs after run() was called (its inputs were
  // there and copied in).
  std::vector<double> segment_start_us;
  double wall_us = 0;  // the whole run(), host inputs in to host outputs out
};

class PlanExecutor {
 public:
  // `graph` is prepared (prepare_graph) and must outlive the executor. Creates the
  // plan's devices with `options`, splits and compiles. Throws Unsupported naming the
  // node and the device when the plan puts a node on a device that cannot run it,
  // InvalidInput for a plan that does not fit the graph (see placement_of).
  PlanExecutor(const Graph& graph, const Plan& plan, const DeviceOptions& options = {});
  // Same, owning the graph.
  PlanExecutor(Graph&& graph, const Plan& plan, const DeviceOptions& options = {});
  PlanExecutor(PlanExecutor&&) noexcept;
  PlanExecutor& operator=(PlanExecutor&&) noexcept;
  ~PlanExecutor();

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  const std::vector<std::string>& devices() const;
  const std::vector<PlanSegment>& segments() const;

  // Inputs in the order of inputs(); shapes and dtypes must match exactly (as Session).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  const PlanRunTimes& last_run_times() const;
  // Device bytes held for boundary values (one arena per device, shared by values
  // whose lifetimes do not overlap), and what one buffer per value and device would take.
  size_t boundary_bytes() const;
  size_t separate_boundary_bytes() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem
