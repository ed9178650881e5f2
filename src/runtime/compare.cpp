// Measured comparison of single devices, the auto plan and a measured oracle
// (compare.h): plan, screen the oracle's candidates within a time budget, then time
// every contender interleaved and check auto's outputs against a single device's.
#include "runtime/compare.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "backends/registry.h"
#include "ir/prepare.h"
#include "plan/place.h"
#include "plan/plan_file.h"
#include "runtime/graph_io.h"
#include "runtime/plan_executor.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Why a device of this name cannot run here, or "" when its backend is usable (or
// unknown: creating it then says so).
std::string unusable_reason(const std::string& device) {
  std::string backend = device.substr(0, device.find(':'));
  for (const BackendStatus& status : list_backends())
    if (status.name == backend && !status.usable) return status.detail;
  return "";
}

// The device every node of `placement` is on, or -1 when there are several.
int sole_device(const Placement& placement) {
  if (placement.empty()) return -1;
  bool one = std::all_of(placement.begin(), placement.end(), [&](int d) { return d == placement.front(); });
  return one ? placement.front() : -1;
}

// The model prepared once, and the runners (sessions, plan executors) built on it.
class Runners {
 public:
  Runners(const std::string& model, const CompareOptions& options) : model_(model), options_(options) {
    loaded_ = load_model(model);
    prepared_ = loaded_;
    prepare_graph(prepared_, PrepareOptions{options.auto_options.batch, {}, true});
  }
  const Graph& loaded() const { return loaded_; }
  const Graph& prepared() const { return prepared_; }

  // A single device runs as a plain Session (one per device, built once).
  Contender on_device(const std::string& name, const std::string& device) {
    auto& session = sessions_[device];
    if (!session) {
      const DeviceOptions& d = options_.auto_options.device;
      SessionOptions s{.device = device, .threads = d.threads, .cores = d.cores,
                       .batch = options_.auto_options.batch, .optimize = true, .tf32 = d.tf32,
                       .cuda_graphs = d.graphs};
      session = std::make_unique<Session>(Session::open(model_, s));
    }
    Session* runner = session.get();
    return {name, [runner](const std::vector<Tensor>& inputs) { return runner->run(inputs); }};
  }

  // A placement over the cost table's devices: a single-device one runs as that
  // device, any other through a PlanExecutor.
  Contender on_placement(const std::string& name, const CostTable& costs, const Placement& placement) {
    if (int d = sole_device(placement); d >= 0) return on_device(name, costs.devices[static_cast<size_t>(d)]);
    executors_.push_back(std::make_unique<PlanExecutor>(prepared_, schedule(prepared_, costs, placement),
                                                        options_.auto_options.device));
    PlanExecutor* runner = executors_.back().get();
    return {name, [runner](const std::vector<Tensor>& inputs) { return runner->run(inputs); }};
  }

  size_t executor_count() const { return executors_.size(); }
  // Destroys the executors built after the first `count`.
  void drop_executors_after(size_t count) { executors_.resize(count); }

 private:
  std::string model_;
  const CompareOptions& options_;
  Graph loaded_, prepared_;
  std::map<std::string, std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<PlanExecutor>> executors_;
};

std::map<std::string, int> nodes_per_device(const CostTable& costs, const Placement& placement) {
  std::map<std::string, int> counts;
  for (size_t n = 0; n < placement.size(); ++n)
    if (!is_free_node(costs, n)) ++counts[costs.devices[static_cast<size_t>(placement[n])]];
  return counts;
}

PlacementMeasurement placement_measurement(const Graph& graph, const CostTable& costs, const Placement& placement,
                                           const std::string& source) {
  PlacementMeasurement m;
  m.placement = placement;
  m.switches = device_switches(graph, placement);
  m.nodes_per_device = nodes_per_device(costs, placement);
  m.source = source;
  return m;
}

// A single device outside the cost table: every node that costs something on it.
PlacementMeasurement single_device_measurement(const CostTable& costs, size_t nodes, const std::string& device) {
  PlacementMeasurement m;
  m.source = "single:" + device;
  for (size_t n = 0; n < nodes; ++n) m.nodes_per_device[device] += is_free_node(costs, n) ? 0 : 1;
  return m;
}

// Every node on `device`: a placement over the cost table when it lists the device.
PlacementMeasurement single_device_placement(const Graph& graph, const CostTable& costs, const std::string& device) {
  auto listed = std::find(costs.devices.begin(), costs.devices.end(), device);
  if (listed == costs.devices.end()) return single_device_measurement(costs, graph.nodes.size(), device);
  Placement placement(graph.nodes.size(), static_cast<int>(listed - costs.devices.begin()));
  return placement_measurement(graph, costs, placement, "single:" + device);
}

std::vector<TensorSpec> input_specs(const Graph& graph) {
  std::vector<TensorSpec> specs;
  for (int id : graph.inputs) specs.push_back(spec_of(graph.value(id)));
  return specs;
}

// Largest |got - want| / max(1, |want|) over all f32 outputs (others must be equal);
// throws Internal beyond `tolerance`.
double check_outputs(const std::vector<Tensor>& got, const std::vector<Tensor>& want, double tolerance,
                     const std::string& what) {
  if (got.size() != want.size()) fail(ErrorKind::Internal, what + ": output count differs");
  double worst = 0;
  for (size_t k = 0; k < got.size(); ++k) {
    if (got[k].shape() != want[k].shape() || got[k].dtype() != want[k].dtype())
      fail(ErrorKind::Internal, fmt::format("{}: output {} shape or dtype differs", what, k));
    if (got[k].dtype() != DType::f32) {
      if (std::memcmp(got[k].raw(), want[k].raw(), got[k].nbytes()) != 0)
        fail(ErrorKind::Internal, fmt::format("{}: output {} differs", what, k));
      continue;
    }
    const float* a = got[k].data<float>();
    const float* b = want[k].data<float>();
    for (int64_t i = 0; i < got[k].numel(); ++i) {
      double difference = std::abs(double(a[i]) - b[i]) / std::max(1.0, std::abs(double(b[i])));
      if (!(difference <= tolerance))
        fail(ErrorKind::Internal, fmt::format("{}: output {} element {} is {}, expected {} (tolerance {:g})", what, k,
                                              i, a[i], b[i], tolerance));
      worst = std::max(worst, difference);
    }
  }
  return worst;
}

// Screens candidates in order until the budget is spent; returns (median, index) of
// those measured, fastest first.
std::vector<std::pair<double, size_t>> screen(Runners& runners, const CostTable& costs,
                                              const std::vector<PlacementCandidate>& candidates,
                                              const std::vector<Tensor>& inputs, const CompareOptions& options) {
  std::vector<std::pair<double, size_t>> screened;
  const size_t kept = runners.executor_count();
  Clock::time_point start = Clock::now();
  for (size_t c = 0; c < candidates.size() && seconds_since(start) < options.oracle_budget_s; ++c) {
    Contender contender = runners.on_placement("candidate", costs, candidates[c].placement);
    screened.emplace_back(measure_interleaved({contender}, inputs, options.screening)[0].stats.median, c);
    runners.drop_executors_after(kept);
  }
  std::sort(screened.begin(), screened.end());
  return screened;
}

}  // namespace

std::vector<Measured> measure_interleaved(const std::vector<Contender>& contenders, const std::vector<Tensor>& inputs,
                                          const InterleaveOptions& options) {
  for (int i = 0; i < options.warmup; ++i)
    for (const Contender& c : contenders) c.run(inputs);
  std::vector<std::vector<double>> samples(contenders.size());
  Clock::time_point start = Clock::now();
  auto done = [&](int rounds) {
    if (options.repeats > 0) return rounds >= options.repeats;
    return rounds >= options.max_rounds || (rounds >= options.min_rounds && seconds_since(start) >= options.seconds);
  };
  for (int rounds = 0; !done(rounds); ++rounds)
    for (size_t c = 0; c < contenders.size(); ++c) {
      if (contenders.size() > 1 && options.settle_below_us > 0 &&
          (samples[c].empty() || samples[c].back() < options.settle_below_us))
        contenders[c].run(inputs);
      Clock::time_point begin = Clock::now();
      contenders[c].run(inputs);
      samples[c].push_back(std::chrono::duration<double, std::micro>(Clock::now() - begin).count());
    }
  std::vector<Measured> measured;
  for (std::vector<double>& s : samples) measured.push_back({spread_of(s), s.size()});
  return measured;
}

Comparison compare_placements(const std::string& model, const CompareOptions& options) {
  if (!options.make_inputs) fail(ErrorKind::InvalidInput, "compare_placements: no input maker given");
  Comparison result;
  result.model = model;
  result.batch = options.auto_options.batch;
  Runners runners(model, options);
  AutoPlan planned = plan_auto(runners.loaded(), runners.prepared(), model, options.auto_options);
  const Graph& graph = runners.prepared();
  const CostTable& costs = planned.costs;
  const Placement center = placement_of(planned.plan, graph);
  result.auto_strategy = planned.plan.strategy;
  result.predicted_auto_us = planned.plan.makespan_us;
  std::vector<Tensor> inputs = options.make_inputs(input_specs(graph));

  // Contenders and what each runs, in the same order: single devices, auto, finalists.
  // A placement on one listed device is that device's contender, not a second one.
  std::vector<Contender> contenders;
  std::vector<PlacementMeasurement> placements;
  std::map<std::string, size_t> device_slot;
  for (const std::string& device : options.devices) {
    DeviceMeasurement& m = result.devices.emplace_back();
    m.device = device;
    m.reason = unusable_reason(device);
    m.usable = m.reason.empty();
    if (!m.usable || device_slot.count(device)) continue;
    device_slot[device] = contenders.size();
    contenders.push_back(runners.on_device(device, device));
    placements.push_back(single_device_placement(graph, costs, device));
  }
  auto listed_device_of = [&](const Placement& placement) {
    int d = sole_device(placement);
    return d < 0 ? device_slot.end() : device_slot.find(costs.devices[static_cast<size_t>(d)]);
  };
  size_t auto_slot = contenders.size();
  if (auto listed = listed_device_of(center); listed != device_slot.end()) {
    auto_slot = listed->second;
  } else {
    contenders.push_back(runners.on_placement("auto", costs, center));
    placements.push_back(placement_measurement(graph, costs, center, "auto"));
  }

  result.checked_against = device_slot.empty() ? costs.devices.front() : contenders.front().name;
  result.max_output_difference =
      check_outputs(contenders[auto_slot].run(inputs), runners.on_device("", result.checked_against).run(inputs),
                    options.tolerance, fmt::format("auto plan of {} at batch {}", model, result.batch));

  OracleCandidates oracle = oracle_candidates(graph, costs, center, options.exhaustive_limit);
  result.exhaustive = oracle.exhaustive;
  result.candidates_total = oracle.candidates.size();
  auto screened = screen(runners, costs, oracle.candidates, inputs, options);
  result.candidates_measured = screened.size();
  size_t finalists = 0;
  for (size_t k = 0; k < screened.size() && finalists < options.finalists; ++k) {
    const Placement& placement = oracle.candidates[screened[k].second].placement;
    if (listed_device_of(placement) != device_slot.end()) continue;
    contenders.push_back(runners.on_placement(fmt::format("candidate {}", finalists++), costs, placement));
    placements.push_back(placement_measurement(graph, costs, placement, oracle.exhaustive ? "exhaustive" : "neighbour"));
  }

  std::vector<Measured> measured = measure_interleaved(contenders, inputs, options.timing);
  for (size_t c = 0; c < measured.size(); ++c) placements[c].measured = measured[c];
  for (size_t d = 0, c = 0; d < result.devices.size(); ++d)
    if (result.devices[d].usable) result.devices[d].measured = measured[c++];
  result.auto_plan = placements[auto_slot];
  result.auto_plan.source = "auto";
  result.oracle = *std::min_element(placements.begin(), placements.end(), [](const auto& a, const auto& b) {
    return a.measured.stats.median < b.measured.stats.median;
  });
  return result;
}

}  // namespace tandem
