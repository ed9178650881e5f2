// The analytic roofline model: a node costs a fixed overhead plus the larger of its
// compute time (FLOPs at the device's peak rate) and its memory time (bytes at the
// device's bandwidth), stretched by extra CPU load:
//   t = (overhead + max(flops / peak, bytes / bandwidth)) * (1 + load_slope * load)
// On host devices the peak scales with the thread count relative to the profiled one.
// Fitted to measured samples (per device, and per op type where there are enough),
// or taken from conservative defaults for a device with no measurements. It is the
// fallback predictor and the base the learned models correct.
#pragma once
#include <limits>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "backends/device.h"
#include "predict/training_set.h"

namespace tandem {

struct Roofline {
  double overhead_us = 5;
  double flops_per_us = 1e4;   // peak at ref_threads
  double bytes_per_us = 1e4;
  double load_slope = 1;       // relative slowdown per unit of extra load
  double ref_threads = 0;      // threads the peak was measured with; 0: peak ignores threads

  double time_us(const NodeFeatures& f) const;

  // Minimises a robust mean of |log(predicted / measured)| over the samples by pattern
  // search from quantile estimates; `ref_threads` as above. Without samples under load
  // the slope cannot be fitted and is `unfitted_load_slope`. The overhead stays at
  // most `max_overhead_us`. Needs at least one sample.
  static Roofline fit(const std::vector<LatencySample>& samples, double ref_threads, double unfitted_load_slope,
                      double max_overhead_us = std::numeric_limits<double>::infinity());
  // Conservative figures for a device known only by kind and thread count:
  // host 5 GFLOP/s per thread, 5 GB/s, 5 µs; gpu 2 TFLOP/s, 100 GB/s, 20 µs
  // (launch and sync); remote: host figures plus 2 ms of network round trip.
  static Roofline defaults(DeviceKind kind, int threads);
};

// The total bytes a node moves: inputs, outputs and weights.
double moved_bytes(const NodeFeatures& f);

nlohmann::json roofline_json(const Roofline& roofline);
// Throws Error(InvalidInput) naming `where` when a field is missing or not a positive number.
Roofline roofline_from_json(const nlohmann::json& j, const std::string& where);

}  // namespace tandem
