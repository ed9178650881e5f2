// BatchNormalization, inference form only:
//   y = (x - mean) / sqrt(var + epsilon) * scale + B, per channel (axis 1).
// training_mode = 1 (and its running-statistics outputs) is Unsupported.
#include <cmath>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

constexpr float kDefaultEpsilon = 1e-5f;

void infer_batchnorm(const Node& node, Graph& graph) {
  expect_input_count(node, 5, 5);
  expect_output_count(node, 1, 5);
  if (int_attr(node, "training_mode", 0) != 0)
    fail_node(ErrorKind::Unsupported, node, "training_mode is not supported (inference only)");
  if (int_attr(node, "spatial", 1) != 1) fail_node(ErrorKind::Unsupported, node, "spatial = 0 is not supported");
  for (size_t i = 1; i < node.outputs.size(); ++i)
    if (node.outputs[i] != kNoValue)
      fail_node(ErrorKind::Unsupported, node, "the running-statistics outputs (training only) are not supported");
  float_attr(node, "epsilon", kDefaultEpsilon);  // type check
  const Value& x = required_input(node, graph, 0);  // (N, C, D1..Dk)
  expect_dtype(node, x, DType::f32);
  expect_rank_between(node, x, 2, 5);
  static const char* const kParamNames[] = {"scale", "B", "mean", "var"};
  for (size_t i = 1; i < 5; ++i) {
    const Value& param = required_input(node, graph, i);  // (C)
    expect_dtype(node, param, DType::f32);
    if (param.shape != Shape{x.shape[1]})
      fail_node(ErrorKind::InvalidModel, node,
                std::string(kParamNames[i - 1]) + " " + value_str(param) + " must have shape (" + std::to_string(x.shape[1]) + ")");
  }
  set_output(node, graph, 0, DType::f32, x.shape);
}

double batchnorm_flops(const Node& node, const Graph& graph) {
  return 2 * double(num_elements(graph.value(node.inputs[0]).shape));
}

void run_batchnorm(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  const float* scale = inputs[1].data<float>();
  const float* shift = inputs[2].data<float>();
  const float* mean = inputs[3].data<float>();
  const float* var = inputs[4].data<float>();
  double epsilon = float_attr(node, "epsilon", kDefaultEpsilon);
  int64_t batch = x.dim(0), channels = x.dim(1);
  int64_t plane = batch * channels == 0 ? 0 : x.numel() / (batch * channels);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      double a = double(scale[c]) / std::sqrt(double(var[c]) + epsilon);
      double b = double(shift[c]) - double(mean[c]) * a;
      const float* src = x.data<float>() + (n * channels + c) * plane;
      float* dst = outputs[0].data<float>() + (n * channels + c) * plane;
      for (int64_t i = 0; i < plane; ++i) dst[i] = static_cast<float>(double(src[i]) * a + b);
    }
}

}  // namespace

extern const OpDef kBatchNormOp{.type = "BatchNormalization",
                                .since_opset = 9,
                                .infer = infer_batchnorm,
                                .reference = run_batchnorm,
                                .flops = batchnorm_flops};

}  // namespace tandem
