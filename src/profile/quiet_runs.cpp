// The quiet runs of a profiled configuration (quiet_runs.h).
#include "profile/quiet_runs.h"

#include "profile/profile.h"

namespace tandem {

std::vector<size_t> quiet_runs(const std::vector<double>& run_us, double tolerance) {
  std::vector<size_t> kept;
  const double limit = spread_of(run_us).p10 * (1 + tolerance);
  for (size_t i = 0; i < run_us.size(); ++i)
    if (run_us[i] <= limit || limit <= 0) kept.push_back(i);
  return kept;
}

std::vector<double> run_sums(const std::vector<std::vector<double>>& node_us, size_t runs) {
  std::vector<double> sums(runs, 0.0);
  for (const std::vector<double>& node : node_us)
    for (size_t r = 0; r < runs && r < node.size(); ++r) sums[r] += node[r];
  return sums;
}

std::vector<double> samples_at(const std::vector<double>& samples, const std::vector<size_t>& indices) {
  std::vector<double> picked;
  for (size_t i : indices)
    if (i < samples.size()) picked.push_back(samples[i]);
  return picked;
}

}  // namespace tandem
