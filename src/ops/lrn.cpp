// LRN (local response normalisation across channels, ONNX's formula):
//   square_sum[n, c, ...] = sum of x[n, i, ...]^2 for i in
//                           [c - floor((size - 1) / 2), c + ceil((size - 1) / 2)] within [0, C)
//   y = x / (bias + alpha / size * square_sum) ^ beta
// The reference evaluates the sum and the power in double.
#include <algorithm>
#include <cmath>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

struct LrnParams {
  int64_t size;
  double alpha, beta, bias;
};

LrnParams lrn_params(const Node& node) {
  if (!node.attrs.has("size")) fail_node(ErrorKind::InvalidModel, node, "attribute 'size' is required");
  LrnParams p{int_attr(node, "size", 1), float_attr(node, "alpha", 1e-4f), float_attr(node, "beta", 0.75f),
              float_attr(node, "bias", 1.0f)};
  if (p.size < 1) fail_node(ErrorKind::InvalidModel, node, "attribute 'size' must be positive, got " + std::to_string(p.size));
  return p;
}

void infer_lrn(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  expect_rank_between(node, x, 3, 5);
  lrn_params(node);
  set_output(node, graph, 0, DType::f32, x.shape);
}

double lrn_flops(const Node& node, const Graph& graph) {
  double elements = double(num_elements(graph.value(node.inputs[0]).shape));
  return elements * double(2 * lrn_params(node).size + 4);
}

void run_lrn(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];  // x, y: (N, C, D1..Dk)
  LrnParams p = lrn_params(node);
  int64_t batch = x.dim(0), channels = x.dim(1);
  int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  int64_t before = (p.size - 1) / 2, after = p.size - 1 - before;
  double scale = p.alpha / double(p.size);
  std::vector<double> square_sum(static_cast<size_t>(plane));
  for (int64_t n = 0; n < batch; ++n) {
    const float* x_image = x.data<float>() + n * channels * plane;
    float* y_image = outputs[0].data<float>() + n * channels * plane;
    for (int64_t c = 0; c < channels; ++c) {
      std::fill(square_sum.begin(), square_sum.end(), 0.0);
      for (int64_t i = std::max<int64_t>(0, c - before); i <= std::min(channels - 1, c + after); ++i) {
        const float* x_plane = x_image + i * plane;
        for (int64_t j = 0; j < plane; ++j) square_sum[size_t(j)] += double(x_plane[j]) * double(x_plane[j]);
      }
      const float* x_plane = x_image + c * plane;
      float* y_plane = y_image + c * plane;
      for (int64_t j = 0; j < plane; ++j)
        y_plane[j] = static_cast<float>(x_plane[j] / std::pow(p.bias + scale * square_sum[size_t(j)], p.beta));
    }
  }
}

}  // namespace

extern const OpDef kLrnOp{.type = "LRN", .since_opset = 1, .infer = infer_lrn, .reference = run_lrn, .flops = lrn_flops};

}  // namespace tandem
