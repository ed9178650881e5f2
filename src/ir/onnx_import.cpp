// PLACEHOLDER until ONNX import lands (owned by the onnx helper).
#include "ir/onnx_io.h"
#include "tandem/error.h"
namespace tandem {
Graph import_onnx_file(const std::string& path) { fail(ErrorKind::Unsupported, "onnx import not built yet: " + path); }
Graph import_onnx_bytes(const std::string&, const std::string& s) { fail(ErrorKind::Unsupported, "onnx import not built yet: " + s); }
void export_onnx_file(const Graph&, const std::string& path) { fail(ErrorKind::Unsupported, "onnx export not built yet: " + path); }
std::string export_onnx_bytes(const Graph&) { fail(ErrorKind::Unsupported, "onnx export not built yet"); }
}  // namespace tandem
