// Conversions between onnx protobuf messages and tandem's tensors, dtypes and
// attributes, shared by the ONNX importer and exporter. Only ir/onnx_*.cpp include
// this header (it pulls in the generated protobuf classes).
#pragma once
#include <onnx/onnx_pb.h>

#include <cstdint>
#include <string>

#include "ir/graph.h"
#include "tandem/error.h"

namespace tandem {

// Largest file the importer reads: protobuf cannot parse messages of 2 GiB or more.
inline constexpr size_t kMaxProtoBytes = (size_t{1} << 31) - 1;
// Initializers above this many elements are weights: the importer frees their proto
// data once copied, and onnx's shape inference sees only their dims.
inline constexpr int64_t kLargeInitializerElements = 4096;

// Parses the file at `path` into `message`; false when protobuf parsing fails.
// Error(Io) if unreadable; Error(bad_content) if empty or larger than kMaxProtoBytes.
// `what` names the file's role in messages ("model").
bool parse_proto_file(const std::string& path, const std::string& what, ErrorKind bad_content,
                      google::protobuf::MessageLite& message);

// ONNX element type -> DType; Error(Unsupported) naming `context` for types tandem
// does not hold (string, bfloat16, complex, unsigned 16/32/64, int16).
DType dtype_from_onnx(int32_t elem_type, const std::string& context);
int32_t onnx_elem_type(DType dtype);
std::string onnx_elem_type_name(int32_t elem_type);

// TensorProto -> Tensor, checking that the data matches dims and dtype. `context`
// names the tensor's role in messages ("initializer 'conv1.weight'").
Tensor tensor_from_proto(const onnx::TensorProto& proto, const std::string& context);
void tensor_to_proto(const Tensor& tensor, const std::string& name, onnx::TensorProto& proto);

// AttributeProto -> AttributeValue; Error(Unsupported) for graph and sparse
// attributes, naming `context` (the node).
AttributeValue attribute_from_proto(const onnx::AttributeProto& proto, const std::string& context);
void attribute_to_proto(const std::string& name, const AttributeValue& value, onnx::AttributeProto& proto);

}  // namespace tandem
