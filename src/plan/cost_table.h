// The planner's costs from a latency predictor (predict/predictor.h): every node's
// predicted time on every device of a prepared graph (or its measured time, where the
// profile holds this very node, measured at the same thread count), 0 for nodes that cost nothing
// (pure views, and nodes the device fused into the node before when profiled),
// kUnsupported where a device's backend cannot run the node; and each device's copy
// links to and from host memory as latency + bytes/bandwidth.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "predict/predictor.h"
#include "profile/profile.h"

namespace tandem {

// A node's in-graph median as profiled: used instead of its prediction while its
// signature still matches and the device runs with the thread count it was measured
// with. A load other than the measured one scales it by the predictor's load response.
struct MeasuredNode {
  std::string signature;
  double us = 0;
  double load = 0;  // injected load it was measured under, 0..1
  int threads = 0;
};
// Per device, per node name.
using MeasuredTimes = std::map<std::string, std::map<std::string, MeasuredNode>>;

// The costed (non-fused) nodes of `model`'s runs at `batch` and `load` on `devices`
// that `profile` holds; devices without such a run are left out.
MeasuredTimes measured_times(const Profile& profile, const std::string& model, int64_t batch, double load,
                             const std::vector<std::string>& devices);

struct CostOptions {
  int threads = 0;             // CPU threads the devices run with; 0: as profiled
  double load = 0;             // extra CPU load while running, 0..1 of all cores busy
  std::string predictor_path;  // named in CostTable::source
  // Host devices pinned to cores (DeviceOptions::cores): their thread count when
  // `threads` is 0, and which host devices share compute (CostTable::compute_group).
  std::map<std::string, std::vector<int>> cores;
  std::map<std::string, double> device_load;   // per device, instead of `load` (e.g. the load on its own cores)
  std::map<std::string, double> calibration;   // per device, multiplies its predicted node times (measured drift)
  std::map<std::string, double> co_run;        // per device, CostTable::co_run_slowdown (measured; default 1)
  MeasuredTimes measured;                      // profiled nodes: their times instead of predictions
};

// `graph` is prepared (shapes inferred, passes run) at the batch size to plan for.
// `devices` are tandem device names: reference, cpu, cpu:N, cuda, cuda:N, remote:...
// Support is asked of the device itself where it can be created here, else known
// from its backend (every op tandem implements). Throws Error(InvalidInput) for an
// unknown device name, a repeated device, a load outside 0..1 or a calibration
// that is not a positive number.
CostTable cost_table(const Graph& graph, const Predictor& predictor, const std::vector<std::string>& devices,
                     const CostOptions& options = {});

// Ops that only reinterpret their input's memory (Reshape, Flatten, Squeeze,
// Unsqueeze, Identity, Dropout at inference): free on every device.
bool is_pure_view(const std::string& op);

// The host link of a device as the predictor sees it: the fitted copy regimes
// (latency + bytes/bandwidth per size range); a free Link for the host itself.
Link predicted_link(const Predictor& predictor, const std::string& device, const std::string& direction);

}  // namespace tandem
