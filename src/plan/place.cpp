// place_layers(): runs the requested placement strategy (or, for "auto", every one
// that applies) and returns the scheduled plan; also the small measures the
// strategies share (serial cost, device switches).
#include <cmath>
#include <algorithm>
#include <functional>

#include "plan/place.h"
#include "plan/timeline.h"
#include "tandem/error.h"

namespace tandem {

namespace {

struct Candidate {
  std::string strategy;
  Placement placement;
};

bool runs_everything_on(const CostTable& costs, size_t device) {
  for (const auto& row : costs.node_us)
    if (plan_detail::is_unsupported(row[device])) return false;
  return true;
}

void check_every_node_has_a_device(const Graph& graph, const CostTable& costs) {
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    bool any = false;
    for (double us : costs.node_us[n]) any = any || !plan_detail::is_unsupported(us);
    if (!any) {
      std::string names;
      for (const auto& d : costs.devices) names += (names.empty() ? "" : ", ") + d;
      fail(ErrorKind::Unsupported, describe(graph.nodes[n]) + " runs on none of the devices (" + names + ")");
    }
  }
}

Candidate single_device(const Graph& graph, const CostTable& costs, const std::string& name) {
  for (size_t d = 0; d < costs.devices.size(); ++d) {
    if (costs.devices[d] != name) continue;
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      if (plan_detail::is_unsupported(costs.node_us[n][d]))
        fail(ErrorKind::Unsupported, "single:" + name + ": " + describe(graph.nodes[n]) + " cannot run on " + name);
    return {"single:" + name, Placement(graph.nodes.size(), static_cast<int>(d))};
  }
  fail(ErrorKind::InvalidInput, "single:" + name + ": no device '" + name + "' in the cost table");
}

Candidate run_dp(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  auto placement = place_dp(graph, costs, options.max_states);
  if (!placement)
    fail(ErrorKind::InvalidInput, "dp: the live-tensor cut of '" + graph.name + "' needs more than " +
                                      std::to_string(options.max_states) + " states; use heft or auto");
  return {"dp", *placement};
}

Candidate run_brute_force(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  auto placement = place_brute_force(graph, costs, options.brute_force_limit);
  if (!placement)
    fail(ErrorKind::InvalidInput, "brute-force: '" + graph.name + "' has more than " +
                                      std::to_string(options.brute_force_limit) + " placements; use dp, heft or auto");
  return {"brute-force", *placement};
}

std::vector<Candidate> all_candidates(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  std::vector<Candidate> candidates;
  for (size_t d = 0; d < costs.devices.size(); ++d)
    if (runs_everything_on(costs, d))
      candidates.push_back({"single:" + costs.devices[d], Placement(graph.nodes.size(), static_cast<int>(d))});
  if (auto dp = place_dp(graph, costs, options.max_states)) candidates.push_back({"dp", *dp});
  candidates.push_back({"heft", place_heft(graph, costs)});
  if (auto brute = place_brute_force(graph, costs, options.brute_force_limit))
    candidates.push_back({"brute-force", *brute});
  return candidates;
}

// The candidate with the smallest makespan; ties: fewer switches, then listed first.
Plan best_of(const Graph& graph, const CostTable& costs, const std::vector<Candidate>& candidates) {
  Plan best;
  int best_switches = 0;
  bool have = false;
  for (const Candidate& c : candidates) {
    Plan plan = schedule(graph, costs, c.placement);
    int switches = device_switches(graph, c.placement);
    bool better = !have || (!plan_detail::nearly_equal(plan.makespan_us, best.makespan_us) && plan.makespan_us < best.makespan_us) ||
                  (plan_detail::nearly_equal(plan.makespan_us, best.makespan_us) && switches < best_switches);
    if (!better) continue;
    best = std::move(plan);
    best.strategy = c.strategy;
    best_switches = switches;
    have = true;
  }
  return best;
}

Candidate run_strategy(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  const std::string& s = options.strategy;
  if (s == "dp") return run_dp(graph, costs, options);
  if (s == "heft") return {"heft", place_heft(graph, costs)};
  if (s == "brute-force") return run_brute_force(graph, costs, options);
  if (s.rfind("single:", 0) == 0) return single_device(graph, costs, s.substr(7));
  fail(ErrorKind::InvalidInput,
       "unknown placement strategy '" + s + "' (expected auto, dp, heft, brute-force or single:<device>)");
}

}  // namespace

std::optional<Plan> best_split_plan(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  plan_detail::check_cost_table(graph, costs);
  check_every_node_has_a_device(graph, costs);
  std::vector<Candidate> splits;
  for (Candidate& c : all_candidates(graph, costs, options))
    if (std::adjacent_find(c.placement.begin(), c.placement.end(), std::not_equal_to<>()) != c.placement.end())
      splits.push_back(std::move(c));
  if (splits.empty()) return std::nullopt;
  return best_of(graph, costs, splits);
}

int devices_used(const Plan& plan) {
  std::vector<bool> used(plan.devices.size(), false);
  for (const PlannedNode& n : plan.nodes) used.at(static_cast<size_t>(n.device)) = true;
  return static_cast<int>(std::count(used.begin(), used.end(), true));
}

Plan place_layers(const Graph& graph, const CostTable& costs, const PlaceOptions& options) {
  plan_detail::check_cost_table(graph, costs);
  check_every_node_has_a_device(graph, costs);
  if (options.strategy == "auto") return best_of(graph, costs, all_candidates(graph, costs, options));
  Candidate chosen = run_strategy(graph, costs, options);
  Plan plan = schedule(graph, costs, chosen.placement);
  plan.strategy = chosen.strategy;
  return plan;
}

double serial_cost(const Graph& graph, const CostTable& costs, const Placement& placement) {
  Plan plan = schedule(graph, costs, placement);
  double us = 0;
  for (const PlannedNode& n : plan.nodes) us += costs.node_us[static_cast<size_t>(n.node)][static_cast<size_t>(n.device)];
  for (const PlannedCopy& c : plan.copies) us += costs.copy_us(c.bytes, c.from, c.to);
  const plan_detail::BoundarySides sides = plan_detail::boundary_sides(graph, placement);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    us += (sides.input[n] + sides.output[n]) * costs.half_boundary_us(static_cast<int>(n), placement[n]);
  return us;
}

int device_switches(const Graph& graph, const Placement& placement) {
  const auto producers = graph.producers();
  int switches = 0;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : graph.nodes[n].inputs) {
      if (v == kNoValue) continue;
      int p = producers[static_cast<size_t>(v)];
      if (p >= 0 && placement[static_cast<size_t>(p)] != placement[n]) ++switches;
    }
  return switches;
}

}  // namespace tandem
