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

int devices_used(const Plan& plan) {
  std::vector<bool> used(plan.devices.size(), false);
  int count = 0;
  for (const PlannedNode& n : plan.nodes)
    if (!used.at(static_cast<size_t>(n.device))) used[static_cast<size_t>(n.device)] = true, ++count;
  return count;
}

}  // namespace

PlanCheck check_plan_by_measurement(const Graph& graph, const CostTable& costs, Plan& plan,
                                    const DeviceOptions& options, const PlanCheckOptions& check) {
  PlanCheck result;
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
  size_t best_single = 1;
  for (size_t k = 0; k < measured.size(); ++k) {
    result.median_us.push_back(measured[k].stats.median);
    if (k > 0 && measured[k].stats.median < measured[best_single].stats.median) best_single = k;
  }
  const double plan_us = measured.front().stats.median, single_us = measured[best_single].stats.median;
  const bool keep_plan = devices_used(plan) > 1 ? plan_us * (1 + check.margin) < single_us : plan_us <= single_us;
  const size_t kept = keep_plan ? 0 : best_single;
  result.kept = result.contenders[kept];
  result.executor = executors[kept];
  plan = std::move(plans[kept]);
  return result;
}

}  // namespace tandem
