// The planner's data: what it reads (a cost table: every node's predicted time on
// every device, and copy links) and what it writes (a Plan: the device of every
// node, the copies between devices with their sizes, and the predicted start and
// finish of every node and copy, per device and link). Planning is a pure function
// of (graph, cost table, options); see place.h. Plans are stored as versioned JSON
// (plan_file.h) so that users can inspect, edit, pin and replay them.
#pragma once
#include <limits>
#include <map>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "profile/link_model.h"

namespace tandem {

constexpr int kPlanVersion = 1;
constexpr double kUnsupported = std::numeric_limits<double>::infinity();

// A copy link: time_us(bytes) follows the piecewise model of its segments (one
// latency + bytes/bandwidth line per size regime, profile/link_model.h), or the single
// line latency_us + bytes / bytes_per_us when it has none. latency_us and bytes_per_us
// are those of large copies. A host-memory device that is the host itself has a zero
// link (bytes_per_us 0).
struct Link {
  Link() = default;
  Link(double latency, double bandwidth, std::vector<LinkSegment> regimes = {})
      : latency_us(latency), bytes_per_us(bandwidth), segments(std::move(regimes)) {}
  double latency_us = 0;
  double bytes_per_us = 0;  // 0: free (no copy needed)
  std::vector<LinkSegment> segments;  // by from_bytes; empty: the single line
  double time_us(double bytes) const {
    if (bytes_per_us <= 0) return 0;
    return segments.empty() ? latency_us + bytes / bytes_per_us : piecewise_time_us(segments, bytes);
  }
};

// Costs of one graph at one batch size on a set of devices. Device d's memory is
// reached from host memory by to_device[d] and back by to_host[d]; a copy between
// two devices goes through the host (to_host of the source, then to_device of the
// destination) unless both are the host. Graph inputs start in host memory and graph
// outputs must end there.
struct CostTable {
  std::vector<std::string> devices;         // index = device id in plans
  std::vector<std::vector<double>> node_us; // [node][device], kUnsupported where it cannot run;
                                            // 0 for nodes that cost nothing (views, fused)
  std::vector<Link> to_device, to_host;     // per device
  std::string source;                       // what the costs came from ("predictor file p.json", "profile ...")
  // Per device: devices with the same group share their compute (host devices on
  // overlapping cores) and never run nodes at the same time. Empty: each its own.
  std::vector<int> compute_group;
  int group_of(int device) const;
  // [node][device]: extra µs of the node when a segment boundary cuts next to it
  // (layout conversions, fusions lost, dispatch). Half is paid when an input comes
  // from another device, half when its output goes to one. Empty: free.
  std::vector<std::vector<double>> boundary_us;
  double half_boundary_us(int node, int device) const;
  // Per device: how many times longer its nodes take while another compute group
  // with a slowdown of its own is busy (host devices on disjoint cores share caches
  // and memory; profile/co_run.h). Empty, or 1: no interference.
  std::vector<double> co_run_slowdown;
  double co_run_of(int device) const;
  // Per device: whether its copies to and from host memory are made by its own
  // compute thread (host devices copy with memcpy on the thread that runs their
  // nodes), so a copy occupies the device like a node instead of overlapping its
  // compute on a link of its own (a GPU's copy engines). Empty: none.
  std::vector<bool> copies_on_compute;
  bool copies_on_compute_of(int device) const;
  // Time to move `bytes` from device `from` to device `to` (-1: host memory).
  double copy_us(double bytes, int from, int to) const;
};

// One node of a plan: where it runs and when (µs from the start of the run).
struct PlannedNode {
  int node = -1;     // index into graph.nodes
  int device = -1;   // index into CostTable::devices
  double start_us = 0, finish_us = 0;
};

// A copy of one value between two places (-1: host memory) and when it runs.
struct PlannedCopy {
  int value = -1;
  int from = -1, to = -1;
  double bytes = 0;
  double start_us = 0, finish_us = 0;
};

struct Plan {
  int version = kPlanVersion;
  std::string model;                 // as given by the user
  int64_t batch = 1;
  std::vector<std::string> devices;
  std::string cost_model;            // CostTable::source
  std::string strategy;              // which placement algorithm made it: "dp", "heft", "brute-force", "single:cpu", "user"
  // Host devices pinned to cores when the plan was made (device -> cores); the
  // executor pins them the same way. Empty: unpinned.
  std::map<std::string, std::vector<int>> cores;
  std::vector<PlannedNode> nodes;    // one per graph node, in topological order
  std::vector<PlannedCopy> copies;
  double makespan_us = 0;            // predicted end to end: host inputs in, host outputs out
};

// Device per node (index into CostTable::devices), for graph.nodes in order.
using Placement = std::vector<int>;

// The predicted timeline of `placement`: every device runs its nodes one at a time
// in topological order (devices of one compute group together one at a time), as soon as their inputs are there; each link (host->device d,
// device d->host) carries one copy at a time; a value is copied once per destination
// as soon as it is produced; graph outputs are copied to the host. Independent
// branches on different devices overlap. Pure and deterministic.
Plan schedule(const Graph& graph, const CostTable& costs, const Placement& placement);

}  // namespace tandem
