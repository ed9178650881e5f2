// ONNX ModelProto -> Graph. Checks the file (protobuf, ir_version, graph, opset),
// turns initializers and Constant nodes into constant values, gives graph inputs
// their dtype and shape (symbolic or missing dims -> -1), resolves every node input
// (a value nobody produces is an InvalidModel error naming node and value), refuses
// ops tandem lacks, then rewrites legacy op forms and sorts the graph.
#include <memory>
#include <set>
#include <unordered_map>

#include "ir/onnx_io.h"
#include "ir/onnx_legacy.h"
#include "ir/onnx_proto.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {

namespace {

constexpr int64_t kOldestOpset = 1;
constexpr int64_t kNewestOpset = 17;

bool is_default_domain(const std::string& domain) { return domain.empty() || domain == "ai.onnx"; }

[[noreturn]] void fail_not_onnx(const std::string& source) {
  fail(ErrorKind::InvalidModel, "'" + source + "' is not a valid ONNX model (protobuf parsing failed: " +
                                    "the file is corrupt, truncated or not ONNX)");
}

void check_model_header(const onnx::ModelProto& model, const std::string& source) {
  if (model.ir_version() <= 0 || !model.has_graph())
    fail(ErrorKind::InvalidModel, "'" + source + "' is not a valid ONNX model (no ir_version or no graph; " +
                                      "the file may be truncated or not ONNX)");
}

int64_t default_opset(const onnx::ModelProto& model, const std::string& source) {
  for (const auto& entry : model.opset_import()) {
    if (!is_default_domain(entry.domain())) continue;
    if (entry.version() < kOldestOpset || entry.version() > kNewestOpset)
      fail(ErrorKind::Unsupported, "'" + source + "' uses opset " + std::to_string(entry.version()) +
                                       " of the default ONNX domain; tandem reads opsets " +
                                       std::to_string(kOldestOpset) + " to " + std::to_string(kNewestOpset));
    return entry.version();
  }
  fail(ErrorKind::InvalidModel,
       "'" + source + "' declares no opset for the default ONNX domain " + "(the file may be truncated)");
}

// dims of a value_info (dim_param or a missing dim -> -1); nullopt without a shape.
std::optional<Shape> shape_of(const onnx::ValueInfoProto& info) {
  const auto& type = info.type().tensor_type();
  if (!type.has_shape()) return std::nullopt;
  Shape shape;
  for (const auto& dim : type.shape().dim())
    shape.push_back(dim.has_dim_value() && dim.dim_value() >= 0 ? dim.dim_value() : -1);
  return shape;
}

// The Constant node forms: a tensor or (opset 12+) a float/int (list) attribute.
// A wrong attribute type is an InvalidModel error from the typed getters.
Tensor constant_node_value(const onnx::NodeProto& proto, const std::string& context) {
  if (proto.attribute_size() != 1) fail(ErrorKind::InvalidModel, context + " must have exactly one attribute");
  const std::string& name = proto.attribute(0).name();
  Attributes attrs;
  attrs.set(name, attribute_from_proto(proto.attribute(0), context));
  if (name == "value") {
    if (const Tensor* t = attrs.get_tensor(name)) return *t;
  } else if (name == "value_float") {
    return Tensor::from<float>({}, {attrs.get_float(name, 0)});
  } else if (name == "value_floats") {
    std::vector<float> v = attrs.get_floats(name);
    return Tensor::from<float>({static_cast<int64_t>(v.size())}, v);
  } else if (name == "value_int") {
    return Tensor::from<int64_t>({}, {attrs.get_int(name, 0)});
  } else if (name == "value_ints") {
    std::vector<int64_t> v = attrs.get_ints(name);
    return Tensor::from<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  fail(ErrorKind::Unsupported, context + ": attribute '" + name + "' is not supported");
}

class ModelReader {
 public:
  // Frees the data of large initializers in `model` as it copies them.
  ModelReader(onnx::ModelProto& model, std::string source)
      : model_(model), proto_(*model.mutable_graph()), source_(std::move(source)) {}

  Graph read() {
    graph_.name = proto_.name();
    graph_.opset = default_opset(model_, source_);
    if (proto_.sparse_initializer_size() > 0)
      fail(ErrorKind::Unsupported, "'" + source_ + "' has sparse initializers, which tandem does not support");
    read_initializers();
    read_inputs();
    declare_node_outputs();
    for (int i = 0; i < proto_.node_size(); ++i) read_node(proto_.node(i), i);
    read_outputs();
    return std::move(graph_);
  }

 private:
  int declare(const std::string& name, const std::string& role) {
    if (ids_.count(name))
      fail(ErrorKind::InvalidModel, "'" + source_ + "': value '" + name + "' is defined twice (" + role + ")");
    int id = graph_.add_value(name);
    ids_[name] = id;
    return id;
  }

  void read_initializers() {
    for (onnx::TensorProto& init : *proto_.mutable_initializer()) {
      if (init.name().empty()) fail(ErrorKind::InvalidModel, "'" + source_ + "' has an initializer without a name");
      int id = declare(init.name(), "initializer");
      Tensor data = tensor_from_proto(init, "initializer '" + init.name() + "'");
      if (data.numel() > kLargeInitializerElements) init.clear_raw_data();
      graph_.value(id).dtype = data.dtype();
      graph_.value(id).shape = data.shape();
      graph_.value(id).data = std::move(data);
    }
  }

  // Graph inputs that are initializers (old exporters list them) stay constants.
  void read_inputs() {
    for (const onnx::ValueInfoProto& info : proto_.input()) {
      if (ids_.count(info.name()) && graph_.value(ids_.at(info.name())).is_constant()) continue;
      std::string context = "graph input '" + info.name() + "'";
      if (!info.type().has_tensor_type())
        fail(ErrorKind::Unsupported, context + " is not a tensor (sequence, map and optional types are not supported)");
      int id = declare(info.name(), "graph input");
      graph_.value(id).dtype = dtype_from_onnx(info.type().tensor_type().elem_type(), context);
      graph_.value(id).shape = shape_of(info).value_or(Shape{});
      graph_.inputs.push_back(id);
    }
  }

  void declare_node_outputs() {
    for (const onnx::NodeProto& node : proto_.node())
      for (const std::string& out : node.output())
        if (!out.empty()) declare(out, "output of node '" + node.name() + "'");
  }

  std::string node_name(const onnx::NodeProto& proto, int index) {
    const std::string synthetic = proto.op_type() + "_" + std::to_string(index);  // "Conv_3"
    std::string name = proto.name().empty() ? synthetic : proto.name();
    for (int k = 1; !node_names_.insert(name).second; ++k) name = synthetic + "_" + std::to_string(k);
    return name;
  }

  void read_node(const onnx::NodeProto& proto, int index) {
    Node node{node_name(proto, index), proto.op_type(), {}, {}, {}};
    std::string where = describe(node) + " (opset " + std::to_string(graph_.opset) + ")";
    if (!is_default_domain(proto.domain()))
      fail(ErrorKind::Unsupported,
           where + " is from domain '" + proto.domain() + "'; tandem reads only the default ONNX domain");
    if (proto.op_type() == "Constant") return read_constant_node(proto, where);
    if (!find_op(proto.op_type())) fail(ErrorKind::Unsupported, "unsupported op " + where);
    for (const std::string& in : proto.input()) node.inputs.push_back(in.empty() ? kNoValue : resolve(in, node));
    for (const std::string& out : proto.output()) node.outputs.push_back(out.empty() ? kNoValue : ids_.at(out));
    for (const onnx::AttributeProto& a : proto.attribute()) {
      if (a.name().empty()) fail(ErrorKind::InvalidModel, where + " has an attribute without a name");
      node.attrs.set(a.name(), attribute_from_proto(a, where));
    }
    graph_.nodes.push_back(std::move(node));
  }

  void read_constant_node(const onnx::NodeProto& proto, const std::string& where) {
    if (proto.output_size() != 1 || proto.input_size() != 0)
      fail(ErrorKind::InvalidModel, where + " must have no inputs and one output");
    Value& value = graph_.value(ids_.at(proto.output(0)));
    value.data = constant_node_value(proto, where);
    value.dtype = value.data->dtype();
    value.shape = value.data->shape();
  }

  int resolve(const std::string& name, const Node& node) {
    auto it = ids_.find(name);
    if (it == ids_.end())
      fail(ErrorKind::InvalidModel,
           describe(node) + " reads '" + name + "', which no node, initializer or graph input provides");
    return it->second;
  }

  void read_outputs() {
    for (const onnx::ValueInfoProto& info : proto_.output()) {
      auto it = ids_.find(info.name());
      if (it == ids_.end())
        fail(ErrorKind::InvalidModel,
             "graph output '" + info.name() + "' is not produced by any node, initializer or graph input");
      graph_.outputs.push_back(it->second);
    }
    if (graph_.outputs.empty()) fail(ErrorKind::InvalidModel, "'" + source_ + "' has no graph outputs");
  }

  const onnx::ModelProto& model_;
  onnx::GraphProto& proto_;
  std::string source_;
  Graph graph_;
  std::unordered_map<std::string, int> ids_;
  std::set<std::string> node_names_;
};

Graph import_model(onnx::ModelProto& model, const std::string& source) {
  check_model_header(model, source);
  Graph graph = ModelReader(model, source).read();
  std::unique_ptr<ValueFacts> facts = make_onnx_value_facts(graph, model);
  canonicalise_legacy_forms(graph, *facts);
  graph.sort_topologically();
  return graph;
}

}  // namespace

Graph import_onnx_bytes(const std::string& bytes, const std::string& source_name) {
  if (bytes.empty()) fail(ErrorKind::InvalidModel, "'" + source_name + "' is empty, not an ONNX model");
  if (bytes.size() > kMaxProtoBytes)
    fail(ErrorKind::InvalidModel, "'" + source_name + "' is larger than protobuf's 2 GiB limit");
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes)) fail_not_onnx(source_name);
  return import_model(model, source_name);
}

Graph import_onnx_file(const std::string& path) {
  onnx::ModelProto model;
  if (!parse_proto_file(path, "model", ErrorKind::InvalidModel, model)) fail_not_onnx(path);
  return import_model(model, path);
}

}  // namespace tandem
