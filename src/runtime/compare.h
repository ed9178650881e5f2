// Measured comparison of ways to run one model at one batch size: each single
// device, the auto plan, and a measured oracle, the fastest measured of the
// placements near the auto one (or of all placements when there are few). The
// candidate generator is pure (graph + cost table in, placements out); the
// measuring runs every contender interleaved, round-robin, so that machine noise
// hits all alike.
#pragma once
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "plan/cost_table.h"
#include "plan/plan.h"
#include "profile/profile.h"
#include "runtime/auto_planner.h"
#include "tandem/session.h"

namespace tandem {

// One placement the oracle may measure, with its predicted (schedule()) makespan.
struct PlacementCandidate {
  Placement placement;
  double predicted_us = 0;
  int switches = 0;  // device_switches()
};

// True for a node that costs nothing on every device that can run it (views, nodes
// fused into the one before): moving it alone is not a real alternative.
bool is_free_node(const CostTable& costs, size_t node);

// Every placement one move away from `center`: one node that costs something moved
// to another device that can run it, the free nodes reading it (directly or through
// other free nodes) moving along. `center` itself is not among them.
std::vector<Placement> one_move_neighbours(const Graph& graph, const CostTable& costs, const Placement& center);

// Every placement of the nodes that cost something on the devices that can run them
// (free nodes follow the producer of their first input, or sit where `center` has
// them), or nothing when there are more than `limit` of them.
std::vector<Placement> every_placement(const Graph& graph, const CostTable& costs, const Placement& center,
                                       size_t limit);

// The oracle's candidates: every placement when there are at most `exhaustive_limit`,
// else the one-move neighbours of `center` plus every single-device placement. Without
// duplicates and without `center`, ordered by predicted makespan (then fewer switches).
struct OracleCandidates {
  std::vector<PlacementCandidate> candidates;
  bool exhaustive = false;
};
OracleCandidates oracle_candidates(const Graph& graph, const CostTable& costs, const Placement& center,
                                   size_t exhaustive_limit);

// A way of running the model: host tensors in, host tensors out.
struct Contender {
  std::string name;
  std::function<std::vector<Tensor>(const std::vector<Tensor>&)> run;
};

// How contenders are timed together: `warmup` runs each, then rounds in which every
// contender runs once in turn, until each has `repeats` samples, or (repeats 0) at
// least `min_rounds` rounds and `seconds` seconds, at most `max_rounds`.
struct InterleaveOptions {
  int warmup = 1;
  int repeats = 0;
  double seconds = 1.0;
  int min_rounds = 10;
  int max_rounds = 1000;
  // A contender whose last timed run was shorter than this runs once untimed right
  // before each timed run: switching contenders moves the calling thread between
  // pinned cores and evicts caches, which would otherwise dominate runs of tens of µs
  // (lenet5 on cpu:0 and cpu:1, 33.5 µs each alone, timed 36 and 67 µs round-robin).
  double settle_below_us = 2000;
};

// Per contender (same order), the spread of its run times in µs and the sample count.
struct Measured {
  Spread stats;
  size_t runs = 0;
};
std::vector<Measured> measure_interleaved(const std::vector<Contender>& contenders, const std::vector<Tensor>& inputs,
                                          const InterleaveOptions& options);

struct CompareOptions {
  std::vector<std::string> devices;  // the single devices to compare (unusable ones reported)
  // The inputs every contender runs on, made from the prepared model's input specs.
  std::function<std::vector<Tensor>(const std::vector<TensorSpec>&)> make_inputs;
  AutoOptions auto_options;          // devices to plan across, profile cache, batch, device options
  InterleaveOptions timing;          // the final interleaved measurement
  double oracle_budget_s = 20;       // seconds for screening oracle candidates
  InterleaveOptions screening{1, 5};  // per candidate: 1 warm-up, median of 5
  size_t exhaustive_limit = 256;     // all placements when there are at most this many
  size_t finalists = 3;              // screened candidates measured again with the others
  double tolerance = 1e-4;           // auto's outputs against a single device's, relative to max(1, |x|)
};

// A single device's result; `usable` false with `reason` when it cannot run here.
struct DeviceMeasurement {
  std::string device;
  bool usable = false;
  std::string reason;
  Measured measured;
};

// A measured placement: its times, device switches and nodes per device.
struct PlacementMeasurement {
  Measured measured;
  Placement placement;
  int switches = 0;
  std::map<std::string, int> nodes_per_device;  // nodes that cost something
  std::string source;  // "auto", "single:<device>", "neighbour", "exhaustive"
};

struct Comparison {
  std::string model;
  int64_t batch = 1;
  std::vector<DeviceMeasurement> devices;
  PlacementMeasurement auto_plan, oracle;
  std::string auto_strategy;  // the placer that made the auto plan
  double predicted_auto_us = 0;
  size_t candidates_total = 0, candidates_measured = 0;
  bool exhaustive = false;
  std::string checked_against;  // the single device whose outputs auto's matched
  double max_output_difference = 0;
};

// Loads `model`, prepares it at options.auto_options.batch, plans it (plan_auto),
// screens the oracle's candidates within the budget, then measures the single
// devices, auto and the best candidates interleaved; a placement on one listed device
// (auto's included) is timed as that device's contender, not twice. The oracle is the
// fastest of all of them, so it is never slower than auto. Throws Internal when auto's outputs differ
// from a single device's beyond the tolerance.
Comparison compare_placements(const std::string& model, const CompareOptions& options);

}  // namespace tandem
