// The cpu backend's task split, conv parts and Winograd choice from node features.
#include "predict/host_execution.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace tandem {

namespace {

constexpr double kBlock = 8;  // channel block of conv parts and Winograd

// segment_compiler.cpp tasks_for: nodes estimated under 25 µs on one core stay on one task.
double tasks_of(const NodeFeatures& f) {
  constexpr double kFlopsPerMicro = 40e3, kBytesPerMicro = 4e3, kSmallMicros = 25;
  double micros = f.flops / kFlopsPerMicro + (f.input_bytes + f.weight_bytes + f.output_bytes) / kBytesPerMicro;
  return micros < kSmallMicros ? 1 : std::max(1.0, f.threads);
}

// conv_parts.cpp: the units a convolution is split over (batch items, or blocks of
// 8 output channels, or of groups whose channel counts are multiples of 8).
double conv_units(const NodeFeatures& f) {
  if (f.batch > 1) return f.batch;
  if (f.groups <= 1) return std::ceil(f.out_channels / kBlock);
  auto per_group = [&](double channels) { return static_cast<int64_t>(std::max(1.0, channels / f.groups)); };
  int64_t block = static_cast<int64_t>(kBlock);
  int64_t step = std::lcm(block / std::gcd(per_group(f.in_channels), block), block / std::gcd(per_group(f.out_channels), block));
  return std::ceil(f.groups / static_cast<double>(step));
}

// winograd_conv.cpp winograd_geometry, assuming square outputs and no dilation.
bool runs_winograd(const NodeFeatures& f) {
  constexpr double kMinTiles = 36, kMaxTransformedBytes = 64.0 * (1 << 20), kPoints = 16, kFloatBytes = 4;
  if (f.op != "Conv" || f.kernel != 9 || f.stride != 1 || f.groups != 1) return false;
  if (std::fmod(f.in_channels, kBlock) != 0 || std::fmod(f.out_channels, kBlock) != 0) return false;
  double side = std::ceil(std::sqrt(f.spatial) / 2);
  double tiles = f.batch * side * side;
  double transformed = kPoints * tiles * (f.in_channels + f.out_channels) * kFloatBytes;
  return tiles >= kMinTiles && transformed <= kMaxTransformedBytes;
}

}  // namespace

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
