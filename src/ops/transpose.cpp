// Transpose: output dim i is input dim perm[i]; without `perm` the dims are reversed.
// Works for any dtype by element size.
#include <algorithm>

#include "ops/tensor_util.h"

namespace tandem {
namespace {

// The permutation, checked to hold every dim of a rank-`rank` input exactly once.
std::vector<int64_t> permutation(const Node& node, size_t rank) {
  std::vector<int64_t> perm(rank);
  for (size_t i = 0; i < rank; ++i) perm[i] = static_cast<int64_t>(rank - 1 - i);
  perm = ints_attr(node, "perm", perm);
  std::vector<int64_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  bool valid = sorted.size() == rank;
  for (size_t i = 0; valid && i < rank; ++i) valid = sorted[i] == static_cast<int64_t>(i);
  if (!valid)
    fail_node(ErrorKind::InvalidModel, node,
              "perm " + ints_str(perm) + " is not a permutation of " + std::to_string(rank) + " dims");
  return perm;
}

void infer_transpose(const Node& node, Graph& graph) {
  expect_input_count(node, 1, 1);
  expect_output_count(node, 1, 1);
  const Value& x = required_input(node, graph, 0);
  Shape out;
  for (int64_t p : permutation(node, x.shape.size())) out.push_back(x.shape[static_cast<size_t>(p)]);
  set_output(node, graph, 0, x.dtype, out);
}

// y: dense with y.shape[i] = x.shape[perm[i]], read from x with stride x_strides[perm[i]].
void reference_transpose(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Tensor& x = inputs[0];
  std::vector<int64_t> x_strides = dense_strides(x.shape()), strides;
  for (int64_t p : permutation(node, x.rank())) strides.push_back(x_strides[static_cast<size_t>(p)]);
  copy_strided(x.raw(), outputs[0].shape(), strides, outputs[0].raw(), dtype_size(x.dtype()));
}

}  // namespace

void append_transpose_ops(std::vector<const OpDef*>& defs) {
  static const OpDef transpose{.type = "Transpose",
                               .since_opset = 1,
                               .infer = infer_transpose,
                               .reference = reference_transpose,
                               .flops = no_flops};
  defs.push_back(&transpose);
}

}  // namespace tandem
