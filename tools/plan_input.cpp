// Loading a model with a plan file for run and bench (plan_input.h).
#include "plan_input.h"

#include "ir/prepare.h"
#include "plan/plan_file.h"
#include "runtime/graph_io.h"

namespace tandem::cli {

Graph prepared(const Graph& loaded, int64_t batch, bool optimize) {
  Graph graph = loaded;
  prepare_graph(graph, PrepareOptions{batch, {}, optimize});
  return graph;
}

PlannedModel load_planned_model(const std::string& model, const std::string& plan_path, int64_t batch, bool optimize) {
  Graph loaded = load_model(model);
  Graph graph = prepared(loaded, batch, optimize);
  PlanTable table = read_plan_table(plan_path, graph);
  if (batch == 0 && table.plans.size() == 1 && table.plans[0].batch != batch_of(graph))
    graph = prepared(loaded, table.plans[0].batch, optimize);
  Plan plan = pick_plan(table, batch_of(graph));
  return {std::move(graph), std::move(plan)};
}

DeviceOptions plan_device_options(const Plan& plan, int threads, const GpuFlags& gpu, const CoreFlags& cores) {
  DeviceOptions options;
  options.threads = threads;
  options.tf32 = gpu.tf32;
  options.graphs = !gpu.no_cuda_graphs;
  options.cores = pinned_cores(cores, plan.devices);
  return options;
}

}  // namespace tandem::cli
