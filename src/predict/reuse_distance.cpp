// Reuse distances of nodes' inputs and outputs, from the graph order and an arena plan.
#include "predict/reuse_distance.h"

#include <algorithm>

#include "core/memory_plan.h"

namespace tandem {

namespace {

double bytes_of(const Graph& graph, int v) { return static_cast<double>(value_bytes(graph.values[static_cast<size_t>(v)])); }

// Bytes of the values nodes [first, last) read or write, each once, leaving out the
// values `skip` marks.
double bytes_touched(const Graph& graph, size_t first, size_t last, std::vector<bool> skip) {
  double bytes = 0;
  auto touch = [&](int v) {
    if (v == kNoValue || skip[static_cast<size_t>(v)]) return;
    skip[static_cast<size_t>(v)] = true;
    bytes += bytes_of(graph, v);
  };
  for (size_t k = first; k < last; ++k) {
    for (int v : graph.nodes[k].inputs) touch(v);
    for (int v : graph.nodes[k].outputs) touch(v);
  }
  return bytes;
}

double input_distance(const Graph& graph, size_t n, const std::vector<int>& producers, double graph_bytes) {
  const Node& node = graph.nodes[n];
  if (node.inputs.empty() || node.inputs[0] == kNoValue) return 0;
  const int p = producers[static_cast<size_t>(node.inputs[0])];
  if (p < 0) return graph_bytes;
  std::vector<bool> skip(graph.values.size(), false);
  skip[static_cast<size_t>(node.inputs[0])] = true;
  return bytes_touched(graph, static_cast<size_t>(p), n, std::move(skip));
}

// The arena: every value a node writes that is not a graph output, alive from its
// writer to its last reader.
struct Arena {
  std::vector<int> values;               // arena values, in plan order
  std::vector<BufferLifetime> lifetimes;  // per arena value
  MemoryPlan plan;
  std::vector<int> index;  // per graph value: its position in `values`, -1 outside the arena
};

Arena plan_arena(const Graph& graph, const std::vector<int>& producers,
                 const std::vector<std::vector<int>>& consumers) {
  Arena arena;
  arena.index.assign(graph.values.size(), -1);
  std::vector<bool> graph_output(graph.values.size(), false);
  for (int v : graph.outputs)
    if (v != kNoValue) graph_output[static_cast<size_t>(v)] = true;
  for (size_t v = 0; v < graph.values.size(); ++v) {
    if (producers[v] < 0 || graph_output[v]) continue;
    int last = producers[v];
    for (int c : consumers[v]) last = std::max(last, c);
    arena.index[v] = static_cast<int>(arena.values.size());
    arena.values.push_back(static_cast<int>(v));
    arena.lifetimes.push_back({value_bytes(graph.values[v]), producers[v], last});
  }
  arena.plan = plan_memory(arena.lifetimes);
  return arena;
}

double output_distance(const Graph& graph, size_t n, const Arena& arena, double graph_bytes) {
  const Node& node = graph.nodes[n];
  if (node.outputs.empty() || node.outputs[0] == kNoValue) return 0;
  const int own = arena.index[static_cast<size_t>(node.outputs[0])];
  if (own < 0) return graph_bytes;
  const auto begin = arena.plan.offsets[static_cast<size_t>(own)];
  const auto end = begin + std::max<size_t>(1, arena.lifetimes[static_cast<size_t>(own)].bytes);
  // The last step before n that used memory overlapping the output's, and those values.
  int last_use = -1;
  std::vector<bool> overlapping(graph.values.size(), false);
  for (size_t a = 0; a < arena.values.size(); ++a) {
    const size_t start = arena.plan.offsets[a], stop = start + std::max<size_t>(1, arena.lifetimes[a].bytes);
    if (stop <= begin || end <= start || arena.lifetimes[a].last_step >= static_cast<int>(n)) continue;
    overlapping[static_cast<size_t>(arena.values[a])] = true;
    last_use = std::max(last_use, arena.lifetimes[a].last_step);
  }
  if (last_use < 0) return graph_bytes;
  overlapping[static_cast<size_t>(node.outputs[0])] = true;
  return bytes_touched(graph, static_cast<size_t>(last_use), n, std::move(overlapping));
}

}  // namespace

ReuseDistances reuse_distances(const Graph& graph, const std::vector<int>& producers,
                               const std::vector<std::vector<int>>& consumers, double graph_bytes) {
  const Arena arena = plan_arena(graph, producers, consumers);
  ReuseDistances d;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    d.input.push_back(input_distance(graph, n, producers, graph_bytes));
    d.output.push_back(output_distance(graph, n, arena, graph_bytes));
  }
  return d;
}

}  // namespace tandem
