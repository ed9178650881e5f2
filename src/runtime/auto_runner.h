// The auto device at run time: runs the current plan, compares every run's measured
// segment times with the plan's predictions (DriftMonitor), and when a device has
// drifted (for example another process now loads its cores), re-plans between
// requests. The new costs come from the load-aware predictor at the load now
// measured on each device's cores (other processes only), calibrated per device by
// the part of the drift that load does not explain; the new placement goes through
// the same measured check against single devices as the first (plan_check.h), serves
// from the next request on, and is compiled only if the placement changed.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "runtime/auto_planner.h"
#include "runtime/drift.h"
#include "runtime/plan_executor.h"

namespace tandem {

struct ReplanOptions {
  bool enabled = true;
  DriftOptions drift;
  // Load is only re-measured over at least this long (/proc/stat counts in 10 ms
  // ticks); over a shorter window the old load stands and calibration takes the drift.
  double min_load_window_s = 0.05;
  double max_calibration = 20;  // a device's calibration stays within [1/max, max]
  // Runs between re-plannings: at least cooldown_runs after the first, doubling after
  // each further one (up to 32x), so that prediction noise cannot make plans flap.
  int cooldown_runs = 10;
};

// One re-planning, for logs and tests.
struct ReplanEvent {
  int run = 0;                                // runs since the runner started
  std::map<std::string, double> ratio;        // measured / predicted, devices that ran nodes
  std::map<std::string, double> load;         // extra load planned for, per device, 0..1
  std::map<std::string, double> calibration;  // per device
  double old_makespan_us = 0, new_makespan_us = 0;  // predicted, of the old placement and the new plan
  bool placement_changed = false;
  std::string summary;  // one line
};

class AutoRunner {
 public:
  // `graph` is the prepared graph `planned` was made for; it must outlive the runner.
  AutoRunner(const Graph& graph, AutoPlan planned, const AutoOptions& options, ReplanOptions replan = {});
  ~AutoRunner();

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);

  const Plan& plan() const;        // the plan serving now
  const CostTable& costs() const;  // what it was placed from
  const std::vector<ReplanEvent>& replans() const;

 private:
  struct Window;
  void serve(std::shared_ptr<PlanExecutor> executor);
  void observe();
  bool cooled_down() const;
  void replan();
  std::map<std::string, double> measured_loads() const;
  std::map<std::string, double> device_sums(const CostTable& costs) const;  // predicted µs of each device's nodes

  const Graph& graph_;
  AutoPlan planned_;
  AutoOptions options_;
  ReplanOptions replan_;
  std::shared_ptr<PlanExecutor> executor_;
  // Per segment of executor_: the drift monitor's name and the predicted µs.
  std::vector<std::string> segment_names_;
  std::vector<double> segment_predicted_us_;
  DriftMonitor monitor_;
  std::map<std::string, double> load_, calibration_;  // what planned_.costs was made with
  std::unique_ptr<Window> window_;                    // load and own-work measurements since the last plan
  std::vector<ReplanEvent> replans_;
  int runs_ = 0;
  int last_replan_run_ = 0;
};

}  // namespace tandem
