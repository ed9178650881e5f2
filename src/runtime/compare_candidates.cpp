// The measured oracle's candidate placements (compare.h): one-move neighbours of a
// placement, single-device placements, or every placement of a small graph, ordered
// by predicted makespan. Pure: graph and cost table in, placements out.
#include <algorithm>
#include <cmath>
#include <set>

#include "plan/place.h"
#include "runtime/compare.h"

namespace tandem {

namespace {

bool can_run(const CostTable& costs, size_t node, int device) {
  return std::isfinite(costs.node_us[node][static_cast<size_t>(device)]);
}

int device_count(const CostTable& costs) { return static_cast<int>(costs.devices.size()); }

// The producer node of the node's first input that has one, or -1.
int first_producer(const Graph& graph, const std::vector<int>& producers, size_t node) {
  for (int value : graph.nodes[node].inputs)
    if (value != kNoValue && producers[static_cast<size_t>(value)] >= 0) return producers[static_cast<size_t>(value)];
  return -1;
}

// Moves every free node whose first producer is in `moved` (transitively, in
// topological order) to that producer's device where it can run there.
void carry_free_readers(const Graph& graph, const CostTable& costs, const std::vector<int>& producers,
                        std::vector<bool>& moved, Placement& placement) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    int producer = first_producer(graph, producers, n);
    if (moved[n] || !is_free_node(costs, n) || producer < 0 || !moved[static_cast<size_t>(producer)]) continue;
    int device = placement[static_cast<size_t>(producer)];
    if (!can_run(costs, n, device)) continue;
    placement[n] = device;
    moved[n] = true;
  }
}

// Free nodes follow the producer of their first input where they can run there.
void settle_free_nodes(const Graph& graph, const CostTable& costs, const std::vector<int>& producers,
                       Placement& placement) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    int producer = first_producer(graph, producers, n);
    if (!is_free_node(costs, n) || producer < 0) continue;
    int device = placement[static_cast<size_t>(producer)];
    if (can_run(costs, n, device)) placement[n] = device;
  }
}

// Every node on `device`, or nothing when some node cannot run there.
std::vector<Placement> single_device_placement(const Graph& graph, const CostTable& costs, int device) {
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (!can_run(costs, n, device)) return {};
  return {Placement(graph.nodes.size(), device)};
}

// For each node that costs something, the devices that can run it.
std::vector<std::pair<size_t, std::vector<int>>> costly_choices(const Graph& graph, const CostTable& costs) {
  std::vector<std::pair<size_t, std::vector<int>>> choices;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (is_free_node(costs, n)) continue;
    std::vector<int> devices;
    for (int d = 0; d < device_count(costs); ++d)
      if (can_run(costs, n, d)) devices.push_back(d);
    choices.emplace_back(n, devices);
  }
  return choices;
}

// The number of placements of `choices`, or limit + 1 when there are more.
size_t placement_count(const std::vector<std::pair<size_t, std::vector<int>>>& choices, size_t limit) {
  size_t count = 1;
  for (const auto& [node, devices] : choices) {
    if (devices.empty()) return 0;
    if (count > limit / devices.size()) return limit + 1;
    count *= devices.size();
  }
  return count;
}

}  // namespace

bool is_free_node(const CostTable& costs, size_t node) {
  for (double us : costs.node_us.at(node))
    if (std::isfinite(us) && us > 0) return false;
  return true;
}

std::vector<Placement> one_move_neighbours(const Graph& graph, const CostTable& costs, const Placement& center) {
  const std::vector<int> producers = graph.producers();
  std::vector<Placement> neighbours;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    if (is_free_node(costs, n)) continue;
    for (int d = 0; d < device_count(costs); ++d) {
      if (d == center[n] || !can_run(costs, n, d)) continue;
      Placement moved_placement = center;
      moved_placement[n] = d;
      std::vector<bool> moved(graph.nodes.size(), false);
      moved[n] = true;
      carry_free_readers(graph, costs, producers, moved, moved_placement);
      neighbours.push_back(std::move(moved_placement));
    }
  }
  return neighbours;
}

std::vector<Placement> every_placement(const Graph& graph, const CostTable& costs, const Placement& center,
                                       size_t limit) {
  const auto choices = costly_choices(graph, costs);
  const size_t count = placement_count(choices, limit);
  if (count == 0 || count > limit) return {};
  const std::vector<int> producers = graph.producers();
  std::vector<Placement> placements;
  for (size_t index = 0; index < count; ++index) {
    Placement placement = center;
    size_t rest = index;
    for (const auto& [node, devices] : choices) {
      placement[node] = devices[rest % devices.size()];
      rest /= devices.size();
    }
    settle_free_nodes(graph, costs, producers, placement);
    placements.push_back(std::move(placement));
  }
  return placements;
}

OracleCandidates oracle_candidates(const Graph& graph, const CostTable& costs, const Placement& center,
                                   size_t exhaustive_limit) {
  OracleCandidates result;
  std::vector<Placement> placements = every_placement(graph, costs, center, exhaustive_limit);
  result.exhaustive = !placements.empty();
  if (!result.exhaustive) {
    placements = one_move_neighbours(graph, costs, center);
    for (int d = 0; d < device_count(costs); ++d)
      for (Placement& single : single_device_placement(graph, costs, d)) placements.push_back(std::move(single));
  }
  std::set<Placement> seen{center};
  for (Placement& placement : placements) {
    if (!seen.insert(placement).second) continue;
    double predicted = schedule(graph, costs, placement).makespan_us;
    int switches = device_switches(graph, placement);
    result.candidates.push_back({std::move(placement), predicted, switches});
  }
  std::stable_sort(result.candidates.begin(), result.candidates.end(),
                   [](const PlacementCandidate& a, const PlacementCandidate& b) {
                     return a.predicted_us != b.predicted_us ? a.predicted_us < b.predicted_us
                                                             : a.switches < b.switches;
                   });
  return result;
}

}  // namespace tandem
