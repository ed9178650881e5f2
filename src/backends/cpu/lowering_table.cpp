// Which lowering runs each op type on the cpu backend.
#include <map>

#include "backends/cpu/lowering.h"
#include "ops/op.h"

namespace tandem::cpu {

Lowering find_lowering(std::string_view op) {
  static const std::map<std::string_view, Lowering> table = {
      {"Conv", lower_conv},
      {"MaxPool", lower_pool},
      {"AveragePool", lower_pool},
      {"GlobalAveragePool", lower_pool},
      {"GlobalMaxPool", lower_pool},
      {"LRN", lower_lrn},
      {"BatchNormalization", lower_batchnorm},
      {"Gemm", lower_gemm},
      {"MatMul", lower_matmul},
      {"Relu", lower_eltwise},
      {"LeakyRelu", lower_eltwise},
      {"Clip", lower_eltwise},
      {"Sigmoid", lower_eltwise},
      {"Tanh", lower_eltwise},
      {"Softmax", lower_softmax},
      {"Add", lower_binary},
      {"Sub", lower_binary},
      {"Mul", lower_binary},
      {"Div", lower_binary},
      {"Sum", lower_sum},
      {"Concat", lower_concat},
      {"Split", lower_split},
      {"Slice", lower_slice},
      {"Flatten", lower_view},
      {"Reshape", lower_view},
      {"Squeeze", lower_view},
      {"Unsqueeze", lower_view},
      {"Identity", lower_view},
      {"Dropout", lower_view},
      {"Transpose", lower_transpose},
      {"Pad", lower_pad},
      {"Gather", lower_gather},
      {"Constant", lower_folded},
      {"Shape", lower_folded},
      {"ReduceMean", lower_reduce},
      {"ReduceSum", lower_reduce},
      {"ReduceMax", lower_reduce},
  };
  auto it = table.find(op);
  if (it != table.end()) return it->second;
  // Ops without a cpu lowering yet (Cast, and any op added later) run their
  // reference kernel, so that a model never fails on the cpu device for want of one.
  return find_op(op) ? lower_reference : nullptr;
}

}  // namespace tandem::cpu
