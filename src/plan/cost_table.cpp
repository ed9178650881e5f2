// Cost tables from a predictor: node times per device (views and fused nodes free,
// unsupported nodes marked), and host links fitted from two predicted copy sizes.
#include "plan/cost_table.h"

#include <algorithm>
#include <memory>
#include <set>
#include <thread>

#include "backends/registry.h"
#include "ops/op.h"
#include "profile/node_profiler.h"
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

// The device itself where it can be created here (to ask it what it supports), else null.
std::unique_ptr<Device> usable_device(const std::string& name, int threads) {
  if (name.rfind("remote:", 0) == 0) return nullptr;
  try {
    DeviceOptions options;
    options.threads = threads;
    return create_device(name, options);
  } catch (const Error&) {
    return nullptr;
  }
}

int threads_for(const Predictor& predictor, const std::string& device, const CostOptions& options) {
  if (options.threads > 0) return options.threads;
  const DeviceModels* models = predictor.device(device);
  if (models && models->threads > 0) return models->threads;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Predicted µs of every node on one device.
std::vector<double> device_column(const Graph& graph, const Predictor& predictor, const std::string& device,
                                  const CostOptions& options) {
  int threads = threads_for(predictor, device, options);
  std::unique_ptr<Device> backend = usable_device(device, options.threads);
  std::vector<double> column;
  for (const Node& node : graph.nodes) {
    bool supported = backend ? backend->supports(node, graph) : find_op(node.op) != nullptr;
    if (!supported) {
      column.push_back(kUnsupported);
    } else if (is_pure_view(node.op) || predictor.fused(device, node_signature(node, graph))) {
      column.push_back(0);
    } else {
      NodeFeatures f = node_features(node, graph);
      f.threads = threads;
      f.load = options.load;
      column.push_back(predictor.predict(f, device));
    }
  }
  return column;
}

}  // namespace

bool is_pure_view(const std::string& op) {
  static const std::set<std::string> views = {"Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout"};
  return views.count(op) != 0;
}

Link predicted_link(const Predictor& predictor, const std::string& device, const std::string& direction) {
  double latency = predictor.predict_copy(device, direction, 0);
  double per_large = predictor.predict_copy(device, direction, kLargeCopyBytes) - latency;
  if (per_large <= 0) {
    if (latency <= 0) return {};
    return {latency, std::numeric_limits<double>::max()};  // a fixed cost, whatever the size
  }
  return {std::max(0.0, latency), kLargeCopyBytes / per_large};
}

CostTable cost_table(const Graph& graph, const Predictor& predictor, const std::vector<std::string>& devices,
                     const CostOptions& options) {
  check_devices(devices);
  if (!(options.load >= 0 && options.load <= 1))
    fail(ErrorKind::InvalidInput, "CPU load must be between 0 and 1 of the cores");
  CostTable costs;
  costs.devices = devices;
  costs.source = options.predictor_path.empty() ? "predictor" : "predictor " + options.predictor_path;
  costs.node_us.assign(graph.nodes.size(), std::vector<double>(devices.size(), 0));
  for (size_t d = 0; d < devices.size(); ++d) {
    std::vector<double> column = device_column(graph, predictor, devices[d], options);
    for (size_t n = 0; n < graph.nodes.size(); ++n) costs.node_us[n][d] = column[n];
    costs.to_device.push_back(predicted_link(predictor, devices[d], "to_device"));
    costs.to_host.push_back(predicted_link(predictor, devices[d], "to_host"));
  }
  return costs;
}

}  // namespace tandem
