// The pooling geometry and cuDNN's eligibility planned for MaxPool and AveragePool
// nodes (see pool_plan.h).
#include "backends/cuda/pool_plan.h"

#include "backends/cuda/cudnn_util.h"

namespace tandem::cuda {

PoolSpec pool_spec(const Node& node, const Shape& x) {
  PoolSpec s;
  s.max = node.op == "MaxPool";
  s.count_include_pad = !s.max && int_attr(node, "count_include_pad", 0) == 1;
  s.indices = s.max && node.outputs.size() > 1 && node.outputs[1] != kNoValue;
  s.storage_order = static_cast<int>(int_attr(node, "storage_order", 0));
  WindowOptions options{.allow_ceil_mode = true, .allow_dilations = true, .pads_below_kernel = true};
  s.window = window_geometry(node, spatial_dims(x), ints_attr(node, "kernel_shape"), options);
  return s;
}

std::optional<CudnnPoolShape> cudnn_pool_shape(const PoolSpec& s, const Shape& x, const Shape& y) {
  if (s.indices) return std::nullopt;
  const WindowGeometry& win = s.window;
  CudnnPoolShape p{{x[0], x[1]}, {y[0], y[1]}, {}, {}, {}};
  auto add_dim = [&p](int64_t in, int64_t out, int64_t kernel, int64_t pad, int64_t stride) {
    p.x.push_back(in);
    p.y.push_back(out);
    p.window.push_back(static_cast<int>(kernel));
    p.pads.push_back(static_cast<int>(pad));
    p.strides.push_back(static_cast<int>(stride));
  };
  if (win.rank() == 1) add_dim(1, 1, 1, 0, 1);
  for (size_t d = 0; d < win.rank(); ++d) {
    if (win.dilations[d] != 1 || win.pads_begin[d] != win.pads_end[d]) return std::nullopt;
    if (!fits_int(win.kernel[d]) || !fits_int(win.pads_begin[d]) || !fits_int(win.strides[d])) return std::nullopt;
    add_dim(win.input[d], win.output[d], win.kernel[d], win.pads_begin[d], win.strides[d]);
  }
  if (!fits_cudnn(p.x) || !fits_cudnn(p.y)) return std::nullopt;
  return p;
}

}  // namespace tandem::cuda
