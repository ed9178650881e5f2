// AttributeProto <-> AttributeValue. Old models may leave an attribute's type
// unset; its kind is then read from whichever field is filled.
#include "ir/onnx_proto.h"
#include "tandem/error.h"

namespace tandem {

using onnx::AttributeProto;

// The declared type, or the one implied by the filled field for untyped attributes.
static AttributeProto::AttributeType kind_of(const AttributeProto& a) {
  if (a.type() != AttributeProto::UNDEFINED) return a.type();
  if (a.has_f()) return AttributeProto::FLOAT;
  if (a.has_i()) return AttributeProto::INT;
  if (a.has_s()) return AttributeProto::STRING;
  if (a.has_t()) return AttributeProto::TENSOR;
  if (a.has_g()) return AttributeProto::GRAPH;
  if (a.floats_size() > 0) return AttributeProto::FLOATS;
  if (a.ints_size() > 0) return AttributeProto::INTS;
  if (a.strings_size() > 0) return AttributeProto::STRINGS;
  return AttributeProto::UNDEFINED;
}

AttributeValue attribute_from_proto(const AttributeProto& a, const std::string& context) {
  std::string where = context + ", attribute '" + a.name() + "'";
  if (!a.ref_attr_name().empty())
    fail(ErrorKind::Unsupported, where + " refers to a function attribute, which tandem does not support");
  switch (kind_of(a)) {
    case AttributeProto::FLOAT:
      return a.f();
    case AttributeProto::INT:
      return a.i();
    case AttributeProto::STRING:
      return a.s();
    case AttributeProto::TENSOR:
      return tensor_from_proto(a.t(), where);
    case AttributeProto::FLOATS:
      return std::vector<float>(a.floats().begin(), a.floats().end());
    case AttributeProto::INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case AttributeProto::STRINGS:
      return std::vector<std::string>(a.strings().begin(), a.strings().end());
    case AttributeProto::UNDEFINED:
      fail(ErrorKind::InvalidModel, where + " has no value");
    default:
      break;
  }
  fail(ErrorKind::Unsupported,
       where + " is of type " + AttributeProto::AttributeType_Name(a.type()) + ", which tandem does not support");
}

namespace {

// Fills one AttributeProto from each alternative of AttributeValue.
struct AttributeWriter {
  AttributeProto& proto;
  void operator()(int64_t v) {
    proto.set_type(AttributeProto::INT);
    proto.set_i(v);
  }
  void operator()(float v) {
    proto.set_type(AttributeProto::FLOAT);
    proto.set_f(v);
  }
  void operator()(const std::string& v) {
    proto.set_type(AttributeProto::STRING);
    proto.set_s(v);
  }
  void operator()(const std::vector<int64_t>& v) {
    proto.set_type(AttributeProto::INTS);
    for (int64_t x : v) proto.add_ints(x);
  }
  void operator()(const std::vector<float>& v) {
    proto.set_type(AttributeProto::FLOATS);
    for (float x : v) proto.add_floats(x);
  }
  void operator()(const std::vector<std::string>& v) {
    proto.set_type(AttributeProto::STRINGS);
    for (const std::string& x : v) proto.add_strings(x);
  }
  void operator()(const Tensor& v) {
    proto.set_type(AttributeProto::TENSOR);
    tensor_to_proto(v, "", *proto.mutable_t());
  }
};

}  // namespace

void attribute_to_proto(const std::string& name, const AttributeValue& value, AttributeProto& proto) {
  proto.set_name(name);
  std::visit(AttributeWriter{proto}, value);
}

}  // namespace tandem
