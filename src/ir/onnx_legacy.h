// Rewrites the op forms of older ONNX opsets into the opset-13+ forms the OpDefs
// implement: attributes that later became inputs (Clip min/max, Pad pads/value,
// Slice starts/ends/axes, Split split, Squeeze/Unsqueeze axes, Reshape shape),
// legacy broadcasting (Add/Sub/Mul/Div broadcast/axis, Gemm broadcast), Softmax's
// 2-D coercion, and attributes with no meaning at inference (consumed_inputs,
// is_test, spatial, Dropout ratio).
#pragma once
#include <memory>
#include <optional>

#include "ir/graph.h"

namespace onnx {
class ModelProto;
}

namespace tandem {

// What the importer knows about a value before tandem's shape inference runs.
class ValueFacts {
 public:
  virtual ~ValueFacts() = default;
  // The shape with -1 for unknown dims; nullopt when even the rank is unknown.
  virtual std::optional<Shape> shape(int value) = 0;
  virtual std::optional<DType> dtype(int value) = 0;
};

// Facts from the graph's constants and from the model's declared value types; for
// other values, onnx's own shape inference over `model` (run once, on first need).
// `graph` and `model` must outlive the facts.
std::unique_ptr<ValueFacts> make_onnx_value_facts(const Graph& graph, const onnx::ModelProto& model);

// Rewrites every node of `graph` (whose opset is the model's default-domain opset)
// in place; may add constants and nodes (appended: sort the graph afterwards).
void canonicalise_legacy_forms(Graph& graph, ValueFacts& facts);

}  // namespace tandem
