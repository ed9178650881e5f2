// Layer placement: which device runs each node so that the predicted end-to-end
// latency, copies included, is smallest. All functions are pure and deterministic:
// they read a graph (nodes in topological order) and a cost table, and never touch
// a device. Strategies:
//   dp           exact dynamic programming over the topological order, whose state
//                records where each live tensor sits; exact for the serialised cost
//                (node times plus copy times, which is the makespan of a chain) when
//                segment boundaries are free (with boundary costs it charges a value
//                the sides it can see from the state); gives up when the live-tensor
//                cut is too wide (more than max_states states)
//   heft         HEFT-like list scheduling: upward rank with mean costs, then each
//                node to the device giving its earliest finish, copies included
//   brute-force  every placement, each scheduled; only for small graphs
//   single:<dev> every node on one device
//   auto         all of the above that apply, the smallest schedule() makespan wins
//                (ties: fewer device switches, then the candidate listed first:
//                single devices in table order, dp, heft, brute-force)
#pragma once
#include <cstddef>
#include <optional>
#include <string>

#include "plan/plan.h"

namespace tandem {

struct PlaceOptions {
  std::string strategy = "auto";  // auto | dp | heft | brute-force | single:<device>
  size_t max_states = 1 << 16;    // dp gives up beyond this many states at one step
  size_t brute_force_limit = 1 << 14;  // most placements brute force will try
};

// A scheduled plan (schedule()) with `strategy` set to the algorithm that made it;
// model and batch are left for the caller. Throws Unsupported when some node runs on
// none of the devices or the chosen single device cannot run a node, InvalidInput
// for an unknown strategy, a cost table that does not fit the graph, or an explicit
// dp / brute-force request the graph is too large for.
Plan place_layers(const Graph& graph, const CostTable& costs, const PlaceOptions& options);

// The plan with the smallest predicted makespan among those the auto strategy's
// placers (dp, heft, brute force) make that use more than one device; nullopt when
// every one of them keeps to a single device. The auto device measures it against
// single devices when its prediction is close to theirs (runtime/plan_check.h).
std::optional<Plan> best_split_plan(const Graph& graph, const CostTable& costs, const PlaceOptions& options);

// Number of devices `plan` puts nodes on.
int devices_used(const Plan& plan);

// Node times plus copy times of `placement` with no overlap: the copies are those
// schedule() makes; plus both sides' boundary cost of every edge between devices.
// Equals schedule()'s makespan for a chain.
double serial_cost(const Graph& graph, const CostTable& costs, const Placement& placement);

// Number of graph edges (a value read by a node) whose producer and reader sit on
// different devices.
int device_switches(const Graph& graph, const Placement& placement);

// The placement with the smallest serial_cost, or nullopt when more than
// `max_states` states would be needed.
std::optional<Placement> place_dp(const Graph& graph, const CostTable& costs, size_t max_states);

Placement place_heft(const Graph& graph, const CostTable& costs);

enum class BruteForceObjective { makespan, serial_cost };
// The best of all placements on supported devices by `objective` (ties: fewer
// device switches, then the first in enumeration order), or nullopt when there are
// more than `limit` of them.
std::optional<Placement> place_brute_force(const Graph& graph, const CostTable& costs, size_t limit,
                                           BruteForceObjective objective = BruteForceObjective::makespan);

}  // namespace tandem
