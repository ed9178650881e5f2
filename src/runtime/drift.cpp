// Rolling comparison of measured and predicted node latencies.
#include "runtime/drift.h"

#include <algorithm>

namespace tandem {

static double median(std::vector<double> values) {
  if (values.empty()) return 1;
  size_t mid = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<long>(mid), values.end());
  double upper = values[mid];
  if (values.size() % 2) return upper;
  double lower = *std::max_element(values.begin(), values.begin() + static_cast<long>(mid));
  return (lower + upper) / 2;
}

DriftMonitor::DriftMonitor(DriftOptions options) : options_(options) {}

bool DriftMonitor::in_band(double ratio) const {
  return ratio >= 1 / (1 + options_.threshold) && ratio <= 1 + options_.threshold;
}

void DriftMonitor::record_run(const std::vector<NodeObservation>& nodes) {
  RunRatios run;
  for (const NodeObservation& n : nodes) {
    if (!(n.measured_us > 0) || !(n.predicted_us > 0)) continue;
    for (const std::string& key : {n.device, std::string()}) {
      run.node_ratios[key].push_back(n.measured_us / n.predicted_us);
      run.measured[key] += n.measured_us;
      run.predicted[key] += n.predicted_us;
    }
  }
  if (run.node_ratios.empty()) return;
  for (const auto& [device, ratios] : run.node_ratios) {
    int& count = out_of_band_[device];
    count = in_band(median(ratios)) ? 0 : count + 1;
  }
  window_.push_back(std::move(run));
  while (static_cast<int>(window_.size()) > std::max(1, options_.window_runs)) window_.pop_front();
  ++runs_;
}

DriftRatios DriftMonitor::ratios_of(const std::string& device) const {
  DriftRatios r;
  std::vector<double> all;
  for (const RunRatios& run : window_) {
    auto it = run.node_ratios.find(device);
    if (it != run.node_ratios.end()) all.insert(all.end(), it->second.begin(), it->second.end());
  }
  r.window_ratio = median(all);
  std::vector<double> recent;
  int taken = 0;
  for (auto run = window_.rbegin(); run != window_.rend() && taken < options_.consecutive_runs; ++run, ++taken) {
    auto it = run->node_ratios.find(device);
    if (it != run->node_ratios.end()) recent.insert(recent.end(), it->second.begin(), it->second.end());
  }
  r.recent_ratio = median(recent);
  if (!window_.empty()) {
    const RunRatios& last = window_.back();
    auto it = last.node_ratios.find(device);
    if (it != last.node_ratios.end()) {
      r.last_run_ratio = median(it->second);
      r.whole_run_ratio = last.measured.at(device) / last.predicted.at(device);
    }
  }
  auto count = out_of_band_.find(device);
  r.runs_out_of_band = count == out_of_band_.end() ? 0 : count->second;
  r.drifted = r.runs_out_of_band >= options_.consecutive_runs;
  return r;
}

std::vector<std::string> DriftMonitor::drifted_devices() const {
  std::vector<std::string> devices;
  for (const auto& [device, count] : out_of_band_)
    if (!device.empty() && count >= options_.consecutive_runs) devices.push_back(device);
  return devices;
}

bool DriftMonitor::drifted() const { return !drifted_devices().empty(); }

DriftReport DriftMonitor::report() const {
  DriftReport report;
  report.runs = runs_;
  report.overall = ratios_of("");
  for (const auto& [device, count] : out_of_band_)
    if (!device.empty()) report.devices[device] = ratios_of(device);
  report.drifted = drifted();
  return report;
}

void DriftMonitor::reset() {
  window_.clear();
  out_of_band_.clear();
  runs_ = 0;
}

}  // namespace tandem
