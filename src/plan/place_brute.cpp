// Brute-force placement: every assignment of nodes to devices that can run them,
// each evaluated in full (schedule() makespan or serial cost). Exponential, so only
// for small graphs; it is the oracle the other placers are tested against.
#include <cmath>
#include <vector>

#include "plan/place.h"
#include "plan/timeline.h"

namespace tandem {

namespace {

// For each node, the devices that can run it.
std::vector<std::vector<int>> supported_devices(const Graph& graph, const CostTable& costs) {
  std::vector<std::vector<int>> devices(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (size_t d = 0; d < costs.devices.size(); ++d)
      if (!plan_detail::is_unsupported(costs.node_us[n][d])) devices[n].push_back(static_cast<int>(d));
  return devices;
}

// Number of placements, or limit + 1 when there are more than `limit`.
size_t count_placements(const std::vector<std::vector<int>>& choices, size_t limit) {
  size_t count = 1;
  for (const auto& c : choices) {
    if (c.empty()) return 0;
    if (count > limit / c.size()) return limit + 1;
    count *= c.size();
  }
  return count;
}

// Advances the odometer `digits`; false after the last placement.
bool next_placement(const std::vector<std::vector<int>>& choices, std::vector<size_t>& digits) {
  for (size_t i = digits.size(); i-- > 0;) {
    if (++digits[i] < choices[i].size()) return true;
    digits[i] = 0;
  }
  return false;
}

double evaluate(const Graph& graph, const CostTable& costs, const Placement& placement, BruteForceObjective objective) {
  if (objective == BruteForceObjective::serial_cost) return serial_cost(graph, costs, placement);
  return schedule(graph, costs, placement).makespan_us;
}

}  // namespace

std::optional<Placement> place_brute_force(const Graph& graph, const CostTable& costs, size_t limit,
                                           BruteForceObjective objective) {
  plan_detail::check_cost_table(graph, costs);
  const auto choices = supported_devices(graph, costs);
  const size_t count = count_placements(choices, limit);
  if (count == 0 || count > limit) return std::nullopt;
  std::vector<size_t> digits(graph.nodes.size(), 0);
  std::optional<Placement> best;
  double best_cost = 0;
  int best_switches = 0;
  do {
    Placement placement(graph.nodes.size());
    for (size_t n = 0; n < placement.size(); ++n) placement[n] = choices[n][digits[n]];
    double cost = evaluate(graph, costs, placement, objective);
    int switches = device_switches(graph, placement);
    bool better = !best || (!plan_detail::nearly_equal(cost, best_cost) && cost < best_cost) ||
                  (plan_detail::nearly_equal(cost, best_cost) && switches < best_switches);
    if (better) {
      best = placement;
      best_cost = cost;
      best_switches = switches;
    }
  } while (next_placement(choices, digits));
  return best;
}

}  // namespace tandem
