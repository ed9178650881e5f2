// Small graph queries and edits shared by the passes.
#pragma once
#include <vector>

#include "ir/graph.h"

namespace tandem {

using Readers = std::vector<std::vector<int>>;  // Graph::consumers(): value id -> node indices

bool is_graph_output(const Graph& graph, int value);
// Read by some node or a graph output.
bool is_used(const Graph& graph, const Readers& readers, int value);
// Read by node `reader` and nothing else (and not a graph output).
bool read_only_by(const Graph& graph, const Readers& readers, int value, int reader);
// Float32 constant data of input i of `node`, or nullptr (absent, not constant, other dtype).
const Tensor* constant_f32_input(const Graph& graph, const Node& node, size_t i);
// Removes the nodes flagged in `remove`; the others keep their order.
void erase_nodes(Graph& graph, const std::vector<bool>& remove);

}  // namespace tandem
