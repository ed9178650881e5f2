// The cpu backend's task split, conv parts and Winograd choice from node features.
#include "predict/host_execution.h"

#include <algorithm>
#include <cmath>

#include "backends/cpu/execution_rules.h"

namespace tandem {

namespace {

constexpr double kWinogradPointsPerTile = 16;  // F(2x2, 3x3): 4x4 transformed points

double tasks_of(const NodeFeatures& f) {
  return cpu::runs_on_one_task(f.flops, f.input_bytes + f.weight_bytes + f.output_bytes) ? 1 : std::max(1.0, f.threads);
}

// The units a convolution is split over: rows of 8-channel vectors for a depthwise
// conv on the own kernel, else batch items, else output rows (channels last; square
// outputs assumed) or channel or group blocks.
double conv_units(const NodeFeatures& f) {
  const double rows = std::max(1.0, std::round(std::sqrt(f.spatial)));
  if (cpu::runs_own_depthwise(f.channels_last > 0, f.groups, f.in_channels, f.out_channels))
    return f.batch * rows * f.in_channels / cpu::kChannelBlock;
  if (f.batch > 1) return f.batch;
  if (f.channels_last > 0) return rows;
  const auto group = static_cast<int64_t>(std::max(1.0, f.groups));
  auto per_group = [&](double channels) { return static_cast<int64_t>(std::max(1.0, channels / f.groups)); };
  int64_t step = cpu::conv_groups_per_unit(group, per_group(f.in_channels), per_group(f.out_channels));
  return static_cast<double>(cpu::conv_channel_units(group, static_cast<int64_t>(f.out_channels), step));
}

// Assuming square outputs and no dilation (the features hold neither).
bool runs_winograd(const NodeFeatures& f) {
  if (f.op != "Conv" || f.kernel != 9 || f.stride != 1 || f.groups != 1) return false;
  double side = std::ceil(std::sqrt(f.spatial) / 2);
  auto tiles = static_cast<int64_t>(f.batch * side * side);
  return cpu::winograd_pays(static_cast<int64_t>(f.in_channels), static_cast<int64_t>(f.out_channels), tiles,
                            static_cast<int64_t>(kWinogradPointsPerTile));
}

}  // namespace

bool writes_into_concat_slice(const NodeFeatures& f) {
  if (f.op != "Conv") return false;
  const bool own_kernel = runs_winograd(f) || cpu::runs_own_depthwise(true, f.groups, f.in_channels, f.out_channels);
  return own_kernel && f.residual_add == 0;
}

HostExecution host_execution(const NodeFeatures& f) {
  HostExecution e;
  e.tasks = tasks_of(f);
  e.effective_flops = f.flops;
  if (f.op != "Conv") return e;
  e.winograd = runs_winograd(f);
  if (e.winograd) e.effective_flops = f.flops * 16 / 36;  // 16 products per 2x2 tile instead of 36
  double units = std::max(1.0, conv_units(f));
  e.parts = e.winograd ? e.tasks : std::min(e.tasks, units);
  double rounds = std::ceil(units / e.parts);
  e.parallel_efficiency = e.winograd ? 1 : units / (e.tasks * rounds);
  return e;
}

}  // namespace tandem
