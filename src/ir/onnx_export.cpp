// Graph -> ONNX ModelProto (ir_version 8, default-domain opset 17). Constants read by
// nodes or graph outputs become initializers; graph inputs keep their dtype and
// shape with dim 0 symbolic ("N") so that any batch runs; graph outputs likewise. The result is checked with
// onnx's checker before it is returned.
#include <onnx/checker.h>

#include <algorithm>
#include <fstream>
#include <set>
#include <unordered_map>

#include "ir/onnx_io.h"
#include "ir/onnx_proto.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {
namespace {

constexpr int64_t kExportIrVersion = 8;
constexpr int64_t kExportOpset = 17;

// Attributes the passes add for tandem's own kernels; ONNX has no such thing.
const std::set<std::string>& internal_attributes() {
  static const std::set<std::string> names = {"activation", "activation_alpha", "activation_beta"};
  return names;
}

// Output shapes for the model's value_info: the graph's own or, when it has not been
// shape-inferred yet, those inferred on a copy (unknown input dims set to 1).
std::vector<Shape> output_shapes(const Graph& graph) {
  std::vector<Shape> shapes;
  for (int id : graph.outputs) shapes.push_back(graph.value(id).shape);
  if (std::none_of(shapes.begin(), shapes.end(), [](const Shape& s) { return s.empty(); })) return shapes;
  Graph copy = graph;  // tensors share storage: cheap
  for (int id : copy.inputs)
    for (int64_t& d : copy.value(id).shape) d = d < 0 ? 1 : d;
  try {
    copy.sort_topologically();
    infer_shapes(copy);
  } catch (const Error&) {
    return shapes;
  }
  for (size_t i = 0; i < shapes.size(); ++i) shapes[i] = copy.value(copy.outputs[i]).shape;
  return shapes;
}

class ModelWriter {
 public:
  explicit ModelWriter(const Graph& graph) : graph_(graph) { assign_names(); }

  onnx::ModelProto write() {
    onnx::ModelProto model;
    model.set_ir_version(kExportIrVersion);
    model.set_producer_name("tandem");
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kExportOpset);
    onnx::GraphProto& g = *model.mutable_graph();
    g.set_name(graph_.name.empty() ? "tandem" : graph_.name);
    for (int id : graph_.inputs) write_value_info(id, graph_.value(id).shape, *g.add_input());
    const std::vector<Shape> shapes = output_shapes(graph_);
    for (size_t i = 0; i < shapes.size(); ++i) write_value_info(graph_.outputs[i], shapes[i], *g.add_output());
    for (const Node& node : graph_.nodes) write_node(node, *g.add_node());
    write_initializers(g);
    return model;
  }

 private:
  // Values get their own names, made unique where two values share one.
  void assign_names() {
    std::set<std::string> taken;
    names_.resize(graph_.values.size());
    for (size_t id = 0; id < graph_.values.size(); ++id) {
      std::string stem = graph_.values[id].name.empty() ? std::to_string(id) + "_unnamed" : graph_.values[id].name;
      std::string name = stem;
      for (int k = 1; !taken.insert(name).second; ++k) name = stem + "_" + std::to_string(k);
      names_[id] = name;
    }
  }

  const std::string& name_of(int id) {
    used_.insert(id);
    return names_.at(static_cast<size_t>(id));
  }

  // dim 0 is written as the symbolic batch "N", unknown dims as other symbols.
  void write_value_info(int id, const Shape& dims, onnx::ValueInfoProto& info) {
    info.set_name(name_of(id));
    auto* type = info.mutable_type()->mutable_tensor_type();
    type->set_elem_type(onnx_elem_type(graph_.value(id).dtype));
    auto* shape = type->mutable_shape();
    for (size_t i = 0; i < dims.size(); ++i) {
      auto* dim = shape->add_dim();
      if (i == 0)
        dim->set_dim_param("N");
      else if (dims[i] < 0)
        dim->set_dim_param(std::to_string(i) + "_dim");
      else
        dim->set_dim_value(dims[i]);
    }
  }

  void write_node(const Node& node, onnx::NodeProto& proto) {
    proto.set_name(node.name);
    proto.set_op_type(node.op);
    for (int id : node.inputs) proto.add_input(id == kNoValue ? std::string() : name_of(id));
    for (int id : node.outputs) proto.add_output(id == kNoValue ? std::string() : name_of(id));
    for (const auto& [name, value] : node.attrs.all()) {
      if (internal_attributes().count(name))
        fail(ErrorKind::Internal, describe(node) + " carries tandem's internal attribute '" + name +
                                      "'; export the graph before optimisation");
      attribute_to_proto(name, value, *proto.add_attribute());
    }
  }

  void write_initializers(onnx::GraphProto& g) {
    for (int id : used_) {
      const Value& v = graph_.value(id);
      if (v.is_constant()) tensor_to_proto(*v.data, names_[static_cast<size_t>(id)], *g.add_initializer());
    }
  }

  const Graph& graph_;
  std::vector<std::string> names_;
  std::set<int> used_;  // ordered: initializers come out in value order
};

}  // namespace

std::string export_onnx_bytes(const Graph& graph) {
  onnx::ModelProto model = ModelWriter(graph).write();
  if (model.ByteSizeLong() > kMaxProtoBytes)
    fail(ErrorKind::Unsupported,
         "graph '" + graph.name + "' is larger than 2 GiB; ONNX external data is not supported");
  try {
    onnx::checker::check_model(model);
  } catch (const std::exception& e) {
    fail(ErrorKind::Internal, "exported graph '" + graph.name + "' fails onnx's checker: " + e.what());
  }
  std::string bytes;
  if (!model.SerializeToString(&bytes)) fail(ErrorKind::Internal, "serialising graph '" + graph.name + "' failed");
  return bytes;
}

void export_onnx_file(const Graph& graph, const std::string& path) {
  std::string bytes = export_onnx_bytes(graph);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) fail(ErrorKind::Io, "cannot write '" + path + "'");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) fail(ErrorKind::Io, "writing '" + path + "' failed");
}

}  // namespace tandem
