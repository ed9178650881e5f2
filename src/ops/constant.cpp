// Constant: a node whose output is the tensor in its attributes: `value` (any dtype
// and shape), or value_float / value_int (scalars), value_floats / value_ints (1-D).
// String and sparse constants are not supported.
#include "ops/tensor_util.h"

namespace tandem {
namespace {

void expect_one_value_attribute(const Node& node) {
  int count = 0;
  for (const char* name : {"value", "value_float", "value_floats", "value_int", "value_ints", "value_string",
                           "value_strings", "sparse_value"})
    count += node.attrs.has(name);
  if (count != 1)
    fail_node(ErrorKind::InvalidModel, node, "needs exactly one value attribute, has " + std::to_string(count));
}

Tensor constant_value(const Node& node) {
  expect_one_value_attribute(node);
  const Attributes& a = node.attrs;
  if (const Tensor* t = a.get_tensor("value")) return *t;
  if (a.has("value_float")) return Tensor::from<float>({}, {a.get_float("value_float", 0)});
  if (a.has("value_int")) return Tensor::from<int64_t>({}, {a.get_int("value_int", 0)});
  if (a.has("value_floats")) {
    std::vector<float> v = a.get_floats("value_floats");
    return Tensor::from<float>({static_cast<int64_t>(v.size())}, v);
  }
  if (a.has("value_ints")) {
    std::vector<int64_t> v = a.get_ints("value_ints");
    return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  fail_node(ErrorKind::Unsupported, node, "string and sparse constants are not supported");
}

void infer_constant(const Node& node, Graph& graph) {
  expect_input_count(node, 0, 0);
  expect_output_count(node, 1, 1);
  Tensor value = constant_value(node);
  if (value.empty()) fail_node(ErrorKind::InvalidModel, node, "attribute 'value' holds no tensor");
  set_output(node, graph, 0, value.dtype(), value.shape());
}

void reference_constant(const Node& node, const std::vector<Tensor>&, std::vector<Tensor>& outputs) {
  copy_tensor_data(constant_value(node), outputs[0]);
}

}  // namespace

void append_constant_ops(std::vector<const OpDef*>& defs) {
  static const OpDef constant{.type = "Constant",
                              .since_opset = 1,
                              .infer = infer_constant,
                              .reference = reference_constant,
                              .flops = no_flops};
  defs.push_back(&constant);
}

}  // namespace tandem
