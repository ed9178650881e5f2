// Legacy ONNX op forms (opsets 1 to 12) -> the opset-13+ forms of the OpDefs. Each
// rule looks at one node and the model's opset; attributes that became inputs turn
// into constants, and the two semantic changes (Add/Sub/Mul/Div axis broadcasting,
// Softmax's 2-D coercion) become extra Unsqueeze / Reshape nodes.
#include "ir/onnx_legacy.h"

#include <algorithm>
#include <map>

#include "tandem/error.h"

namespace tandem {
namespace {

class Canonicaliser {
 public:
  Canonicaliser(Graph& graph, ValueFacts& facts) : graph_(graph), facts_(facts), opset_(graph.opset) {}

  void run() {
    using Rule = void (Canonicaliser::*)(size_t);
    static const std::map<std::string, Rule> rules = {
        {"Add", &Canonicaliser::binary},
        {"Sub", &Canonicaliser::binary},
        {"Mul", &Canonicaliser::binary},
        {"Div", &Canonicaliser::binary},
        {"Gemm", &Canonicaliser::gemm},
        {"BatchNormalization", &Canonicaliser::batchnorm},
        {"Dropout", &Canonicaliser::dropout},
        {"Clip", &Canonicaliser::clip},
        {"Pad", &Canonicaliser::pad},
        {"Slice", &Canonicaliser::slice},
        {"Split", &Canonicaliser::split},
        {"Squeeze", &Canonicaliser::squeeze_axes},
        {"Unsqueeze", &Canonicaliser::squeeze_axes},
        {"Softmax", &Canonicaliser::softmax},
        {"Concat", &Canonicaliser::concat},
        {"Reshape", &Canonicaliser::reshape},
    };
    const size_t original = graph_.nodes.size();  // rules append nodes; those are current
    for (size_t n = 0; n < original; ++n) {
      graph_.nodes[n].attrs.erase("consumed_inputs");  // opsets 1-5: a hint with no meaning
      auto rule = rules.find(graph_.nodes[n].op);
      if (rule != rules.end()) (this->*rule->second)(n);
    }
  }

 private:
  Node& node(size_t n) { return graph_.nodes[n]; }

  [[noreturn]] void unsupported(size_t n, const std::string& cause) {
    fail(ErrorKind::Unsupported, describe(node(n)) + " (opset " + std::to_string(opset_) + "): " + cause);
  }

  // The value id of input i, which must be present (InvalidModel otherwise).
  int input_id(size_t n, size_t i) {
    if (i >= node(n).inputs.size() || node(n).inputs[i] == kNoValue)
      fail(ErrorKind::InvalidModel, describe(node(n)) + " lacks its input " + std::to_string(i));
    return node(n).inputs[i];
  }

  // Input slot i of node n set to `value`, growing the input list with absent inputs.
  void set_input(size_t n, size_t i, int value) {
    if (node(n).inputs.size() <= i) node(n).inputs.resize(i + 1, kNoValue);
    node(n).inputs[i] = value;
  }

  int int64_constant(size_t n, const std::string& what, const std::vector<int64_t>& values) {
    Tensor t = Tensor::from<int64_t>({static_cast<int64_t>(values.size())}, values);
    return graph_.add_constant(graph_.unique_name(node(n).name + "_" + what), std::move(t));
  }

  // A scalar holding `value` in the dtype of node n's input 0 (float32 if unknown).
  int scalar_like_input(size_t n, const std::string& what, double value) {
    DType dtype = facts_.dtype(input_id(n, 0)).value_or(DType::f32);
    Tensor t(dtype, {});
    switch (dtype) {
      case DType::f32:
        *t.data<float>() = static_cast<float>(value);
        break;
      case DType::f64:
        *t.data<double>() = value;
        break;
      case DType::i64:
        *t.data<int64_t>() = static_cast<int64_t>(value);
        break;
      case DType::i32:
        *t.data<int32_t>() = static_cast<int32_t>(value);
        break;
      case DType::i8:
        *t.data<int8_t>() = static_cast<int8_t>(value);
        break;
      case DType::u8:
        *t.data<uint8_t>() = static_cast<uint8_t>(value);
        break;
      default:
        unsupported(n, std::string("a ") + what + " for " + dtype_name(dtype) + " data");
    }
    return graph_.add_constant(graph_.unique_name(node(n).name + "_" + what), std::move(t));
  }

  // Moves an ints attribute (if present) to input slot i as an int64 constant.
  void ints_attribute_to_input(size_t n, const std::string& attr, size_t i) {
    if (!node(n).attrs.has(attr)) return;
    std::vector<int64_t> values = node(n).attrs.get_ints(attr);
    node(n).attrs.erase(attr);
    set_input(n, i, int64_constant(n, attr, values));
  }

  size_t known_rank(size_t n, size_t input, const std::string& why) {
    std::optional<Shape> shape = facts_.shape(input_id(n, input));
    if (!shape)
      unsupported(
          n, "cannot determine the rank of input '" + graph_.value(input_id(n, input)).name + "', needed to " + why);
    return shape->size();
  }

  // A new node reading `inputs` and writing one new value; returns that value.
  int add_node(size_t n, const std::string& op, std::vector<int> inputs, Attributes attrs = {}) {
    std::string name = node(n).name + "_" + op;
    int out = graph_.add_value(graph_.unique_name(name));
    graph_.nodes.push_back(Node{name, op, std::move(inputs), {out}, std::move(attrs)});
    return out;
  }

  // Opsets < 7: broadcast=1 aligns B with A starting at `axis` (B's trailing dims
  // need not reach A's end); numpy broadcasting needs B padded with trailing 1-dims.
  void binary(size_t n) {
    if (opset_ >= 7) return;
    const bool broadcast = node(n).attrs.get_int("broadcast", 0) != 0;
    const bool has_axis = node(n).attrs.has("axis");
    const int64_t given_axis = node(n).attrs.get_int("axis", 0);
    node(n).attrs.erase("broadcast");
    node(n).attrs.erase("axis");
    if (!broadcast || !has_axis) return;
    const auto rank_a = static_cast<int64_t>(known_rank(n, 0, "apply legacy broadcasting with an axis"));
    const auto rank_b = static_cast<int64_t>(known_rank(n, 1, "apply legacy broadcasting with an axis"));
    const int64_t axis = given_axis < 0 ? given_axis + rank_a : given_axis;
    const int64_t trailing = rank_a - axis - rank_b;
    if (axis < 0 || trailing < 0)
      fail(ErrorKind::InvalidModel, describe(node(n)) + ": broadcast axis " + std::to_string(given_axis) +
                                        " does not fit ranks " + std::to_string(rank_a) + " and " +
                                        std::to_string(rank_b));
    if (trailing == 0) return;
    std::vector<int64_t> axes;
    for (int64_t i = 0; i < trailing; ++i) axes.push_back(rank_b + i);
    int unsqueezed = add_node(n, "Unsqueeze", {input_id(n, 1), int64_constant(n, "axes", axes)});
    node(n).inputs[1] = unsqueezed;
  }

  void gemm(size_t n) { node(n).attrs.erase("broadcast"); }  // opsets < 7; C broadcasts anyway

  // Read by a node or a graph output.
  bool is_read(int value) const {
    for (const Node& other : graph_.nodes)
      if (std::find(other.inputs.begin(), other.inputs.end(), value) != other.inputs.end()) return true;
    return std::find(graph_.outputs.begin(), graph_.outputs.end(), value) != graph_.outputs.end();
  }

  void batchnorm(size_t n) {
    if (opset_ < 9) {  // outputs 1-4 (running/saved statistics) were declared even in test mode
      std::vector<int>& outputs = node(n).outputs;
      for (size_t i = 1; i < outputs.size(); ++i)
        if (outputs[i] != kNoValue && is_read(outputs[i]))
          unsupported(n, "its training statistics (output " + std::to_string(i) + ") are read");
      if (!outputs.empty()) outputs.resize(1);
    }
    Attributes& attrs = node(n).attrs;
    attrs.erase("is_test");      // opsets < 7; tandem only infers
    if (attrs.has("spatial")) {  // opsets < 9
      bool spatial = attrs.get_int("spatial", 1) != 0;
      attrs.erase("spatial");
      if (!spatial && known_rank(n, 0, "check spatial=0") > 2)
        unsupported(n, "spatial=0 (per-activation statistics) is not supported");
    }
  }

  void dropout(size_t n) {
    node(n).attrs.erase("is_test");                 // opsets < 7
    if (opset_ < 12) node(n).attrs.erase("ratio");  // no effect at inference
  }

  void clip(size_t n) {
    if (opset_ >= 11) return;
    Attributes& attrs = node(n).attrs;
    if (attrs.has("min")) set_input(n, 1, scalar_like_input(n, "min", attrs.get_float("min", 0)));
    if (attrs.has("max")) set_input(n, 2, scalar_like_input(n, "max", attrs.get_float("max", 0)));
    attrs.erase("min");
    attrs.erase("max");
  }

  void pad(size_t n) {
    if (opset_ >= 11) return;
    Attributes& attrs = node(n).attrs;
    const char* pads_name = attrs.has("paddings") ? "paddings" : "pads";  // opset 1 says "paddings"
    if (!attrs.has(pads_name)) fail(ErrorKind::InvalidModel, describe(node(n)) + " has no pads attribute");
    ints_attribute_to_input(n, pads_name, 1);
    float value = attrs.get_float("value", 0.0f);
    attrs.erase("value");
    if (value != 0.0f && attrs.get_string("mode", "constant") == "constant")
      set_input(n, 2, scalar_like_input(n, "value", value));
  }

  void slice(size_t n) {
    if (opset_ >= 10) return;
    ints_attribute_to_input(n, "starts", 1);
    ints_attribute_to_input(n, "ends", 2);
    ints_attribute_to_input(n, "axes", 3);
  }

  void split(size_t n) {
    if (opset_ < 13) ints_attribute_to_input(n, "split", 1);
  }

  void squeeze_axes(size_t n) {
    if (opset_ < 13) ints_attribute_to_input(n, "axes", 1);
  }

  void concat(size_t n) {
    if (opset_ < 4 && !node(n).attrs.has("axis")) node(n).attrs.set("axis", int64_t{1});
  }

  void reshape(size_t n) {
    if (opset_ < 5) ints_attribute_to_input(n, "shape", 1);
  }

  // Opsets < 13 flatten the input to 2-D at `axis` (default 1) and normalise each
  // row; that equals opset 13's Softmax(axis=-1) when axis is the last dim, and
  // Reshape + Softmax(axis=-1) + Reshape back otherwise.
  void softmax(size_t n) {
    if (opset_ >= 13) return;
    const auto rank = static_cast<int64_t>(known_rank(n, 0, "rewrite opset-" + std::to_string(opset_) + " Softmax"));
    const int64_t given_axis = node(n).attrs.get_int("axis", 1);
    const int64_t axis = given_axis < 0 ? given_axis + rank : given_axis;
    if (axis < 0 || axis >= rank)
      fail(ErrorKind::InvalidModel, describe(node(n)) + ": axis " + std::to_string(given_axis) +
                                        " is out of range for rank " + std::to_string(rank));
    node(n).attrs.set("axis", int64_t{-1});
    if (axis == rank - 1) return;
    // Reshape to (d0, .., d_axis-1, rest) (0 copies a leading dim), normalise the
    // last dim, Reshape back: leading dims stay dynamic, trailing ones must be known.
    const int x = input_id(n, 0);
    const Shape x_shape = *facts_.shape(x);
    const Shape trailing(x_shape.begin() + axis, x_shape.end());
    if (std::find(trailing.begin(), trailing.end(), -1) != trailing.end())
      unsupported(n, "Softmax over axis " + std::to_string(axis) + " needs the input's dims from that axis on, " +
                         "but they are unknown: " + shape_str(x_shape));
    std::vector<int64_t> rows_shape(static_cast<size_t>(axis), 0), back_shape(static_cast<size_t>(axis), 0);
    rows_shape.push_back(-1);
    back_shape.insert(back_shape.end(), trailing.begin(), trailing.end());
    const int rows = add_node(n, "Reshape", {x, int64_constant(n, "rows_shape", rows_shape)});
    if (node(n).outputs.empty() || node(n).outputs[0] == kNoValue)
      fail(ErrorKind::InvalidModel, describe(node(n)) + " has no output");
    const int final_output = node(n).outputs[0];
    const int normalised = graph_.add_value(graph_.unique_name(graph_.value(final_output).name + "_rows"));
    node(n).inputs[0] = rows;
    node(n).outputs[0] = normalised;
    graph_.nodes.push_back(Node{node(n).name + "_Reshape_back",
                                "Reshape",
                                {normalised, int64_constant(n, "back_shape", back_shape)},
                                {final_output},
                                {}});
  }

  Graph& graph_;
  ValueFacts& facts_;
  int64_t opset_;
};

}  // namespace

void canonicalise_legacy_forms(Graph& graph, ValueFacts& facts) { Canonicaliser(graph, facts).run(); }

}  // namespace tandem
