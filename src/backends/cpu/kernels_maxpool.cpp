// MaxPool with the Indices output (oneDNN's inference pooling has none): over the
// plain (N, C, D1..Dk) input, 1-3 spatial dims. Each index is the
// flat position in the whole input, row-major (storage_order 0) or with the first
// spatial dim fastest within a plane (storage_order 1); ties keep the first maximum.
#include <limits>

#include "backends/cpu/lowering.h"
#include "ops/nn_util.h"

namespace tandem::cpu {

namespace {

struct MaxPoolPlan {
  Window3d w;
  bool column_major = false;
  int64_t planes = 0;
};

// Flat index of (d, h, x) within one plane.
int64_t plane_index(const Window3d& w, int64_t d, int64_t h, int64_t x, bool column_major) {
  return column_major ? d + (h + x * w.input[1]) * w.input[0] : (d * w.input[1] + h) * w.input[2] + x;
}

// The best tap of the window at output (od, oh, ow): value and flat plane index (-1: none).
std::pair<float, int64_t> window_max(const MaxPoolPlan& p, const float* src, int64_t od, int64_t oh, int64_t ow) {
  const Window3d& w = p.w;
  float best = std::numeric_limits<float>::lowest();
  int64_t where = -1;
  for (int64_t kd = 0; kd < w.kernel[0]; ++kd) {
    int64_t id = od * w.strides[0] + kd * w.dilations[0] - w.pads_begin[0];
    if (id < 0 || id >= w.input[0]) continue;
    for (int64_t kh = 0; kh < w.kernel[1]; ++kh) {
      int64_t ih = oh * w.strides[1] + kh * w.dilations[1] - w.pads_begin[1];
      if (ih < 0 || ih >= w.input[1]) continue;
      for (int64_t kw = 0; kw < w.kernel[2]; ++kw) {
        int64_t iw = ow * w.strides[2] + kw * w.dilations[2] - w.pads_begin[2];
        if (iw < 0 || iw >= w.input[2]) continue;
        float v = src[(id * w.input[1] + ih) * w.input[2] + iw];
        if (where < 0 || v > best) {
          best = v;
          where = plane_index(w, id, ih, iw, p.column_major);
        }
      }
    }
  }
  return {best, where};
}

void max_pool_with_indices(const MaxPoolPlan& p, const float* x, float* y, int64_t* indices) {
  const int64_t in_plane = p.w.input_elements(), out_plane = p.w.output_elements();
  for (int64_t plane = 0; plane < p.planes; ++plane) {
    const float* src = x + plane * in_plane;
    int64_t out = plane * out_plane;
    for (int64_t od = 0; od < p.w.output[0]; ++od)
      for (int64_t oh = 0; oh < p.w.output[1]; ++oh)
        for (int64_t ow = 0; ow < p.w.output[2]; ++ow, ++out) {
          auto [best, where] = window_max(p, src, od, oh, ow);
          y[out] = best;
          indices[out] = where < 0 ? -1 : plane * in_plane + where;
        }
  }
}

}  // namespace

void lower_maxpool_indices(SegmentCompiler& c, const Node& node) {
  const Value& x = c.graph().value(node.inputs[0]);
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  MaxPoolPlan plan{to_3d(window_geometry(node, spatial_dims(x.shape), node.attrs.get_ints("kernel_shape"), options)),
                   node.attrs.get_int("storage_order", 0) == 1, x.shape[0] * x.shape[1]};
  TensorRef src = c.plain(node.inputs[0]);
  TensorRef y = c.output_plain(node.outputs[0]), indices = c.output_plain(node.outputs[1]);
  c.push_kernel(
      [=](const RunContext& ctx) {
        max_pool_with_indices(plan, ctx.data<float>(src), ctx.data<float>(y), ctx.data<int64_t>(indices));
      },
      {src, y, indices});
}

}  // namespace tandem::cpu
