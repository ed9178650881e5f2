// Which timed runs of a profiled configuration its medians come from. A shared host
// (a VM whose cores' other hyperthreads serve other tenants) or a device that
// throttles passes through slow phases of seconds, in which every node of a run is
// slower by a factor the model does not cause (1.1-1.8x on the 2-core development VM);
// a median over runs from both phases lands on either, so the same layer measured
// twice, or in two models, disagrees. The profiler keeps the runs of the quiet phase.
#pragma once
#include <cstddef>
#include <vector>

namespace tandem {

// A run is quiet when its time is within (1 + tolerance) of the 10th percentile of
// all the runs' times: the fast phase where the machine had one, all of them where
// it ran at one speed throughout.
constexpr double kQuietTolerance = 0.10;

// Indices (ascending) of the quiet runs among `run_us`; every run when none took
// positive time. Never empty when `run_us` is not.
std::vector<size_t> quiet_runs(const std::vector<double>& run_us, double tolerance = kQuietTolerance);

// Per run (pair index), the sum of the nodes' times: node_us[node][run].
std::vector<double> run_sums(const std::vector<std::vector<double>>& node_us, size_t runs);

// The samples of `samples` at `indices` (indices beyond it skipped).
std::vector<double> samples_at(const std::vector<double>& samples, const std::vector<size_t>& indices);

}  // namespace tandem
