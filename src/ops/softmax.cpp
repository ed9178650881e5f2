// Softmax (opset 13 form): over the single axis `axis` (default -1),
//   y = exp(x - max) / sum(exp(x - max)), evaluated in double.
#include <algorithm>
#include <cmath>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

void infer_softmax(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  expect_dtype(node, x, DType::f32);
  if (x.shape.empty()) fail_node(ErrorKind::InvalidModel, node, "input " + value_str(x) + " must have rank 1 or more");
  normalize_axis(node, int_attr(node, "axis", -1), x.shape.size());
  set_output(node, graph, 0, DType::f32, x.shape);
}

double softmax_flops(const Node& node, const Graph& graph) {
  return 4 * double(num_elements(graph.value(node.inputs[0]).shape));  // subtract, exp, add, divide
}

void run_softmax(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];  // viewed as (outer, axis, inner)
  size_t axis = normalize_axis(node, int_attr(node, "axis", -1), x.rank());
  int64_t outer = 1, length = x.dim(axis), inner = 1;
  for (size_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (size_t d = axis + 1; d < x.rank(); ++d) inner *= x.dim(d);
  if (length == 0) return;
  std::vector<double> exps(static_cast<size_t>(length));
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      const float* src = x.data<float>() + o * length * inner + i;
      float* dst = outputs[0].data<float>() + o * length * inner + i;
      float largest = src[0];
      for (int64_t j = 1; j < length; ++j) largest = std::max(largest, src[j * inner]);
      double sum = 0;
      for (int64_t j = 0; j < length; ++j) sum += exps[size_t(j)] = std::exp(double(src[j * inner]) - double(largest));
      for (int64_t j = 0; j < length; ++j) dst[j * inner] = static_cast<float>(exps[size_t(j)] / sum);
    }
}

}  // namespace

extern const OpDef kSoftmaxOp{
    .type = "Softmax", .since_opset = 13, .infer = infer_softmax, .reference = run_softmax, .flops = softmax_flops};

}  // namespace tandem
