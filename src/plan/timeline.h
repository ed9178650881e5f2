// Internal to src/plan: the timeline rules shared by schedule() and the HEFT placer,
// and small facts about values and devices that every placer needs. A Timeline
// runs nodes on devices one at a time and moves values between memories over
// per-device links (host->device, device->host) that carry one copy at a time;
// a copy between two devices goes through host memory. A device whose copies are
// made by its compute thread (CostTable::copies_on_compute) is busy while it copies.
// Each value remembers where it already is, so it is copied at most once per
// destination.
#pragma once
#include <algorithm>
#include <cmath>
#include <vector>

#include "plan/plan.h"

namespace tandem::plan_detail {

constexpr int kHost = -1;  // host memory as a place

inline bool is_unsupported(double us) { return !std::isfinite(us); }
// Equal up to rounding: how placers detect ties between predicted times.
inline bool nearly_equal(double a, double b) { return std::abs(a - b) <= 1e-9 * std::max(1.0, std::abs(a)); }

// Bytes a copy of `value` moves: 0 for absent values, constants (weights live on
// every device) and values with no elements or an unknown shape.
double value_bytes(const Graph& graph, int value);
// Where device `device` keeps its values: kHost for a host-memory device (both
// links free), else the device itself.
int memory_of(const CostTable& costs, int device);
// The distinct inputs of `node` that may need a copy (value_bytes > 0).
std::vector<int> transferable_inputs(const Graph& graph, const Node& node);
// Per node, the sides of a segment boundary it sits on under `placement`: `input`
// when it reads a value (one that needs a copy) produced on another device,
// `output` when a node on another device reads such a value of its.
struct BoundarySides {
  std::vector<bool> input, output;
};
BoundarySides boundary_sides(const Graph& graph, const Placement& placement);
// Throws InvalidInput when the table does not match the graph (row counts, links).
void check_cost_table(const Graph& graph, const CostTable& costs);
// Throws InvalidInput for a wrong size or device index, Unsupported for a node on
// a device that cannot run it.
void check_placement(const Graph& graph, const CostTable& costs, const Placement& placement);

class Timeline {
 public:
  // Graph inputs are in host memory at time 0.
  Timeline(const Graph& graph, const CostTable& costs);

  // Time `value` is present at `place`, issuing the copies that bring it there.
  double bring(int value, int place);
  // Charges the output side of a segment boundary at `node` (half its boundary cost)
  // to its device's compute lane, once: its outputs leave for another device only
  // after that. The node's planned finish includes it when nothing has started after
  // the node on its lane yet (always so in schedule()). Returns when they are written out.
  double write_out(int node);
  // Whether `value` is (or is being brought) at `place` already.
  bool is_at(int value, int place) const;
  // Brings the node's inputs to `device` (a value from another device leaves after
  // its producer spent half its boundary cost writing it out, and the node itself
  // takes half its own longer), runs it after the previous node of the device's
  // compute group (longer by its co-run slowdown while another interfering group is
  // busy), and returns its finish time.
  double run(int node, int device);
  // Latest node finish or graph output arrival in host memory (brings outputs).
  double makespan();

  std::vector<PlannedNode> nodes;   // in the order they were run
  std::vector<PlannedCopy> copies;  // in the order they were issued

 private:
  double copy(int value, int from, int to, double ready);
  // The device's co-run slowdown when another interfering group is busy at `start`.
  double co_run_factor(int device, double start) const;
  double produced_at(int value) const;

  const Graph* graph_;
  const CostTable* costs_;
  std::vector<double> bytes_;                 // per value
  std::vector<int> home_;                     // per value: place it was produced in
  std::vector<int> producer_;                 // per value: node that produced it (-1: graph input)
  std::vector<int> producer_device_;          // per node: device it ran on (-1: not yet)
  std::vector<double> finish_;                // per node: when it finished
  std::vector<double> leaves_at_;             // per node: outputs written out for another device (-1: not yet)
  std::vector<size_t> position_;              // per node: its index in `nodes` once run
  std::vector<std::vector<double>> arrival_;  // [value][place + 1], infinity: not there
  std::vector<double> group_free_;  // per compute group (CostTable::group_of)
  std::vector<double> to_host_free_, to_device_free_;
};

}  // namespace tandem::plan_detail
