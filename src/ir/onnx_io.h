// ONNX model files in and out. Import reads default-domain opsets 1 to 17 and
// rewrites legacy op forms into the opset-13+ forms the OpDefs implement. It checks
// everything it reads: a corrupt or truncated file, a missing initializer or an
// unsupported op is an Error naming the cause (and the node, op type and opset).
#pragma once
#include <string>

#include "ir/graph.h"

namespace tandem {

Graph import_onnx_file(const std::string& path);
Graph import_onnx_bytes(const std::string& bytes, const std::string& source_name);

// Writes a graph (as built by the zoo or imported) as an ONNX model (ir_version 8,
// opset 17) that onnx's checker accepts and onnxruntime runs; dim 0 of every graph
// input is written as the symbolic "N". Internal fused attributes are refused
// (Error Internal): export before optimisation.
void export_onnx_file(const Graph& graph, const std::string& path);
std::string export_onnx_bytes(const Graph& graph);

// Reads one serialised TensorProto (the input_*.pb / output_*.pb files of ONNX's
// test data). `name`, when given, receives the tensor's name (may be empty).
Tensor read_onnx_tensor_file(const std::string& path, std::string* name = nullptr);

}  // namespace tandem
