// Loading a model by path or zoo name, fixing input shapes, inferring shapes and
// running the optimisation passes.
#include "ir/prepare.h"

#include "ir/onnx_io.h"
#include "ir/passes/passes.h"
#include "ir/zoo/zoo.h"
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {

Graph load_model(const std::string& model) {
  if (find_zoo_model(model)) return build_zoo_model(model);
  return import_onnx_file(model);
}

static void fix_input_shape(Value& input, const PrepareOptions& options) {
  auto given = options.input_shapes.find(input.name);
  if (given != options.input_shapes.end()) {
    input.shape = given->second;
    return;
  }
  if (!input.shape.empty() && (options.batch > 0 || input.shape[0] < 0))
    input.shape[0] = options.batch > 0 ? options.batch : 1;
  for (int64_t d : input.shape)
    if (d < 0)
      fail(ErrorKind::InvalidInput, "input '" + input.name + "' has shape " + shape_str(input.shape) +
                                        " with an unknown dimension; give its shape explicitly");
}

void prepare_graph(Graph& graph, const PrepareOptions& options) {
  for (const auto& [name, shape] : options.input_shapes)
    if (graph.find_value(name) == kNoValue)
      fail(ErrorKind::InvalidInput, "model has no input named '" + name + "'");
  for (int id : graph.inputs) fix_input_shape(graph.value(id), options);
  graph.sort_topologically();
  fold_constants(graph);  // Reshape needs its target constant: fold Shape chains first
  infer_shapes(graph);
  if (options.optimize) optimize_graph(graph);
}

}  // namespace tandem
