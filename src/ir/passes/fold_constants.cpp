// Constant folding: walks the nodes in order, inferring each node's output shapes as
// it goes (so it also works before infer_shapes, on a graph whose input shapes are
// fixed), and evaluates with the reference kernels every node whose inputs are all
// constant, plus every Shape node whose input shape is known. Their outputs become
// constants and the nodes go; this removes the Shape -> Gather -> Unsqueeze -> Concat
// chains exporters put before Reshape. Nodes producing graph outputs are kept so
// that every graph output is still computed by a device.
#include <algorithm>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"
#include "ops/op.h"

namespace tandem {
namespace {

bool shape_is_known(const Value& value) {
  return std::all_of(value.shape.begin(), value.shape.end(), [](int64_t d) { return d >= 0; });
}

// Shape (opset 15 adds start/end, clamped like Python slices): the dims as int64.
Tensor shape_of_input(const Node& node, const Value& input) {
  const auto rank = static_cast<int64_t>(input.shape.size());
  auto clamp = [rank](int64_t i) { return std::clamp(i < 0 ? i + rank : i, int64_t{0}, rank); };
  const int64_t start = clamp(node.attrs.get_int("start", 0));
  const int64_t end = std::max(start, clamp(node.attrs.get_int("end", rank)));
  std::vector<int64_t> dims(input.shape.begin() + start, input.shape.begin() + end);
  return Tensor::from<int64_t>({static_cast<int64_t>(dims.size())}, dims);
}

std::vector<Tensor> evaluate(const Node& node, const Graph& graph) {
  if (node.op == "Shape") return {shape_of_input(node, *graph.input(node, 0))};
  std::vector<Tensor> inputs;
  for (int id : node.inputs) inputs.push_back(id == kNoValue ? Tensor() : *graph.value(id).data);
  return run_reference(node, graph, inputs);
}

class ConstantFolder {
 public:
  explicit ConstantFolder(Graph& graph) : graph_(graph), known_(graph.values.size(), false) {
    for (size_t id = 0; id < graph.values.size(); ++id) {
      const Value& v = graph.values[id];
      known_[id] =
          v.is_constant() || (std::count(graph.inputs.begin(), graph.inputs.end(), int(id)) && shape_is_known(v));
    }
  }

  void run() {
    std::vector<bool> folded(graph_.nodes.size(), false);
    for (size_t n = 0; n < graph_.nodes.size(); ++n) {
      const Node& node = graph_.nodes[n];
      const OpDef* def = find_op(node.op);
      if (!def || !inputs_known(node)) continue;  // its outputs stay unknown
      def->infer(node, graph_);
      for (int out : node.outputs)
        if (out != kNoValue) known_[static_cast<size_t>(out)] = true;
      if (foldable(node)) {
        store(node, evaluate(node, graph_));
        folded[n] = true;
      }
    }
    erase_nodes(graph_, folded);
  }

 private:
  bool inputs_known(const Node& node) const {
    return std::all_of(node.inputs.begin(), node.inputs.end(),
                       [&](int id) { return id == kNoValue || known_[static_cast<size_t>(id)]; });
  }

  bool foldable(const Node& node) const {
    for (int out : node.outputs)
      if (out != kNoValue && is_graph_output(graph_, out)) return false;
    if (node.op == "Shape") return true;  // its input's shape is known here
    return std::all_of(node.inputs.begin(), node.inputs.end(),
                       [&](int id) { return id == kNoValue || graph_.value(id).is_constant(); });
  }

  void store(const Node& node, std::vector<Tensor> results) {
    for (size_t i = 0; i < node.outputs.size(); ++i) {
      if (node.outputs[i] == kNoValue) continue;
      Value& v = graph_.value(node.outputs[i]);
      v.dtype = results.at(i).dtype();
      v.shape = results[i].shape();
      v.data = std::move(results[i]);
    }
  }

  Graph& graph_;
  std::vector<bool> known_;  // per value: shape (and dtype) known
};

}  // namespace

void fold_constants(Graph& graph) { ConstantFolder(graph).run(); }

}  // namespace tandem
