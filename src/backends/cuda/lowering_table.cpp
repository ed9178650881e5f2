// Which lowering runs each op type on the cuda backend.
#include <map>

#include "backends/cuda/lowering.h"
#include "ops/op.h"

namespace tandem::cuda {

Lowering find_lowering(std::string_view op) {
  static const std::map<std::string_view, Lowering> table = {
      {"Conv", lower_conv},
      {"MaxPool", lower_pool},
      {"AveragePool", lower_pool},
      {"GlobalAveragePool", lower_global_pool},
      {"GlobalMaxPool", lower_global_pool},
      {"LRN", lower_lrn},
      {"BatchNormalization", lower_batchnorm},
      {"Gemm", lower_gemm},
      {"MatMul", lower_matmul},
      {"Softmax", lower_softmax},
      {"Relu", lower_activation},
      {"LeakyRelu", lower_activation},
      {"Clip", lower_activation},
      {"Sigmoid", lower_activation},
      {"Tanh", lower_activation},
      {"Add", lower_binary},
      {"Sub", lower_binary},
      {"Mul", lower_binary},
      {"Div", lower_binary},
      {"Sum", lower_sum},
      {"Cast", lower_cast},
      {"Concat", lower_concat},
      {"Split", lower_split},
      {"Slice", lower_slice},
      {"Transpose", lower_transpose},
      {"Pad", lower_pad},
      {"Gather", lower_gather},
      {"Flatten", lower_view},
      {"Reshape", lower_view},
      {"Squeeze", lower_view},
      {"Unsqueeze", lower_view},
      {"Identity", lower_view},
      {"Dropout", lower_view},
      {"ReduceMean", lower_reduce},
      {"ReduceSum", lower_reduce},
      {"ReduceMax", lower_reduce},
  };
  auto it = table.find(op);
  if (it != table.end()) return it->second;
  // Any other op tandem knows runs its reference kernel on the host, between copies
  // queued on the stream, so that a model never fails on cuda for want of a kernel.
  return find_op(op) ? lower_host_fallback : nullptr;
}

}  // namespace tandem::cuda
