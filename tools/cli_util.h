// Shared helpers of the CLI: formatting, random inputs, tables, timing statistics,
// and the GPU flags that run and bench share.
#pragma once
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
