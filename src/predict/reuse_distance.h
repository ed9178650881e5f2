// Reuse distances of a node's memory: how many bytes a run of its graph reads or
// writes between the last use of that memory and the node. Small: the memory is still
// in the caches when the node reads its input or writes its output. Nodes run in graph
// order; activations share one arena planned as backends plan theirs (core/memory_plan.h:
// a value lives from its writer to its last reader), constants, graph inputs and graph
// outputs have memory of their own.
#pragma once
#include <vector>

#include "ir/graph.h"

namespace tandem {

struct ReuseDistances {
  // Per node: bytes between the write of its first input and the node (its producer's
  // other inputs and weights, and every value the nodes in between read or wrote,
  // each once). A graph input was last read a run before: graph_bytes.
  std::vector<double> input;
  // Per node: bytes between the last use of the arena memory its first output is
  // written to and the node (in a chain, the node before read it: small). A graph
  // output, or memory first used by this node, was last touched a run before:
  // graph_bytes.
  std::vector<double> output;
};

// `producers` and `consumers` as Graph::producers() and Graph::consumers() give them;
// `graph_bytes` is what one run reads and writes, each value once, plus anything read
// between two runs (which every distance spanning two runs includes).
ReuseDistances reuse_distances(const Graph& graph, const std::vector<int>& producers,
                               const std::vector<std::vector<int>>& consumers, double graph_bytes);

}  // namespace tandem
