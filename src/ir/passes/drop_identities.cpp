// Removes Identity nodes and inference-mode Dropout nodes. A consumer of the
// dropped node's output reads its input instead; when that output is a graph output
// (whose name must survive), the input's producer writes the output directly.
#include <algorithm>

#include "ir/passes/pass_util.h"
#include "ir/passes/passes.h"

namespace tandem {
namespace {

// Dropout's optional training_mode input (2) is absent or a constant false.
bool dropout_in_inference_mode(const Graph& graph, const Node& node) {
  const Value* training = graph.input(node, 2);
  if (!training) return true;
  if (!training->is_constant()) return false;
  std::vector<int64_t> flags = training->data->to_int64s();
  return std::all_of(flags.begin(), flags.end(), [](int64_t f) { return f == 0; });
}

bool passes_input_through(const Graph& graph, const Readers& readers, const Node& node) {
  if (node.inputs.empty() || node.inputs[0] == kNoValue || node.outputs.empty() || node.outputs[0] == kNoValue)
    return false;
  if (node.op == "Identity") return node.outputs.size() == 1;
  if (node.op != "Dropout" || !dropout_in_inference_mode(graph, node)) return false;
  // The mask output (1) must be absent or unused.
  return node.outputs.size() < 2 || node.outputs[1] == kNoValue || !is_used(graph, readers, node.outputs[1]);
}

// Rewires around node n; false when it must stay (a graph output fed straight from
// a graph input, a constant or another graph output).
bool bypass(Graph& graph, const std::vector<int>& producers, int n) {
  const int in = graph.nodes[static_cast<size_t>(n)].inputs[0];
  const int out = graph.nodes[static_cast<size_t>(n)].outputs[0];
  if (!is_graph_output(graph, out)) {
    graph.replace_uses(out, in);
    return true;
  }
  const int producer = producers[static_cast<size_t>(in)];
  if (producer < 0 || is_graph_output(graph, in)) return false;
  std::vector<int>& producer_outputs = graph.nodes[static_cast<size_t>(producer)].outputs;
  std::replace(producer_outputs.begin(), producer_outputs.end(), in, out);
  graph.replace_uses(in, out);
  return true;
}

// For each value, the index of the node (not yet removed) producing it, or -1.
std::vector<int> live_producers(const Graph& graph, const std::vector<bool>& removed) {
  std::vector<int> producers(graph.values.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (!removed[n])
      for (int out : graph.nodes[n].outputs)
        if (out != kNoValue) producers[static_cast<size_t>(out)] = static_cast<int>(n);
  return producers;
}

}  // namespace

void drop_identities(Graph& graph) {
  const Readers readers = graph.consumers();
  std::vector<bool> remove(graph.nodes.size(), false);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (passes_input_through(graph, readers, graph.nodes[n]))
      remove[n] = bypass(graph, live_producers(graph, remove), static_cast<int>(n));
  erase_nodes(graph, remove);
}

}  // namespace tandem
