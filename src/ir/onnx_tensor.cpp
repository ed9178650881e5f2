// TensorProto <-> Tensor, ONNX element types <-> DType, and reading serialised
// protobuf files (models and the TensorProto files of ONNX's test data).
#include <bit>
#include <cstring>
#include <fstream>
#include <limits>

#include "ir/onnx_io.h"
#include "ir/onnx_proto.h"
#include "tandem/error.h"

namespace tandem {

static_assert(std::endian::native == std::endian::little, "ONNX raw_data is little-endian");

using onnx::TensorProto;

bool parse_proto_file(const std::string& path, const std::string& what, ErrorKind bad_content,
                      google::protobuf::MessageLite& message) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) fail(ErrorKind::Io, "cannot open " + what + " file '" + path + "'");
  const std::streamoff size = in.tellg();
  if (size < 0) fail(ErrorKind::Io, "cannot read " + what + " file '" + path + "'");
  if (size == 0) fail(bad_content, what + " file '" + path + "' is empty");
  if (static_cast<uint64_t>(size) > kMaxProtoBytes)
    fail(bad_content,
         what + " file '" + path + "' has " + std::to_string(size) + " bytes; protobuf files are limited to 2 GiB");
  in.seekg(0);
  return message.ParseFromIstream(&in);
}

DType dtype_from_onnx(int32_t elem_type, const std::string& context) {
  switch (elem_type) {
    case TensorProto::FLOAT:
      return DType::f32;
    case TensorProto::DOUBLE:
      return DType::f64;
    case TensorProto::FLOAT16:
      return DType::f16;
    case TensorProto::INT64:
      return DType::i64;
    case TensorProto::INT32:
      return DType::i32;
    case TensorProto::INT8:
      return DType::i8;
    case TensorProto::UINT8:
      return DType::u8;
    case TensorProto::BOOL:
      return DType::boolean;
    case TensorProto::UNDEFINED:
      fail(ErrorKind::InvalidModel, context + " has no element type");
    default:
      break;
  }
  fail(ErrorKind::Unsupported,
       context + " has element type " + onnx_elem_type_name(elem_type) + ", which tandem does not support");
}

int32_t onnx_elem_type(DType dtype) {
  switch (dtype) {
    case DType::f32:
      return TensorProto::FLOAT;
    case DType::f64:
      return TensorProto::DOUBLE;
    case DType::f16:
      return TensorProto::FLOAT16;
    case DType::i64:
      return TensorProto::INT64;
    case DType::i32:
      return TensorProto::INT32;
    case DType::i8:
      return TensorProto::INT8;
    case DType::u8:
      return TensorProto::UINT8;
    case DType::boolean:
      return TensorProto::BOOL;
  }
  return TensorProto::UNDEFINED;
}

std::string onnx_elem_type_name(int32_t elem_type) {
  if (!onnx::TensorProto_DataType_IsValid(elem_type)) return std::to_string(elem_type) + " (unknown)";
  std::string name = onnx::TensorProto_DataType_Name(static_cast<TensorProto::DataType>(elem_type));
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return name;
}

// dims -> Shape, refusing negative dims and element counts that overflow.
static Shape shape_of(const TensorProto& proto, const std::string& context) {
  Shape shape;
  int64_t count = 1;
  for (int64_t d : proto.dims()) {
    if (d < 0) fail(ErrorKind::InvalidModel, context + " has a negative dimension " + std::to_string(d));
    if (d > 0 && count > std::numeric_limits<int64_t>::max() / d)
      fail(ErrorKind::InvalidModel, context + " has too many elements");
    count *= d;
    shape.push_back(d);
  }
  return shape;
}

// Copies a repeated typed field into the tensor, narrowing each element to T.
template <class T, class Field>
static void copy_typed(const Field& field, Tensor& tensor, const std::string& context) {
  if (static_cast<int64_t>(field.size()) != tensor.numel())
    fail(ErrorKind::InvalidModel, context + " holds " + std::to_string(field.size()) + " values for shape " +
                                      shape_str(tensor.shape()) + " (" + std::to_string(tensor.numel()) + " elements)");
  T* out = static_cast<T*>(tensor.raw());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<T>(field.Get(i));
}

static void copy_typed_fields(const TensorProto& proto, Tensor& tensor, const std::string& context) {
  switch (tensor.dtype()) {
    case DType::f32:
      return copy_typed<float>(proto.float_data(), tensor, context);
    case DType::f64:
      return copy_typed<double>(proto.double_data(), tensor, context);
    case DType::i64:
      return copy_typed<int64_t>(proto.int64_data(), tensor, context);
    case DType::i32:
      return copy_typed<int32_t>(proto.int32_data(), tensor, context);
    case DType::i8:
      return copy_typed<int8_t>(proto.int32_data(), tensor, context);
    case DType::u8:
      return copy_typed<uint8_t>(proto.int32_data(), tensor, context);
    case DType::boolean:
      return copy_typed<bool>(proto.int32_data(), tensor, context);
    case DType::f16:
      return copy_typed<uint16_t>(proto.int32_data(), tensor, context);  // IEEE bits
  }
}

Tensor tensor_from_proto(const TensorProto& proto, const std::string& context) {
  if (proto.data_location() == TensorProto::EXTERNAL || proto.external_data_size() > 0)
    fail(ErrorKind::Unsupported, context + " keeps its data in an external file, which tandem does not read");
  if (proto.has_segment()) fail(ErrorKind::Unsupported, context + " is a segment of a tensor");
  DType dtype = dtype_from_onnx(proto.data_type(), context);
  Shape shape = shape_of(proto, context);
  if (proto.has_raw_data()) {
    // Check the size before allocating: dims in a corrupt file can be huge.
    if (proto.raw_data().size() / dtype_size(dtype) != static_cast<size_t>(num_elements(shape)) ||
        proto.raw_data().size() % dtype_size(dtype) != 0)
      fail(ErrorKind::InvalidModel, context + " holds " + std::to_string(proto.raw_data().size()) +
                                        " bytes of data; shape " + shape_str(shape) + " needs " +
                                        std::to_string(num_elements(shape)) + " elements of " + dtype_name(dtype));
    Tensor tensor(dtype, shape);
    if (tensor.nbytes() > 0) std::memcpy(tensor.raw(), proto.raw_data().data(), tensor.nbytes());
    return tensor;
  }
  int64_t typed_count = proto.float_data_size() + proto.double_data_size() + proto.int64_data_size() +
                        proto.int32_data_size() + proto.uint64_data_size();
  if (typed_count != num_elements(shape))
    fail(ErrorKind::InvalidModel, context + " holds " + std::to_string(typed_count) + " values for shape " +
                                      shape_str(shape) + " (" + std::to_string(num_elements(shape)) + " elements)");
  Tensor tensor(dtype, shape);
  copy_typed_fields(proto, tensor, context);
  return tensor;
}

void tensor_to_proto(const Tensor& tensor, const std::string& name, TensorProto& proto) {
  proto.set_name(name);
  proto.set_data_type(onnx_elem_type(tensor.dtype()));
  for (int64_t d : tensor.shape()) proto.add_dims(d);
  proto.set_raw_data(static_cast<const char*>(tensor.raw()), tensor.nbytes());
}

Tensor read_onnx_tensor_file(const std::string& path, std::string* name) {
  TensorProto proto;
  if (!parse_proto_file(path, "tensor", ErrorKind::InvalidInput, proto))
    fail(ErrorKind::InvalidInput, "'" + path + "' is not a serialised ONNX TensorProto (corrupt or truncated)");
  if (name) *name = proto.name();
  return tensor_from_proto(proto, "tensor '" + proto.name() + "' in '" + path + "'");
}

}  // namespace tandem
