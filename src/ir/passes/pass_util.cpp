// Small graph queries and edits shared by the passes.
#include "ir/passes/pass_util.h"

#include <algorithm>

namespace tandem {

bool is_graph_output(const Graph& graph, int value) {
  return std::find(graph.outputs.begin(), graph.outputs.end(), value) != graph.outputs.end();
}

bool is_used(const Graph& graph, const Readers& readers, int value) {
  return !readers.at(static_cast<size_t>(value)).empty() || is_graph_output(graph, value);
}

bool read_only_by(const Graph& graph, const Readers& readers, int value, int reader) {
  const std::vector<int>& users = readers.at(static_cast<size_t>(value));
  return std::all_of(users.begin(), users.end(), [&](int user) { return user == reader; }) && !users.empty() &&
         !is_graph_output(graph, value);
}

const Tensor* constant_f32_input(const Graph& graph, const Node& node, size_t i) {
  const Value* v = graph.input(node, i);
  if (!v || !v->is_constant() || v->data->dtype() != DType::f32) return nullptr;
  return &*v->data;
}

void erase_nodes(Graph& graph, const std::vector<bool>& remove) {
  std::vector<Node> kept;
  kept.reserve(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (!remove[n]) kept.push_back(std::move(graph.nodes[n]));
  graph.nodes = std::move(kept);
}

}  // namespace tandem
