// HEFT-like list scheduling (Topcuoglu et al., 2002): rank every node by its upward
// rank (mean time over the devices that can run it, plus the most expensive path to
// the end with mean copy times), visit ready nodes highest rank first, and put each
// on the device where it would finish earliest, copies included, on a Timeline that
// follows schedule()'s rules (graph outputs count when they reach the host).
#include <algorithm>
#include <limits>

#include "plan/place.h"
#include "plan/timeline.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using plan_detail::is_unsupported;

double mean_node_us(const CostTable& costs, size_t n) {
  double sum = 0;
  int count = 0;
  for (double us : costs.node_us[n])
    if (!is_unsupported(us)) sum += us, ++count;
  return count ? sum / count : 0;
}

// Mean time to move `bytes` between the memories of two different devices.
double mean_copy_us(const CostTable& costs, double bytes) {
  const size_t devices = costs.devices.size();
  if (devices < 2) return 0;
  double sum = 0;
  for (size_t a = 0; a < devices; ++a)
    for (size_t b = 0; b < devices; ++b)
      if (a != b)
        sum += costs.copy_us(bytes, plan_detail::memory_of(costs, static_cast<int>(a)),
                             plan_detail::memory_of(costs, static_cast<int>(b)));
  return sum / static_cast<double>(devices * (devices - 1));
}

std::vector<double> upward_ranks(const Graph& graph, const CostTable& costs) {
  const auto readers = graph.consumers();
  std::vector<double> rank(graph.nodes.size(), 0);
  for (size_t n = graph.nodes.size(); n-- > 0;) {
    double tail = 0;
    for (int v : graph.nodes[n].outputs) {
      if (v == kNoValue) continue;
      double copy = mean_copy_us(costs, plan_detail::value_bytes(graph, v));
      for (int r : readers[static_cast<size_t>(v)])
        if (static_cast<size_t>(r) > n) tail = std::max(tail, copy + rank[static_cast<size_t>(r)]);
    }
    rank[n] = mean_node_us(costs, n) + tail;
  }
  return rank;
}

// Nodes in a topological order: among ready nodes, highest rank first (ties: lower index).
std::vector<size_t> visit_order(const Graph& graph, const std::vector<double>& rank) {
  const auto producers = graph.producers();
  std::vector<int> waiting(graph.nodes.size(), 0);
  std::vector<std::vector<size_t>> successors(graph.nodes.size());
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    std::vector<int> preds;
    for (int v : graph.nodes[n].inputs)
      if (v != kNoValue && producers[static_cast<size_t>(v)] >= 0) preds.push_back(producers[static_cast<size_t>(v)]);
    std::sort(preds.begin(), preds.end());
    preds.erase(std::unique(preds.begin(), preds.end()), preds.end());
    waiting[n] = static_cast<int>(preds.size());
    for (int p : preds) successors[static_cast<size_t>(p)].push_back(n);
  }
  std::vector<size_t> ready, order;
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (waiting[n] == 0) ready.push_back(n);
  while (!ready.empty()) {
    auto best = std::min_element(ready.begin(), ready.end(), [&](size_t a, size_t b) {
      return rank[a] != rank[b] ? rank[a] > rank[b] : a < b;
    });
    size_t n = *best;
    ready.erase(best);
    order.push_back(n);
    for (size_t s : successors[n])
      if (--waiting[s] == 0) ready.push_back(s);
  }
  if (order.size() != graph.nodes.size()) fail(ErrorKind::InvalidModel, "graph '" + graph.name + "' has a cycle");
  return order;
}

// Finish time of `node` on `device` after what `timeline` already holds; graph
// outputs it writes count when they are in host memory.
double finish_on(plan_detail::Timeline timeline, const Graph& graph, const std::vector<bool>& is_output, size_t node,
                 int device) {
  double finish = timeline.run(static_cast<int>(node), device);
  for (int v : graph.nodes[node].outputs)
    if (v != kNoValue && is_output[static_cast<size_t>(v)]) finish = std::max(finish, timeline.bring(v, plan_detail::kHost));
  return finish;
}

}  // namespace

Placement place_heft(const Graph& graph, const CostTable& costs) {
  plan_detail::check_cost_table(graph, costs);
  std::vector<bool> is_output(graph.values.size(), false);
  for (int v : graph.outputs)
    if (v != kNoValue) is_output[static_cast<size_t>(v)] = true;
  plan_detail::Timeline timeline(graph, costs);
  Placement placement(graph.nodes.size(), -1);
  for (size_t n : visit_order(graph, upward_ranks(graph, costs))) {
    double best_finish = std::numeric_limits<double>::infinity();
    for (size_t d = 0; d < costs.devices.size(); ++d) {
      if (is_unsupported(costs.node_us[n][d])) continue;
      double finish = finish_on(timeline, graph, is_output, n, static_cast<int>(d));
      if (finish < best_finish) best_finish = finish, placement[n] = static_cast<int>(d);
    }
    if (placement[n] < 0)
      fail(ErrorKind::Unsupported, describe(graph.nodes[n]) + " runs on none of the devices");
    timeline.run(static_cast<int>(n), placement[n]);
  }
  return placement;
}

}  // namespace tandem
