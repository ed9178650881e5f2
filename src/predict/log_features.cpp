// Log-scaled features and products for the linear and tree models.
#include "predict/log_features.h"

#include <algorithm>
#include <cmath>

namespace tandem {

static double log_at_least_1(double x) { return std::log(std::max(1.0, x)); }

std::vector<double> log_features(const NodeFeatures& f, double roofline_us) {
  double threads = std::max(1.0, f.threads);
  double bytes = f.input_bytes + f.output_bytes + f.weight_bytes;
  double flops_per_thread = std::log1p(f.flops / threads);
  return {std::log1p(f.flops),
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
          std::log(std::max(1e-3, roofline_us))};
}

const std::vector<std::string>& log_feature_names() {
  static const std::vector<std::string> names = {
      "log_flops",   "log_input_bytes", "log_output_bytes", "log_weight_bytes",  "log_kernel",
      "log_stride",  "log_in_channels", "log_out_channels", "log_spatial",       "log_groups",
      "log_batch",   "log_threads",     "load",             "log_flops_per_thread", "log_bytes",
      "log_intensity", "load_x_log_flops_per_thread",      "log_roofline_us"};
  return names;
}

}  // namespace tandem
