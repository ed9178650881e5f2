// Formatting, random inputs, table printing, percentiles and the GPU flags for the CLI.
#include "cli_util.h"

#include <algorithm>
#include <cstdio>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "backends/registry.h"
#include "core/cores.h"
#include "runtime/graph_io.h"

namespace tandem::cli {

void add_gpu_flags(CLI::App& command, GpuFlags& flags) {
  command.add_flag("--tf32", flags.tf32,
                   "cuda: allow TF32 tensor-core math in convolutions and matrix products (default: strict float32)");
  command.add_flag("--no-cuda-graphs", flags.no_cuda_graphs,
                   "cuda: launch every step each run instead of replaying a captured CUDA graph");
}

void add_core_flags(CLI::App& command, CoreFlags& flags) {
  command.add_flag("--split-cores", flags.split,
                   "Give the CPU devices among --devices disjoint equal shares of the cores (pinned threads)");
  command.add_option("--cores", flags.pins, "Pin a CPU device to cores, e.g. --cores cpu:1=2-3 (repeatable)");
}

std::map<std::string, std::vector<int>> pinned_cores(const CoreFlags& flags, const std::vector<std::string>& devices) {
  std::map<std::string, std::vector<int>> cores;
  if (flags.split) {
    std::vector<std::string> host;
    for (const std::string& d : devices)
      if (is_host_device_name(d) && d != "reference") host.push_back(d);
    cores = split_cores(host);
  }
  for (const std::string& pin : flags.pins) {
    size_t equals = pin.find('=');
    if (equals == std::string::npos) fail(ErrorKind::InvalidInput, "--cores " + pin + ": expected DEVICE=CORES, e.g. cpu:1=2-3");
    std::string device = pin.substr(0, equals);
    if (std::find(devices.begin(), devices.end(), device) == devices.end())
      fail(ErrorKind::InvalidInput, "--cores " + pin + ": " + device + " is not among the devices");
    if (!is_host_device_name(device) || device == "reference")
      fail(ErrorKind::InvalidInput, "--cores " + pin + ": only cpu devices can be pinned to cores");
    cores[device] = parse_core_list(pin.substr(equals + 1));
  }
  return cores;
}

SessionOptions session_options(const std::string& device, int threads, int64_t batch, bool optimize,
                               const GpuFlags& flags) {
  SessionOptions options;
  options.device = device;
  options.threads = threads;
  options.batch = batch;
  options.optimize = optimize;
  options.tf32 = flags.tf32;
  options.cuda_graphs = !flags.no_cuda_graphs;
  return options;
}

std::string format_flops(double flops) {
  if (flops >= 1e9) return fmt::format("{:.2f} GFLOP", flops / 1e9);
  if (flops >= 1e6) return fmt::format("{:.2f} MFLOP", flops / 1e6);
  if (flops >= 1e3) return fmt::format("{:.1f} KFLOP", flops / 1e3);
  return fmt::format("{:.0f} FLOP", flops);
}

std::string format_bytes(double bytes) {
  if (bytes >= 1e9) return fmt::format("{:.2f} GB", bytes / 1e9);
  if (bytes >= 1e6) return fmt::format("{:.2f} MB", bytes / 1e6);
  if (bytes >= 1e3) return fmt::format("{:.1f} KB", bytes / 1e3);
  return fmt::format("{:.0f} B", bytes);
}

std::string format_us(double us) {
  if (us >= 1e6) return fmt::format("{:.2f} s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.2f} ms", us / 1e3);
  return fmt::format("{:.1f} us", us);
}

std::vector<Tensor> random_inputs(const Session& session, uint64_t seed) { return random_inputs(session.inputs(), seed); }

std::vector<Tensor> random_inputs(const std::vector<TensorSpec>& specs, uint64_t seed) {
  for (const TensorSpec& spec : specs)
    if (spec.dtype != DType::f32)
      fail(ErrorKind::InvalidInput, "input '" + spec.name + "' is " + dtype_name(spec.dtype) + "; give it with --input");
  return seeded_random_inputs(specs, seed);
}

void print_table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], row[c].size());
    }
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += fmt::format("{:<{}}  ", row[c], width[c]);
    while (!line.empty() && line.back() == ' ') line.pop_back();
    std::puts(line.c_str());
  }
}

}  // namespace tandem::cli
