// The planner's costs from a latency predictor (predict/predictor.h): every node's
// predicted time on every device of a prepared graph, 0 for nodes that cost nothing
// (pure views, and nodes the device fused into the node before when profiled),
// kUnsupported where a device's backend cannot run the node; and each device's copy
// links to and from host memory as latency + bytes/bandwidth.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "plan/plan.h"
#include "predict/predictor.h"

namespace tandem {

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
