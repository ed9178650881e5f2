// From a loaded model to a graph ready to compile: input shapes (batch), shape
// inference and the optimisation passes.
#pragma once
#include <map>
#include <string>

#include "ir/graph.h"

namespace tandem {

// A model argument is a path to an ONNX file or the name of a zoo model.
Graph load_model(const std::string& model);

struct PrepareOptions {
  int64_t batch = 0;                          // 0: keep the model's (symbolic -> 1)
  std::map<std::string, Shape> input_shapes;  // overrides per input name
  bool optimize = true;
};

void prepare_graph(Graph& graph, const PrepareOptions& options);

}  // namespace tandem
