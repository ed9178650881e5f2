// The auto planner's measured check: before a plan serves, it is timed against each
// single device that can run the whole graph, interleaved so that machine noise hits
// all alike, and the fastest measured is kept. A plan over several devices must win
// by a margin. Costs the predictor cannot see (segment boundaries, a busy core) can
// then not make auto slower than the best single device it was given.
#pragma once
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "backends/device.h"
#include "plan/place.h"
#include "plan/plan.h"
#include "runtime/plan_executor.h"

namespace tandem {

struct PlanCheckOptions {
  int runs = 5;          // at least this many timed rounds after one warm-up; 0: no check
  double seconds = 0.25; // and rounds until this long, so that fast models get a steady median...
  int max_rounds = 200;  // ...but never more rounds than this
  double margin = 0.03;  // a plan over several devices is kept only when this much faster
  // A single-device plan is also timed against the best split plan when that split is
  // predicted within this share of it: predictions that close are decided by measuring.
  double close_call = 0.10;
};

struct PlanCheck {
  std::vector<std::string> contenders;  // "plan", "single:cpu:0", ...
  std::vector<double> median_us;        // per contender
  std::string kept;                     // the contender now in `plan`
  // The kept plan compiled with the options given, when the check ran (else null),
  // so that the caller need not compile it again.
  std::shared_ptr<PlanExecutor> executor;
};

// `plan` is the placed plan for the prepared `graph` with its cost table `costs`;
// replaced in place by the contender that measured fastest: the plan itself, a single
// device, or the close split (close_split, placed with `place`) of a single-device
// plan. A plan over several devices is kept only when it beats the fastest single
// device by check.margin. Contenders are named "plan", "single:DEVICE" and
// "split:STRATEGY".
PlanCheck check_plan_by_measurement(const Graph& graph, const CostTable& costs, Plan& plan,
                                    const DeviceOptions& options, const PlanCheckOptions& check = {},
                                    const PlaceOptions& place = {});

// The split to measure beside a single-device `plan`: the best plan over several
// devices (best_split_plan) when it is predicted within check.close_call of `plan`;
// nullopt when `plan` already splits, the check is off, or no split is that close.
std::optional<Plan> close_split(const Graph& graph, const CostTable& costs, const Plan& plan,
                                const PlaceOptions& place, const PlanCheckOptions& check);

}  // namespace tandem
