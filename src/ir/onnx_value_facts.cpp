// Ranks, shapes and dtypes of values before tandem's shape inference, for the legacy
// rewrite: constants know theirs; other values take the model's declared types or,
// when undeclared, the result of onnx's shape inference (run once, lazily, on a copy
// of the graph without its large weights).
#include <onnx/defs/schema.h>
#include <onnx/shape_inference/implementation.h>

#include <unordered_map>

#include "ir/onnx_legacy.h"
#include "ir/onnx_proto.h"
#include "tandem/error.h"

namespace tandem {
namespace {

class OnnxValueFacts : public ValueFacts {
 public:
  OnnxValueFacts(const Graph& graph, const onnx::ModelProto& model) : graph_(graph), model_(model) {
    const onnx::GraphProto& g = model.graph();
    for (const auto* infos : {&g.input(), &g.output(), &g.value_info()})
      for (const onnx::ValueInfoProto& info : *infos) remember(info);
  }

  std::optional<Shape> shape(int value) override {
    const Value& v = graph_.value(value);
    if (v.is_constant()) return v.data->shape();
    const onnx::TypeProto_Tensor* type = tensor_type(v.name);
    if (!type || !type->has_shape()) return std::nullopt;
    Shape shape;
    for (const auto& dim : type->shape().dim())
      shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
    return shape;
  }

  std::optional<DType> dtype(int value) override {
    const Value& v = graph_.value(value);
    if (v.is_constant()) return v.data->dtype();
    const onnx::TypeProto_Tensor* type = tensor_type(v.name);
    if (!type) return std::nullopt;
    try {
      return dtype_from_onnx(type->elem_type(), v.name);
    } catch (const Error&) {
      return std::nullopt;
    }
  }

 private:
  void remember(const onnx::ValueInfoProto& info) {
    if (info.type().has_tensor_type() && info.type().tensor_type().elem_type() != 0)
      types_[info.name()] = info.type().tensor_type();
  }

  const onnx::TypeProto_Tensor* tensor_type(const std::string& name) {
    if (!types_.count(name) && !inferred_) infer_with_onnx();
    auto it = types_.find(name);
    return it == types_.end() ? nullptr : &it->second;
  }

  // Runs onnx's shape inference on a light copy: large initializers become typed
  // graph inputs, so no weight data is copied.
  void infer_with_onnx() {
    inferred_ = true;
    const onnx::GraphProto& full = model_.graph();
    onnx::GraphProto light;
    *light.mutable_node() = full.node();
    *light.mutable_input() = full.input();
    *light.mutable_output() = full.output();
    *light.mutable_value_info() = full.value_info();
    for (const onnx::TensorProto& init : full.initializer()) {
      int64_t count = 1;
      for (int64_t d : init.dims()) count *= std::max<int64_t>(d, 0);
      if (count <= kLargeInitializerElements) {
        *light.add_initializer() = init;
      } else if (!types_.count(init.name())) {
        onnx::ValueInfoProto* input = light.add_input();
        input->set_name(init.name());
        auto* type = input->mutable_type()->mutable_tensor_type();
        type->set_elem_type(init.data_type());
        for (int64_t d : init.dims()) type->mutable_shape()->add_dim()->set_dim_value(d);
      }
    }
    std::unordered_map<std::string, int> opsets;
    for (const auto& entry : model_.opset_import()) opsets[entry.domain()] = static_cast<int>(entry.version());
    try {
      onnx::shape_inference::InferShapes(&light, opsets);
    } catch (const std::exception&) {
      return;  // facts stay unknown; the rewrite that needed them says so
    }
    for (const onnx::ValueInfoProto& info : light.value_info()) remember(info);
    for (const onnx::ValueInfoProto& info : light.output()) remember(info);
  }

  const Graph& graph_;
  const onnx::ModelProto& model_;
  std::unordered_map<std::string, onnx::TypeProto_Tensor> types_;
  bool inferred_ = false;
};

}  // namespace

std::unique_ptr<ValueFacts> make_onnx_value_facts(const Graph& graph, const onnx::ModelProto& model) {
  return std::make_unique<OnnxValueFacts>(graph, model);
}

}  // namespace tandem
