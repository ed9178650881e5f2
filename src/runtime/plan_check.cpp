// Timing a plan against the single devices (plan_check.h).
#include "runtime/plan_check.h"

#include <algorithm>
#include <memory>

#include "plan/place.h"
#include "runtime/compare.h"
#include "runtime/graph_io.h"

namespace tandem {

namespace {

bool runs_everything(const CostTable& costs, int device) {
  for (const auto& row : costs.node_us)
    if (row.at(static_cast<size_t>(device)) == kUnsupported) return false;
  return true;
}

bool on_one_device(const Plan& plan, int device) {
  for (const PlannedNode& n : plan.nodes)
    if (n.device != device) return false;
  return true;
}

}  // namespace

std::optional<Plan> close_split(const Graph& graph, const CostTable& costs, const Plan& plan,
                                const PlaceOptions& place, const PlanCheckOptions& check) {
  if (devices_used(plan) > 1 || check.runs <= 0) return std::nullopt;
  std::optional<Plan> split = best_split_plan(graph, costs, place);
  if (!split || split->makespan_us > plan.makespan_us * (1 + check.close_call)) return std::nullopt;
  split->model = plan.model;
  split->batch = plan.batch;
  split->cores = plan.cores;
  return split;
}

PlanCheck check_plan_by_measurement(const Graph& graph, const CostTable& costs, Plan& plan,
                                    const DeviceOptions& options, const PlanCheckOptions& check,
                                    const PlaceOptions& place) {
  PlanCheck result;
  std::optional<Plan> split = close_split(graph, costs, plan, place, check);
  std::vector<Plan> plans{plan};
  result.contenders.push_back("plan");
  for (size_t d = 0; d < costs.devices.size(); ++d) {
    if (!runs_everything(costs, static_cast<int>(d)) || on_one_device(plan, static_cast<int>(d))) continue;
    Plan single = schedule(graph, costs, Placement(graph.nodes.size(), static_cast<int>(d)));
    single.model = plan.model;
    single.batch = plan.batch;
    single.cores = plan.cores;
    single.strategy = "single:" + costs.devices[d] + " (measured faster than the " + plan.strategy + " plan)";
    plans.push_back(std::move(single));
    result.contenders.push_back("single:" + costs.devices[d]);
  }
  if (split) {
    result.contenders.push_back("split:" + split->strategy);
    split->strategy += " (predicted within " + std::to_string(static_cast<int>(100 * check.close_call)) +
                       "% of the " + plan.strategy + " plan; measured faster)";
    plans.push_back(std::move(*split));
  }
  result.kept = "plan";
  if (check.runs <= 0 || plans.size() < 2) return result;
  std::vector<std::shared_ptr<PlanExecutor>> executors;
  std::vector<Contender> contenders;
  for (size_t k = 0; k < plans.size(); ++k) {
    executors.push_back(std::make_shared<PlanExecutor>(graph, plans[k], options));
    PlanExecutor* executor = executors.back().get();
    contenders.push_back({result.contenders[k], [executor](const std::vector<Tensor>& in) { return executor->run(in); }});
  }
  InterleaveOptions timing;
  timing.warmup = 1;
  timing.min_rounds = check.runs;
  timing.seconds = check.seconds;
  timing.max_rounds = std::max(check.runs, check.max_rounds);
  std::vector<Measured> measured =
      measure_interleaved(contenders, seeded_random_inputs(executors.front()->inputs()), timing);
  // The fastest single-device contender and the fastest split; a split must win by the margin.
  std::optional<size_t> best_single, best_split;
  for (size_t k = 0; k < measured.size(); ++k) {
    result.median_us.push_back(measured[k].stats.median);
    std::optional<size_t>& best = devices_used(plans[k]) > 1 ? best_split : best_single;
    if (!best || measured[k].stats.median < measured[*best].stats.median) best = k;
  }
  size_t kept = best_single.value_or(0);
  if (best_split && (!best_single || measured[*best_split].stats.median * (1 + check.margin) <
                                         measured[*best_single].stats.median))
    kept = *best_split;
  result.kept = result.contenders[kept];
  result.executor = executors[kept];
  plan = std::move(plans[kept]);
  return result;
}

}  // namespace tandem
