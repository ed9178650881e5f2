// Shared helpers of the CLI: formatting, random inputs, tables, timing statistics,
// the GPU flags that run and bench share, and the core pinning flags.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "profile/profile.h"
#include "tandem/session.h"

namespace CLI {
class App;
}

namespace tandem::cli {

// --tf32 and --no-cuda-graphs; they only change how cuda devices compute.
struct GpuFlags {
  bool tf32 = false;
  bool no_cuda_graphs = false;
};
void add_gpu_flags(CLI::App& command, GpuFlags& flags);
// The session options for a device, thread count and batch with these flags.
SessionOptions session_options(const std::string& device, int threads, int64_t batch, bool optimize,
                               const GpuFlags& flags);

// --split-cores and --cores DEVICE=LIST: CPU device instances pinned to cores of
// their own, so that they compute side by side instead of sharing every core.
struct CoreFlags {
  bool split = false;
  std::vector<std::string> pins;  // "cpu:1=2-3"
};
void add_core_flags(CLI::App& command, CoreFlags& flags);
// The cores of each host device among `devices` (DeviceOptions::cores): equal
// disjoint shares with --split-cores, then the --cores pins. Throws InvalidInput for
// a malformed pin or a device not in `devices`.
std::map<std::string, std::vector<int>> pinned_cores(const CoreFlags& flags, const std::vector<std::string>& devices);

std::string format_flops(double flops);        // "1.82 GFLOP"
std::string format_bytes(double bytes);        // "3.1 MB"
std::string format_us(double microseconds);    // "412 µs", "12.3 ms"

// Seeded uniform [-1, 1) inputs matching the session's input specs.
std::vector<Tensor> random_inputs(const Session& session, uint64_t seed = 1);
std::vector<Tensor> random_inputs(const std::vector<TensorSpec>& specs, uint64_t seed = 1);

// Median, p10 and p90 of timing samples (the profiler's Spread).
using Stats = Spread;
inline Stats stats_of(std::vector<double> samples) { return spread_of(std::move(samples)); }

// Prints rows with columns padded to their widest cell; first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace tandem::cli
