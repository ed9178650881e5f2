// Log-scaled features and products for the linear and tree models.
#include "predict/log_features.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numeric>

#include "predict/host_execution.h"

namespace tandem {

static double log_at_least_1(double x) { return std::log(std::max(1.0, x)); }

// The largest power of two up to 16 dividing `channels`, over 16: how well the channels
// fill 16-lane vectors.
static double channel_alignment(double channels) {
  return static_cast<double>(std::gcd(static_cast<int64_t>(channels), int64_t{16})) / 16.0;
}

std::vector<double> log_features(const NodeFeatures& f, double roofline_us) {
  double threads = std::max(1.0, f.threads);
  double bytes = f.input_bytes + f.output_bytes + f.weight_bytes;
  double flops_per_thread = std::log1p(f.flops / threads);
  HostExecution host = host_execution(f);
  double busy_threads = host.tasks * host.parallel_efficiency;
  std::vector<double> x = {std::log1p(f.flops),
          std::log1p(f.input_bytes),
          std::log1p(f.output_bytes),
          std::log1p(f.weight_bytes),
          log_at_least_1(f.kernel),
          log_at_least_1(f.stride),
          std::log1p(f.in_channels),
          std::log1p(f.out_channels),
          log_at_least_1(f.spatial),
          log_at_least_1(f.groups),
          log_at_least_1(f.batch),
          std::log(threads),
          f.load,
          flops_per_thread,
          std::log1p(bytes),
          std::log1p(f.flops / std::max(1.0, bytes)),
          f.load * flops_per_thread,
          std::log(std::max(1e-3, roofline_us)),
          std::log(host.tasks),
          std::log(host.parallel_efficiency),
          host.winograd ? 1.0 : 0.0,
          std::log1p(host.effective_flops / busy_threads),
          std::log1p(f.in_channels / std::max(1.0, f.groups)),
          f.residual_add,
          channel_alignment(f.in_channels),
          channel_alignment(f.out_channels),
          std::log1p(f.graph_bytes),
          std::log1p(std::max(0.0, f.input_bytes - f.in_place_input_bytes)),
          std::log1p(f.input_reuse_bytes)};
  for (int kind = 0; kind < kNeighbourKinds; ++kind) x.push_back(f.producer == kind ? 1.0 : 0.0);
  for (int kind = 0; kind < kNeighbourKinds; ++kind) x.push_back(f.consumer == kind ? 1.0 : 0.0);
  return x;
}

const std::vector<std::string>& log_feature_names() {
  static const std::vector<std::string> names = {
      "log_flops",   "log_input_bytes", "log_output_bytes", "log_weight_bytes",  "log_kernel",
      "log_stride",  "log_in_channels", "log_out_channels", "log_spatial",       "log_groups",
      "log_batch",   "log_threads",     "load",             "log_flops_per_thread", "log_bytes",
      "log_intensity", "load_x_log_flops_per_thread",      "log_roofline_us",
      "log_host_tasks", "log_parallel_efficiency", "winograd", "log_effective_flops_per_busy_thread",
      "log_in_channels_per_group", "residual_add", "in_alignment", "out_alignment", "log_graph_bytes",
      "log_copied_input_bytes", "log_input_reuse_bytes"};
  static const std::vector<std::string> with_neighbours = [] {
    std::vector<std::string> all = names;
    const char* kinds[kNeighbourKinds] = {"none", "conv1x1", "conv3x3", "other_conv", "pool", "concat", "other"};
    for (const char* side : {"producer_", "consumer_"})
      for (const char* kind : kinds) all.push_back(std::string(side) + kind);
    return all;
  }();
  return with_neighbours;
}

}  // namespace tandem
