// Drift check: compares each run's measured node latencies with the predicted ones.
// Per run and device, the ratio measured/predicted is the median over the device's
// nodes (robust to a few noisy nodes); a device has drifted when that ratio stays
// outside [1/(1+t), 1+t] for at least k consecutive runs. The report also gives the
// median ratio over a rolling window of runs and the whole-run ratio (sum measured /
// sum predicted), overall and per device. The planner re-plans on drift and then
// resets the monitor. Pure: no clocks, no devices.
#pragma once
#include <deque>
#include <map>
#include <string>
#include <vector>

namespace tandem {

struct NodeObservation {
  std::string node;
  std::string device;
  double measured_us = 0;   // 0 (fused) or unknown predictions are ignored
  double predicted_us = 0;
};

struct DriftOptions {
  double threshold = 0.25;   // t: the band is [1/(1+t), 1+t]
  int consecutive_runs = 3;  // k
  int window_runs = 20;      // runs kept for the window ratio
};

struct DriftRatios {
  double window_ratio = 1;     // median node ratio over the window
  double last_run_ratio = 1;   // median node ratio of the last run
  double recent_ratio = 1;     // median node ratio over the last consecutive_runs runs
  double whole_run_ratio = 1;  // sum measured / sum predicted, last run
  int runs_out_of_band = 0;    // consecutive, up to the last run
  bool drifted = false;
};

struct DriftReport {
  int runs = 0;                 // recorded since the last reset
  DriftRatios overall;          // all devices together
  std::map<std::string, DriftRatios> devices;
  bool drifted = false;         // any device
};

class DriftMonitor {
 public:
  explicit DriftMonitor(DriftOptions options = {});

  void record_run(const std::vector<NodeObservation>& nodes);
  bool drifted() const;
  std::vector<std::string> drifted_devices() const;
  DriftReport report() const;
  // Forgets all runs, e.g. after re-planning with fresh predictions.
  void reset();

 private:
  struct RunRatios {
    std::map<std::string, std::vector<double>> node_ratios;  // by device
    std::map<std::string, double> measured, predicted;       // sums by device
  };
  bool in_band(double ratio) const;
  DriftRatios ratios_of(const std::string& device) const;  // "" for all devices

  DriftOptions options_;
  std::deque<RunRatios> window_;
  std::map<std::string, int> out_of_band_;  // consecutive runs, by device ("" for all)
  int runs_ = 0;
};

}  // namespace tandem
