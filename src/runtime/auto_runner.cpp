// Drift-driven re-planning of the auto device (auto_runner.h).
#include "runtime/auto_runner.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include <fmt/format.h>

#include "backends/registry.h"
#include "core/cores.h"
#include "plan/cost_table.h"
#include "plan/plan_file.h"
#include "profile/cpu_load.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

std::vector<int> cores_of(const AutoOptions& options, const std::string& device) {
  auto found = options.device.cores.find(device);
  return found == options.device.cores.end() ? std::vector<int>{} : found->second;
}

int core_count(const std::vector<int>& cores) {
  return cores.empty() ? host_core_count() : static_cast<int>(cores.size());
}

double clamp01(double x) { return std::min(1.0, std::max(0.0, x)); }

}  // namespace

// Since the current plan started: wall time, this process's CPU time, the busy share
// of each device's cores, and how long each device computed.
struct AutoRunner::Window {
  Clock::time_point start = Clock::now();
  double process_cpu_s = process_cpu_seconds();
  std::map<std::string, CpuLoadMeter> meters;
  std::map<std::string, double> busy_us;

  Window(const std::vector<std::string>& devices, const AutoOptions& options) {
    for (const std::string& d : devices) meters.emplace(d, CpuLoadMeter("/proc/stat", cores_of(options, d)));
  }
  double seconds() const { return std::chrono::duration<double>(Clock::now() - start).count(); }
};

AutoRunner::AutoRunner(const Graph& graph, AutoPlan planned, const AutoOptions& options, ReplanOptions replan)
    : graph_(graph),
      planned_(std::move(planned)),
      options_(options),
      replan_(replan),
      monitor_(replan.drift) {
  serve(planned_.check.executor ? planned_.check.executor
                                : std::make_shared<PlanExecutor>(graph_, planned_.plan, options_.device));
  for (const std::string& d : planned_.devices) {
    load_[d] = options_.load;
    calibration_[d] = 1;
  }
  window_ = std::make_unique<Window>(planned_.devices, options_);
}

AutoRunner::~AutoRunner() = default;

const std::vector<TensorSpec>& AutoRunner::inputs() const { return executor_->inputs(); }
const std::vector<TensorSpec>& AutoRunner::outputs() const { return executor_->outputs(); }
const Plan& AutoRunner::plan() const { return planned_.plan; }
const CostTable& AutoRunner::costs() const { return planned_.costs; }
const std::vector<ReplanEvent>& AutoRunner::replans() const { return replans_; }

std::vector<Tensor> AutoRunner::run(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs = executor_->run(inputs);
  ++runs_;
  if (!replan_.enabled) return outputs;
  observe();
  if (monitor_.drifted() && cooled_down()) replan();
  return outputs;
}

bool AutoRunner::cooled_down() const {
  if (replans_.empty()) return true;
  int factor = 1 << std::min<int>(5, static_cast<int>(replans_.size()) - 1);
  return runs_ - last_replan_run_ >= replan_.cooldown_runs * factor;
}

// Serves `executor` (of planned_.plan) from now on, with its segments' predictions.
void AutoRunner::serve(std::shared_ptr<PlanExecutor> executor) {
  executor_ = std::move(executor);
  segment_names_.clear();
  segment_predicted_us_.clear();
  // The plan's node durations: predicted times plus the boundary and co-run costs
  // its timeline charged them.
  std::vector<double> node_us(graph_.nodes.size(), 0);
  for (const PlannedNode& n : planned_.plan.nodes) node_us.at(static_cast<size_t>(n.node)) = n.finish_us - n.start_us;
  for (const PlanSegment& segment : executor_->segments()) {
    double predicted = 0;
    for (int n : segment.nodes) predicted += node_us[static_cast<size_t>(n)];
    segment_names_.push_back("segment " + std::to_string(segment_names_.size()));
    segment_predicted_us_.push_back(predicted);
  }
}

// Each segment's measured time against the sum of its nodes' predicted times.
void AutoRunner::observe() {
  const PlanRunTimes& times = executor_->last_run_times();
  const std::vector<PlanSegment>& segments = executor_->segments();
  std::vector<NodeObservation> observations;
  for (size_t k = 0; k < segments.size(); ++k) {
    const std::string& device = planned_.plan.devices.at(static_cast<size_t>(segments[k].device));
    observations.push_back({segment_names_[k], device, times.segment_us.at(k), segment_predicted_us_[k]});
    window_->busy_us[device] += times.segment_us.at(k);
  }
  monitor_.record_run(observations);
}

// Extra load on each device's cores from other processes: the busy share of its
// cores minus this process's own share there. This process's CPU time is spread over
// the devices in proportion to how long each computed times its threads.
std::map<std::string, double> AutoRunner::measured_loads() const {
  std::map<std::string, double> loads = load_;
  const double seconds = window_->seconds();
  if (seconds < replan_.min_load_window_s) return loads;
  std::map<std::string, double> weight;
  double total_weight = 0;
  for (const auto& [device, us] : window_->busy_us) {
    int threads = options_.device.threads > 0 ? options_.device.threads : core_count(cores_of(options_, device));
    weight[device] = us * threads;
    total_weight += weight[device];
  }
  const double own_cpu_s = process_cpu_seconds() - window_->process_cpu_s;
  for (const std::string& d : planned_.devices) {
    std::optional<double> busy = window_->meters.at(d).busy_share();
    if (!busy) continue;
    const std::vector<int> cores = is_host_device_name(d) ? cores_of(options_, d) : std::vector<int>{};
    double own_s = 0;
    for (const auto& [e, w] : weight)
      if (total_weight > 0 && is_host_device_name(e) && cores_overlap(cores, cores_of(options_, e)))
        own_s += own_cpu_s * w / total_weight;
    loads[d] = clamp01(*busy - own_s / (seconds * core_count(cores)));
  }
  return loads;
}

std::map<std::string, double> AutoRunner::device_sums(const CostTable& costs) const {
  std::map<std::string, double> sums;
  for (const PlannedNode& n : planned_.plan.nodes)
    sums[costs.devices.at(static_cast<size_t>(n.device))] +=
        costs.node_us.at(static_cast<size_t>(n.node)).at(static_cast<size_t>(n.device));
  return sums;
}

void AutoRunner::replan() {
  ReplanEvent event;
  event.run = runs_;
  DriftReport report = monitor_.report();
  CostOptions cost_options;
  cost_options.threads = options_.device.threads;
  cost_options.cores = options_.device.cores;
  cost_options.co_run = planned_.co_run;
  cost_options.predictor_path = planned_.predictor_source;
  cost_options.measured = planned_.measured;
  cost_options.device_load = load_;
  std::map<std::string, double> old_sums = device_sums(cost_table(graph_, *planned_.predictor, planned_.devices, cost_options));
  cost_options.device_load = measured_loads();
  std::map<std::string, double> new_sums = device_sums(cost_table(graph_, *planned_.predictor, planned_.devices, cost_options));
  for (const std::string& d : planned_.devices) {
    auto ratios = report.devices.find(d);
    if (ratios == report.devices.end() || !(old_sums[d] > 0) || !(new_sums[d] > 0)) continue;
    event.ratio[d] = ratios->second.recent_ratio;
    double unexplained = ratios->second.recent_ratio * old_sums[d] / new_sums[d];
    calibration_[d] = std::clamp(calibration_[d] * unexplained, 1 / replan_.max_calibration, replan_.max_calibration);
  }
  load_ = cost_options.device_load;
  cost_options.calibration = calibration_;
  CostTable costs = cost_table(graph_, *planned_.predictor, planned_.devices, cost_options);
  Plan plan = place_layers(graph_, costs, options_.place);
  plan.model = planned_.plan.model;
  plan.batch = planned_.plan.batch;
  plan.cores = planned_.plan.cores;
  std::shared_ptr<PlanExecutor> checked;
  std::string kept = "plan";
  if (options_.check.runs > 0) {
    PlanCheck check = check_plan_by_measurement(graph_, costs, plan, options_.device, options_.check, options_.place);
    checked = check.executor;
    kept = check.kept;
  }
  event.old_makespan_us = schedule(graph_, costs, placement_of(planned_.plan, graph_)).makespan_us;
  event.new_makespan_us = plan.makespan_us;
  event.placement_changed = placement_of(plan, graph_) != placement_of(planned_.plan, graph_);
  planned_.plan = std::move(plan);
  planned_.costs = std::move(costs);
  if (event.placement_changed) serve(checked ? checked : std::make_shared<PlanExecutor>(graph_, planned_.plan, options_.device));
  else serve(executor_);  // new predictions for the same segments
  event.load = load_;
  event.calibration = calibration_;
  std::string devices;
  for (const auto& [d, r] : event.ratio)
    devices += fmt::format("{}{} {:.2f}x predicted (extra load {:.0f}%)", devices.empty() ? "" : ", ", d, r, 100 * load_[d]);
  event.summary = fmt::format("auto: after run {}, {}; re-planned: {}{} ({:.2f} ms predicted, the old placement {:.2f} ms)",
                              runs_, devices, event.placement_changed ? "new placement" : "placement kept",
                              kept == "plan" ? "" : " (" + kept + " measured faster than the planned placement)",
                              event.new_makespan_us / 1000, event.old_makespan_us / 1000);
  std::fprintf(stderr, "%s\n", event.summary.c_str());
  replans_.push_back(std::move(event));
  last_replan_run_ = runs_;
  monitor_.reset();
  window_ = std::make_unique<Window>(planned_.devices, options_);
}

}  // namespace tandem
