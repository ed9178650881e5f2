// BatchNormalization (inference) as y = x * s[c] + t[c], with s = scale / sqrt(var +
// epsilon) and t = B - mean * s computed from the parameters at the start of each
// run (they may be runtime tensors; C values cost nothing next to the tensor). In the
// input's layout (plain, blocked by 8 channels, channels last), in place when the
// input dies here, split across the device's threads. Batch norms that follow a conv
// are folded into it before lowering (ir/passes); this runs the rest (after an Add or
// a Concat, or a model's first node). oneDNN 2.6's batch norm, used before, ran on
// one thread: 40.6 µs for 64 x 28 x 28 against 3.3 µs here (`tandem sweep --layers
// lrn,bn --quick --devices cpu`, 2-core AVX-512 development VM, 2026-12-07; commits
// 7071bf4 and 7dfb9f7; crossover.md).
#include <algorithm>
#include <cmath>
#include <vector>

#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

// The tensor as units of contiguous floats that share a channel pattern:
//   plain          a (n, c) plane of `points` floats, all channel c;
//   channels last  a (n, point) row of C floats, channels 0..C-1;
//   blocked8       a (n, block, point) vector of 8 floats, channels 8 * block + 0..7.
struct ChannelUnits {
  int64_t units = 0, length = 0;
  int64_t channels = 0, padded_channels = 0;  // blocked8 pads C to a multiple of 8
  int64_t points = 1, blocks = 1;
  DenseLayout layout = DenseLayout::Plain;

  // The first channel of unit u; plain units repeat it, the others count up from it.
  int64_t first_channel(int64_t u) const {
    switch (layout) {
      case DenseLayout::Plain: return u % channels;
      case DenseLayout::ChannelsLast: return 0;
      case DenseLayout::Blocked8: return u / points % blocks * 8;
    }
    return 0;
  }
};

ChannelUnits channel_units(DenseLayout layout, const Shape& shape) {
  ChannelUnits u;
  u.layout = layout;
  u.channels = u.padded_channels = shape[1];
  for (size_t d = 2; d < shape.size(); ++d) u.points *= shape[d];
  switch (layout) {
    case DenseLayout::ChannelsLast:
      u.units = shape[0] * u.points, u.length = u.channels;
      break;
    case DenseLayout::Blocked8:
      u.blocks = (u.channels + 7) / 8, u.padded_channels = u.blocks * 8;
      u.units = shape[0] * u.blocks * u.points, u.length = 8;
      break;
    case DenseLayout::Plain:
      u.units = shape[0] * u.channels, u.length = u.points;
      break;
  }
  return u;
}

// s and t per channel, zero for blocked8's padding channels (so they stay zero).
void scale_and_shift(const float* scale, const float* bias, const float* mean, const float* var, float epsilon,
                     int64_t channels, float* s, float* t) {
  for (int64_t c = 0; c < channels; ++c) {
    s[c] = scale[c] / std::sqrt(var[c] + epsilon);
    t[c] = bias[c] - mean[c] * s[c];
  }
}

void normalise_units(const ChannelUnits& u, const float* s, const float* t, const float* x, float* y, int64_t first,
                     int64_t last) {
  for (int64_t unit = first; unit < last; ++unit) {
    const float* in = x + unit * u.length;
    float* out = y + unit * u.length;
    const int64_t c = u.first_channel(unit);
    if (u.layout == DenseLayout::Plain) {
      const float sc = s[c], tc = t[c];
      for (int64_t i = 0; i < u.length; ++i) out[i] = in[i] * sc + tc;
    } else {
      for (int64_t i = 0; i < u.length; ++i) out[i] = in[i] * s[c + i] + t[c + i];
    }
  }
}

}  // namespace

void lower_batchnorm(SegmentCompiler& c, const Node& node) {
  const Shape& shape = c.graph().value(node.inputs[0]).shape;  // x, y: (N, C, D1..Dk); params (C)
  const float epsilon = node.attrs.get_float("epsilon", 1e-5f);
  TensorRef src = c.input(node.inputs[0]);
  std::optional<DenseLayout> layout = dense_layout(src.md);
  if (!layout) src = c.plain(node.inputs[0]), layout = DenseLayout::Plain;
  const ChannelUnits u = channel_units(*layout, shape);
  std::vector<TensorRef> params;
  for (size_t i = 1; i < 5; ++i) params.push_back(c.plain(node.inputs[i]));
  TensorRef dst = c.output_inplace(node.outputs[0], src);
  const int tasks = c.tasks();
  std::vector<TensorRef> touched = params;
  touched.push_back(src);
  touched.push_back(dst);
  c.push_kernel(
      [u, params, src, dst, epsilon, tasks](const RunContext& ctx) {
        std::vector<float> s(static_cast<size_t>(u.padded_channels), 0.0f), t(s.size(), 0.0f);
        scale_and_shift(ctx.data<float>(params[0]), ctx.data<float>(params[1]), ctx.data<float>(params[2]),
                        ctx.data<float>(params[3]), epsilon, u.channels, s.data(), t.data());
        const float* x = ctx.data<float>(src);
        float* y = ctx.data<float>(dst);
        run_ranges(ctx.pool, tasks, u.units, [&](int64_t first, int64_t last) {
          normalise_units(u, s.data(), t.data(), x, y, first, last);
        });
      },
      touched);
}

}  // namespace tandem::cpu
