// Seeded random draws of layer specs over the ranges CNN layers take in practice.
#include "profile/layer_sampling.h"

#include <cmath>
#include <random>
#include <set>
#include <string>
#include <utility>

#include "tandem/error.h"

namespace tandem {

namespace {

// Uniform draws in [0, 1) from the 53 high bits, the same on every standard library.
class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  double unit() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  bool chance(double p) { return unit() < p; }
  // log-uniform in [lo, hi], rounded to a multiple of `step` (at least lo).
  int64_t log_uniform(int64_t lo, int64_t hi, int64_t step = 1) {
    double v = std::exp(std::log(static_cast<double>(lo)) + unit() * std::log(static_cast<double>(hi) / lo));
    int64_t rounded = static_cast<int64_t>(std::llround(v / static_cast<double>(step))) * step;
    return std::max(lo, std::min(hi, rounded));
  }
  // One of `values`, with the given weights (summing to 1).
  int64_t weighted(const std::vector<std::pair<int64_t, double>>& values) {
    double u = unit(), sum = 0;
    for (const auto& [value, weight] : values)
      if (u < (sum += weight)) return value;
    return values.back().first;
  }
  int64_t one_of(const std::vector<int64_t>& values) {
    return values[std::min(values.size() - 1, static_cast<size_t>(unit() * static_cast<double>(values.size())))];
  }

 private:
  std::mt19937_64 engine_;
};

const std::vector<int64_t> kBatches = {1, 2, 4, 8};

int64_t out_size(const LayerSpec& spec) {
  const int64_t pad = spec.kernel / 2;
  return (spec.size + 2 * pad - spec.kernel) / stride_of(spec) + 1;
}

// The context conv's input channels: log-uniform in [C/8, 4C], multiples of 8 (at
// least 8), but no more than keep the context conv within kMaxSampledFlops (or at C
// where even that exceeds it).
int64_t draw_context_channels(const LayerSpec& spec, Draw& draw) {
  const int64_t c = spec.in_channels;
  const int64_t drawn = draw.log_uniform(std::max<int64_t>(8, c / 64 * 8), std::max<int64_t>(8, 4 * c), 8);
  const double flops_per_channel = 2.0 * static_cast<double>(spec.batch * c * spec.size * spec.size) *
                                   static_cast<double>(context_conv_kernel(spec.kind) * context_conv_kernel(spec.kind));
  const auto affordable = static_cast<int64_t>(kMaxSampledFlops / flops_per_channel) / 8 * 8;
  return std::min(drawn, std::max(c, affordable));
}

LayerSpec draw_spec(LayerKind kind, Draw& draw) {
  LayerSpec spec = default_spec(kind);
  spec.batch = draw.one_of(kBatches);
  switch (kind) {
    case LayerKind::Conv:
      spec.in_channels = draw.chance(0.05) ? 3 : draw.log_uniform(8, 512, 8);
      spec.out_channels = draw.log_uniform(8, 512, 8);
      spec.size = draw.log_uniform(7, 224);
      spec.kernel = draw.weighted({{1, 0.45}, {3, 0.40}, {5, 0.08}, {7, 0.04}, {11, 0.03}});
      spec.stride = draw.chance(0.75) ? 1 : 2;
      break;
    case LayerKind::DwConv:
      spec.in_channels = spec.out_channels = draw.log_uniform(16, 960, 8);
      spec.size = draw.log_uniform(7, 112);
      spec.kernel = draw.chance(0.85) ? 3 : 5;
      spec.stride = draw.chance(0.7) ? 1 : 2;
      break;
    case LayerKind::MaxPool:
    case LayerKind::AvgPool:
      spec.in_channels = spec.out_channels = draw.log_uniform(16, 512, 8);
      spec.size = draw.log_uniform(7, 112);
      spec.kernel = draw.one_of({2, 3});
      spec.stride = draw.one_of({1, 2});
      break;
    case LayerKind::Lrn:
    case LayerKind::BatchNorm:
      spec.in_channels = spec.out_channels = draw.log_uniform(16, 512, 8);
      spec.size = draw.log_uniform(7, 56);
      break;
    case LayerKind::Concat:
      spec.in_channels = draw.log_uniform(16, 256, 8);
      spec.size = draw.log_uniform(7, 56);
      spec.branches = draw.one_of({2, 3, 4});
      break;
    case LayerKind::Fc:
      spec.in_channels = draw.log_uniform(64, 25088);
      spec.out_channels = draw.log_uniform(10, 4096);
      spec.batch = draw.one_of({1, 2, 4, 8, 16});
      break;
  }
  spec.streamed_mb = draw.log_uniform(1, kMaxStreamedMb);
  if (layer_has_context(kind)) spec.context_channels = draw_context_channels(spec, draw);
  return spec;
}

bool affordable(const LayerSpec& spec) {
  if (spec.kind == LayerKind::Fc)
    return static_cast<double>(spec.in_channels) * static_cast<double>(spec.out_channels) <= kMaxSampledWeights;
  return spec.size >= spec.kernel && layer_flops(spec) <= kMaxSampledFlops;
}

}  // namespace

double layer_flops(const LayerSpec& spec) {
  const double n = static_cast<double>(spec.batch), c = static_cast<double>(spec.in_channels);
  const double k2 = static_cast<double>(spec.kernel * spec.kernel);
  const double out = static_cast<double>(out_size(spec)), plane = static_cast<double>(spec.size * spec.size);
  switch (spec.kind) {
    case LayerKind::Conv: {
      const double outputs = n * static_cast<double>(spec.out_channels) * out * out;
      return outputs * (2 * (c / static_cast<double>(spec.groups)) * k2 + 1);  // + 1: the bias
    }
    case LayerKind::DwConv: return n * c * out * out * (2 * k2 + 1);
    case LayerKind::MaxPool:
    case LayerKind::AvgPool: return n * c * out * out * k2;
    case LayerKind::Lrn: return n * c * plane * 2 * 5;  // size-5 window of squares, then the scale
    case LayerKind::BatchNorm: return n * c * plane * 2;
    case LayerKind::Fc: return n * static_cast<double>(spec.out_channels) * (2 * c + 1);
    case LayerKind::Concat: {  // its branches, 1x1 and 3x3 in turn, with bias
      double flops = 0;
      for (int64_t b = 0; b < spec.branches; ++b)
        flops += n * plane * static_cast<double>(concat_branch_channels(spec, b)) * (2 * c * (b % 2 ? 9 : 1) + 1);
      return flops;
    }
  }
  return 0;
}

std::vector<LayerSpec> sampled_specs(const std::vector<LayerKind>& layers, int count, uint64_t seed) {
  if (count < 1) fail(ErrorKind::InvalidInput, "--sample must be at least 1 (got " + std::to_string(count) + ")");
  Draw draw(seed);
  std::vector<LayerSpec> specs;
  std::set<std::string> seen;
  for (LayerKind kind : layers) {
    // The ranges hold far more distinct layers than any count asked for; the bound on
    // attempts only guards against a loop should they not.
    for (int kept = 0, attempts = 0; kept < count && attempts < 1000 * count; ++attempts) {
      LayerSpec spec = draw_spec(kind, draw);
      if (!affordable(spec) || !seen.insert(layer_name(kind) + "/" + params_label(spec)).second) continue;
      specs.push_back(spec);
      ++kept;
    }
  }
  return specs;
}

}  // namespace tandem
