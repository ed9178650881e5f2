// Cost tables from a predictor: node times per device (views and fused nodes free,
// unsupported nodes marked, per-device load and calibration applied), compute groups
// of host devices sharing cores, and host links with the predictor's copy regimes.
#include "plan/cost_table.h"

#include <algorithm>
#include <cmath>
#include <memory>
#include <set>
#include <thread>

#include "backends/registry.h"
#include "core/cores.h"
#include "ops/op.h"
#include "profile/node_profiler.h"
#include "profile/profile_cache.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr double kLargeCopyBytes = 64.0 * 1024 * 1024;  // the size bandwidth is read from

bool has_index_suffix(const std::string& name, size_t prefix) {
  return name.size() > prefix && std::all_of(name.begin() + static_cast<long>(prefix), name.end(),
                                             [](char c) { return c >= '0' && c <= '9'; });
}

bool is_known_device_name(const std::string& name) {
  if (name == "reference" || name == "cpu" || name == "cuda") return true;
  if (name.rfind("cpu:", 0) == 0) return has_index_suffix(name, 4);
  if (name.rfind("cuda:", 0) == 0) return has_index_suffix(name, 5);
  return name.rfind("remote:", 0) == 0 && name.size() > 7;
}

void check_devices(const std::vector<std::string>& devices) {
  if (devices.empty()) fail(ErrorKind::InvalidInput, "no devices to plan for");
  std::set<std::string> seen;
  for (const std::string& d : devices) {
    if (!is_known_device_name(d))
      fail(ErrorKind::InvalidInput, "unknown device '" + d + "' (known: reference, cpu, cpu:N, cuda, cuda:N, remote:HOST:PORT)");
    if (!seen.insert(d).second) fail(ErrorKind::InvalidInput, "device '" + d + "' is listed twice");
  }
}

double value_or(const std::map<std::string, double>& values, const std::string& key, double fallback) {
  auto found = values.find(key);
  return found == values.end() ? fallback : found->second;
}

void check_options(const CostOptions& options) {
  auto check_load = [](double load) {
    if (!(load >= 0 && load <= 1)) fail(ErrorKind::InvalidInput, "CPU load must be between 0 and 1 of the cores");
  };
  check_load(options.load);
  for (const auto& [device, load] : options.device_load) check_load(load);
  for (const auto& [device, scale] : options.calibration)
    if (!(scale > 0 && std::isfinite(scale)))
      fail(ErrorKind::InvalidInput, "calibration of " + device + " must be a positive number");
  for (const auto& [device, slowdown] : options.co_run)
    if (!(slowdown >= 1 && std::isfinite(slowdown)))
      fail(ErrorKind::InvalidInput, "co-run slowdown of " + device + " must be a number >= 1");
}

// Host devices whose cores overlap share one group (transitively); every other
// device is a group of its own. Groups are numbered by their first device.
std::vector<int> compute_groups(const std::vector<std::string>& devices, const CostOptions& options) {
  auto cores_of = [&](const std::string& d) {
    auto found = options.cores.find(d);
    return found == options.cores.end() ? std::vector<int>{} : found->second;
  };
  std::vector<int> group(devices.size());
  for (size_t d = 0; d < devices.size(); ++d) {
    group[d] = static_cast<int>(d);
    if (!is_host_device_name(devices[d])) continue;
    for (size_t e = 0; e < d; ++e)
      if (is_host_device_name(devices[e]) && cores_overlap(cores_of(devices[d]), cores_of(devices[e]))) {
        int merged = group[e], absorbed = group[d];
        for (size_t k = 0; k <= d; ++k)
          if (group[k] == absorbed) group[k] = merged;
      }
  }
  return group;
}

// The device itself where it can be created here (to ask it what it supports), else null.
std::unique_ptr<Device> usable_device(const std::string& name, const CostOptions& costs) {
  if (name.rfind("remote:", 0) == 0) return nullptr;
  try {
    DeviceOptions options;
    options.threads = costs.threads;
    options.cores = costs.cores;
    return create_device(name, options);
  } catch (const Error&) {
    return nullptr;
  }
}

int threads_for(const Predictor& predictor, const std::string& device, const CostOptions& options) {
  if (options.threads > 0) return options.threads;
  if (auto pinned = options.cores.find(device); pinned != options.cores.end() && !pinned->second.empty())
    return static_cast<int>(pinned->second.size());
  const DeviceModels* models = predictor.device(device);
  if (models && models->threads > 0) return models->threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Extra µs of node `n` on `device` at a segment boundary; 0 where the node costs
// nothing or cannot run there.
double boundary_extra(const Graph& graph, size_t n, const NodeFeatures& features, const Predictor& predictor,
                      const std::string& device, const CostOptions& options, double node_us) {
  if (!(node_us > 0) || node_us == kUnsupported) return 0;
  return predictor.boundary_extra_us(device, node_signature(graph.nodes[n], graph), features) *
         value_or(options.calibration, device, 1.0);
}

// The profiled time of node `name` with `signature` on `device` when options hold it
// for this signature and thread count, else nullptr.
const MeasuredNode* measured_node(const CostOptions& options, const std::string& device, const std::string& name,
                                  const std::string& signature, int threads) {
  auto on_device = options.measured.find(device);
  if (on_device == options.measured.end()) return nullptr;
  auto found = on_device->second.find(name);
  if (found == on_device->second.end() || found->second.threads != threads || found->second.signature != signature)
    return nullptr;
  return &found->second;
}

// µs of a node with features `f` on `device`: `measured` when profiled (scaled by the
// predicted effect of a different load), else predicted.
double node_time(const NodeFeatures& f, const MeasuredNode* measured, const Predictor& predictor,
                 const std::string& device) {
  if (measured && measured->load == f.load) return measured->us;
  double predicted = predictor.predict(f, device);
  if (!measured) return predicted;
  NodeFeatures as_measured = f;
  as_measured.load = measured->load;
  double base = predictor.predict(as_measured, device);
  return base > 0 ? measured->us * predicted / base : measured->us;
}

// Predicted (or measured) µs of every node on one device.
std::vector<double> device_column(const Graph& graph, const std::vector<NodeFeatures>& features,
                                  const Predictor& predictor, const std::string& device, const CostOptions& options) {
  int threads = threads_for(predictor, device, options);
  std::unique_ptr<Device> backend = usable_device(device, options);
  const double load = value_or(options.device_load, device, options.load);
  const double scale = value_or(options.calibration, device, 1.0);
  std::vector<double> column;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    bool supported = backend ? backend->supports(node, graph) : find_op(node.op) != nullptr;
    if (!supported) {
      column.push_back(kUnsupported);
      continue;
    }
    std::string signature = is_pure_view(node.op) ? std::string() : node_signature(node, graph);
    if (is_pure_view(node.op) || predictor.fused(device, signature)) {
      column.push_back(0);
    } else {
      NodeFeatures f = features[n];
      f.threads = threads;
      f.load = load;
      const MeasuredNode* measured = measured_node(options, device, node.name, signature, threads);
      column.push_back(node_time(f, measured, predictor, device) * scale);
    }
  }
  return column;
}

}  // namespace

bool is_pure_view(const std::string& op) {
  static const std::set<std::string> views = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};
  return views.count(op) != 0;
}

// The predictor's copy model with its segments; a model without bandwidth is a fixed
// cost whatever the size (bytes_per_us "infinite"), or free when that cost is 0.
namespace {

// A fitted model as a planner link; a fixed cost (no bandwidth term) becomes an
// infinitely fast link with that latency, a zero model a free link.
Link link_of(const LinkFit& model) {
  Link link{model.latency_us, model.bytes_per_us, model.segments};
  if (link.bytes_per_us > 0) return link;
  if (model.time_us(kLargeCopyBytes) <= 0) return {};
  link.bytes_per_us = std::numeric_limits<double>::max();
  return link;
}

}  // namespace

Link predicted_link(const Predictor& predictor, const std::string& device, const std::string& direction) {
  return link_of(predictor.copy_model(device, direction));
}

MeasuredTimes measured_times(const Profile& profile, const std::string& model, int64_t batch, double load,
                             const std::vector<std::string>& devices) {
  MeasuredTimes measured;
  for (const std::string& device : devices) {
    const ProfileRun* run = find_run(profile, model, device, batch, load);
    if (!run) continue;
    std::map<std::string, MeasuredNode>& nodes = measured[device];
    for (const NodeSample& n : run->nodes)
      if (!n.fused && n.us.median > 0)
        nodes[n.name] = {n.signature, n.us.median, n.features.load, static_cast<int>(n.features.threads)};
  }
  return measured;
}

CostTable cost_table(const Graph& graph, const Predictor& predictor, const std::vector<std::string>& devices,
                     const CostOptions& options) {
  check_devices(devices);
  check_options(options);
  CostTable costs;
  costs.devices = devices;
  costs.compute_group = compute_groups(devices, options);
  for (const std::string& d : devices) {
    costs.co_run_slowdown.push_back(value_or(options.co_run, d, 1.0));
    costs.copies_on_compute.push_back(is_host_device_name(d));
  }
  costs.source = options.predictor_path.empty() ? "predictor" : "predictor " + options.predictor_path;
  if (!options.measured.empty()) costs.source += ", with the profiled nodes' measured times";
  costs.node_us.assign(graph.nodes.size(), std::vector<double>(devices.size(), 0));
  costs.boundary_us.assign(graph.nodes.size(), std::vector<double>(devices.size(), 0));
  const std::vector<NodeFeatures> features = graph_features(graph);
  for (size_t d = 0; d < devices.size(); ++d) {
    std::vector<double> column = device_column(graph, features, predictor, devices[d], options);
    for (size_t n = 0; n < graph.nodes.size(); ++n) costs.node_us[n][d] = column[n];
    costs.to_device.push_back(predicted_link(predictor, devices[d], "to_device"));
    costs.to_host.push_back(predicted_link(predictor, devices[d], "to_host"));
    for (size_t n = 0; n < graph.nodes.size(); ++n)
      costs.boundary_us[n][d] = boundary_extra(graph, n, features[n], predictor, devices[d], options, costs.node_us[n][d]);
  }
  return costs;
}

}  // namespace tandem
