// The "auto" device: plan a model across several devices from measurements kept in a
// profile cache. For the listed devices usable here, the profile is completed with
// what it lacks for this model and batch (node times, host links; unchanged
// fingerprints keep old measurements), a Predictor is fitted to it, and the graph is
// placed on the devices from the predicted cost table; the plan is then timed
// against each single device and the fastest measured kept (plan_check.h).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "backends/device.h"
#include "plan/cost_table.h"
#include "plan/place.h"
#include "plan/plan.h"
#include "predict/predictor.h"
#include "profile/co_run.h"
#include "profile/link_profiler.h"
#include "profile/node_profiler.h"
#include "runtime/plan_check.h"

namespace tandem {

struct AutoOptions {
  std::vector<std::string> devices{"cpu", "cuda"};  // unusable ones are dropped
  std::string profile_path;  // the cache file; "": default_profile_path()
  int64_t batch = 1;         // the batch the prepared graph was prepared at
  DeviceOptions device;      // how the devices are created: threads (0: all cores), pinned cores, GPU flags
  double load = 0;           // extra CPU load to profile and plan for, 0..1
  PlaceOptions place;
  MeasureOptions measure;    // for the runs the cache lacks
  LinkOptions links;         // for the links the cache lacks
  PlanCheckOptions check;    // the placed plan timed against single devices before it serves
  CoRunOptions co_run;       // CPU devices on disjoint cores: how much they slow each other
};

struct AutoPlan {
  Plan plan;                         // model and batch filled in
  CostTable costs;                   // what the plan was placed from
  std::shared_ptr<const Predictor> predictor;  // fitted to the profile, for re-planning
  std::vector<std::string> devices;  // the usable devices planned across
  std::string predictor_source;      // the profile the predictor was fitted from
  int runs_measured = 0;             // profile runs added to the cache
  int links_measured = 0;            // devices whose links were added to the cache
  PlanCheck check;                   // the measured check, and which contender was kept
  std::map<std::string, double> co_run;  // measured co-run slowdowns of pinned host devices (profile/co_run.h)
  MeasuredTimes measured;                // the model's profiled node times, which the costs use (cost_table.h)
};

// $TANDEM_CACHE when set, else ~/.cache/tandem/profile.json (./tandem-profile.json
// without a home directory).
std::string default_profile_path();

// The listed devices usable here, created with `options`; the others are dropped
// with a message on stderr. Throws InvalidInput when none is left.
std::vector<std::unique_ptr<Device>> usable_devices(const std::vector<std::string>& names,
                                                    const DeviceOptions& options = {});

// `loaded` is the model as loaded (load_model), `prepared` the same graph prepared at
// options.batch that the plan is made for and executed on; `model` is its name as
// given (a zoo name or an ONNX path). Writes the completed profile to the cache file.
AutoPlan plan_auto(const Graph& loaded, const Graph& prepared, const std::string& model, const AutoOptions& options);

}  // namespace tandem
