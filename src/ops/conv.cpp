// Conv (1-D, 2-D and 3-D; groups incl. depthwise; strides, dilations, pads,
// auto_pad; optional bias) with an optional fused activation. The reference kernel
// sums every output in double. It works on a zero-padded copy of each group's input
// (no bounds checks in the loops) and computes blocks of 4 output channels x 8
// output columns at a time, so that the sums stay in registers and each input value
// read serves 4 channels.
#include <algorithm>
#include <array>

#include "ops/activation.h"
#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

struct ConvShapes {
  int64_t batch, in_channels, out_channels, group;
  WindowGeometry window;
};

WindowGeometry conv_window(const Node& node, const Shape& x, const Shape& w) {
  std::vector<int64_t> kernel = spatial_dims(w);
  if (node.attrs.has("kernel_shape") && ints_attr(node, "kernel_shape") != kernel)
    fail_node(ErrorKind::InvalidModel, node,
              "kernel_shape " + shape_str(ints_attr(node, "kernel_shape")) + " does not match weights " + shape_str(w));
  return window_geometry(node, spatial_dims(x), kernel, WindowOptions{});
}

// x: (N, C, D1..Dk), w: (M, C/group, K1..Kk), b: (M)
ConvShapes conv_shapes(const Node& node, const Shape& x, const Shape& w) {
  ConvShapes s{x[0], x[1], w[0], int_attr(node, "group", 1), {}};
  if (s.group < 1) fail_node(ErrorKind::InvalidModel, node, "group " + std::to_string(s.group) + " must be positive");
  if (w[1] * s.group != s.in_channels)
    fail_node(ErrorKind::InvalidModel, node,
              "input has " + std::to_string(s.in_channels) + " channels but weights " + shape_str(w) + " with group " +
                  std::to_string(s.group) + " expect " + std::to_string(w[1] * s.group));
  if (s.out_channels % s.group != 0)
    fail_node(ErrorKind::InvalidModel, node,
              std::to_string(s.out_channels) + " output channels do not divide into " + std::to_string(s.group) + " groups");
  s.window = conv_window(node, x, w);
  return s;
}

void infer_conv(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 3);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  const Value& w = required_input(node, graph, 1);
  expect_dtype(node, x, DType::f32);
  expect_dtype(node, w, DType::f32);
  expect_rank_between(node, x, 3, 5);
  if (w.shape.size() != x.shape.size())
    fail_node(ErrorKind::InvalidModel, node, "weights " + value_str(w) + " and input " + value_str(x) + " differ in rank");
  ConvShapes s = conv_shapes(node, x.shape, w.shape);
  if (const Value* b = graph.input(node, 2)) {
    expect_dtype(node, *b, DType::f32);
    if (b->shape != Shape{s.out_channels})
      fail_node(ErrorKind::InvalidModel, node, "bias " + value_str(*b) + " must have shape (" + std::to_string(s.out_channels) + ")");
  }
  fused_activation(node);
  Shape y{s.batch, s.out_channels};
  y.insert(y.end(), s.window.output.begin(), s.window.output.end());
  set_output(node, graph, 0, DType::f32, y);
}

double conv_flops(const Node& node, const Graph& graph) {
  const Value& x = graph.value(node.inputs[0]);
  const Value& w = graph.value(node.inputs[1]);
  ConvShapes s = conv_shapes(node, x.shape, w.shape);
  double outputs = double(s.batch) * double(s.out_channels) * double(s.window.output_elements());
  double macs = outputs * double(s.in_channels / s.group) * double(s.window.kernel_elements());
  double extra = (graph.input(node, 2) ? outputs : 0) + (fused_activation(node).kind != ActivationKind::None ? outputs : 0);
  return 2 * macs + extra;
}

constexpr int64_t kChannelBlock = 4;  // output channels computed together
constexpr int64_t kColumnBlock = 8;   // output columns computed together

// The input channels of one group for one image, zero-padded so that every tap of
// every (column-block rounded) output reads inside it: (C/group, PD, PH, PW).
struct PaddedInput {
  std::vector<float> data;
  std::array<int64_t, 3> size;
  int64_t plane() const { return size[0] * size[1] * size[2]; }
};

PaddedInput pad_input(const Window3d& win, const float* x, int64_t channels) {
  PaddedInput p;
  for (size_t d = 0; d < 3; ++d) p.size[d] = win.input[d] + win.pads_begin[d] + win.pads_end[d];
  int64_t rounded_width = (win.output[2] + kColumnBlock - 1) / kColumnBlock * kColumnBlock;
  p.size[2] = std::max(p.size[2], (rounded_width - 1) * win.strides[2] + (win.kernel[2] - 1) * win.dilations[2] + 1);
  p.data.assign(static_cast<size_t>(channels * p.plane()), 0.0f);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t id = 0; id < win.input[0]; ++id)
      for (int64_t ih = 0; ih < win.input[1]; ++ih) {
        const float* src = x + ((c * win.input[0] + id) * win.input[1] + ih) * win.input[2];
        float* dst = p.data.data() + c * p.plane() +
                     ((id + win.pads_begin[0]) * p.size[1] + ih + win.pads_begin[1]) * p.size[2] + win.pads_begin[2];
        std::copy(src, src + win.input[2], dst);
      }
  return p;
}

// Weights of up to kChannelBlock output channels interleaved per (input channel,
// tap): packed[r * kChannelBlock + j] = w[m0 + j, r] for r = c * taps + t; zero for
// channels past `count`.
std::vector<double> pack_weights(const float* w, int64_t m0, int64_t count, int64_t weights_per_channel) {
  std::vector<double> packed(static_cast<size_t>(weights_per_channel * kChannelBlock), 0.0);
  for (int64_t j = 0; j < count; ++j)
    for (int64_t r = 0; r < weights_per_channel; ++r)
      packed[size_t(r * kChannelBlock + j)] = w[(m0 + j) * weights_per_channel + r];
  return packed;
}

// sums[j][i] = sum over the group's input channels and kernel taps of
// w(channel m0 + j) * x for output (od, oh, ow0 + i), summed in double in a block
// small enough to stay in registers for the whole reduction.
void block_sums(const Window3d& win, const PaddedInput& x, int64_t group_in, const double* packed, int64_t od,
                int64_t oh, int64_t ow0, double sums[kChannelBlock][kColumnBlock]) {
  const std::array<int64_t, 3> k = win.kernel, stride = win.strides, dil = win.dilations;
  const int64_t row_length = x.size[2], plane = x.plane();
  double sum[kChannelBlock][kColumnBlock] = {};  // a local, which the compiler keeps in registers
  for (int64_t c = 0; c < group_in; ++c) {
    const float* x_channel = x.data.data() + c * plane;
    for (int64_t kd = 0; kd < k[0]; ++kd)
      for (int64_t kh = 0; kh < k[1]; ++kh) {
        int64_t row = (od * stride[0] + kd * dil[0]) * x.size[1] + oh * stride[1] + kh * dil[1];
        const float* x_row = x_channel + row * row_length + ow0 * stride[2];
        const double* w_taps = packed + ((c * k[0] + kd) * k[1] + kh) * k[2] * kChannelBlock;
        for (int64_t kw = 0; kw < k[2]; ++kw) {
          double xv[kColumnBlock];
          for (int64_t i = 0; i < kColumnBlock; ++i) xv[i] = x_row[i * stride[2] + kw * dil[2]];
          const double* wv = w_taps + kw * kChannelBlock;
          for (int64_t j = 0; j < kChannelBlock; ++j)
            for (int64_t i = 0; i < kColumnBlock; ++i) sum[j][i] += wv[j] * xv[i];
        }
      }
  }
  for (int64_t j = 0; j < kChannelBlock; ++j) std::copy_n(sum[j], kColumnBlock, sums[j]);
}

// Output channels [m0, m0 + count) of one image, all in one group.
// x: the group's padded input; y: output channel m0's plane (OD, OH, OW) and the
// next count - 1 after it.
void conv_channel_block(const Window3d& win, const PaddedInput& x, int64_t group_in, const std::vector<double>& packed,
                        int64_t count, const float* bias, float* y) {
  int64_t out_height = win.output[1], out_width = win.output[2], out_plane = win.output_elements();
  double sums[kChannelBlock][kColumnBlock];
  for (int64_t od = 0; od < win.output[0]; ++od)
    for (int64_t oh = 0; oh < out_height; ++oh)
      for (int64_t ow0 = 0; ow0 < out_width; ow0 += kColumnBlock) {
        block_sums(win, x, group_in, packed.data(), od, oh, ow0, sums);
        int64_t columns = std::min(kColumnBlock, out_width - ow0);
        for (int64_t j = 0; j < count; ++j) {
          double b = bias ? double(bias[j]) : 0.0;
          float* y_row = y + j * out_plane + (od * out_height + oh) * out_width + ow0;
          for (int64_t i = 0; i < columns; ++i) y_row[i] = static_cast<float>(sums[j][i] + b);
        }
      }
}

// y (N, M, OD, OH, OW), for each image and group in blocks of kChannelBlock output
// channels.
void run_conv(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];  // (N, C, ...)
  const Tensor& w = inputs[1];  // (M, C/group, ...)
  const float* bias = inputs.size() > 2 && !inputs[2].empty() ? inputs[2].data<float>() : nullptr;
  ConvShapes s = conv_shapes(node, x.shape(), w.shape());
  Window3d win = to_3d(s.window);
  int64_t in_plane = win.input_elements(), out_plane = win.output_elements();
  int64_t group_in = s.in_channels / s.group, group_out = s.out_channels / s.group;
  int64_t weights_per_channel = group_in * s.window.kernel_elements();
  float* y = outputs[0].data<float>();
  for (int64_t n = 0; n < s.batch; ++n)
    for (int64_t g = 0; g < s.group; ++g) {
      PaddedInput xp = pad_input(win, x.data<float>() + (n * s.in_channels + g * group_in) * in_plane, group_in);
      for (int64_t m0 = g * group_out; m0 < (g + 1) * group_out; m0 += kChannelBlock) {
        int64_t count = std::min(kChannelBlock, (g + 1) * group_out - m0);
        std::vector<double> packed = pack_weights(w.data<float>(), m0, count, weights_per_channel);
        conv_channel_block(win, xp, group_in, packed, count, bias ? bias + m0 : nullptr,
                           y + (n * s.out_channels + m0) * out_plane);
      }
    }
  apply_fused_activation(node, y, outputs[0].numel());
}

}  // namespace

extern const OpDef kConvOp{.type = "Conv", .since_opset = 1, .infer = infer_conv, .reference = run_conv, .flops = conv_flops};

}  // namespace tandem
