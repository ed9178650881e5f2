// ONNX model files in and out (opsets 7 to 17). Import checks everything it reads:
// a corrupt or truncated file, a missing initializer or an unsupported op is an
// Error naming the cause (and the node, op type and opset where there is one).
#pragma once
#include <string>

#include "ir/graph.h"

namespace tandem {

Graph import_onnx_file(const std::string& path);
Graph import_onnx_bytes(const std::string& bytes, const std::string& source_name);

// Writes a graph (as built by the zoo or imported) as an ONNX model that onnx's
// checker accepts and onnxruntime runs. Internal fused attributes are not allowed:
// export before optimisation.
void export_onnx_file(const Graph& graph, const std::string& path);
std::string export_onnx_bytes(const Graph& graph);

}  // namespace tandem
