// Exact placement by dynamic programming over the topological order. Before each
// node, the state is, for every live tensor (produced or a graph input, read by a
// later node), the set of places (host memory, device memories) that already hold
// it; for a chain that is just the device of the last output. Placing a node adds
// its time plus the copies that bring its inputs to its device (through the host
// when they come from another device) and the copy of a graph output to the host.
// The cost is the serialised latency (serial_cost); states with equal contents keep
// the cheapest path. The planner gives up when one step needs more than max_states
// states: the live-tensor cut is too wide for exact search.
#include <algorithm>
#include <cstdint>
#include <map>

#include "plan/place.h"
#include "plan/timeline.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using plan_detail::kHost;
using Masks = std::vector<uint32_t>;  // per live tensor: bit 0 host, bit d+1 device d

constexpr size_t kMaxDeviceBits = 31;

uint32_t place_bit(int place) { return 1u << static_cast<unsigned>(place + 1); }

// Home place of a tensor held only where it was produced: the lowest set bit.
int only_place(uint32_t mask) {
  int bit = 0;
  while (!(mask & (1u << static_cast<unsigned>(bit)))) ++bit;
  return bit - 1;
}

struct Entry {
  Masks masks;
  double cost = 0;
  size_t parent = 0;
  int device = -1;
};

// Values (in ascending id order) that are live after each step: step 0 is before
// the first node, step i + 1 after node i.
struct Liveness {
  std::vector<std::vector<int>> live;
  std::vector<bool> is_output;
  std::vector<bool> is_graph_input;
  std::vector<int> producer;  // per value: its node (-1: none)
};

Liveness liveness(const Graph& graph) {
  std::vector<int> last_use(graph.values.size(), -1);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : plan_detail::transferable_inputs(graph, graph.nodes[n])) last_use[static_cast<size_t>(v)] = static_cast<int>(n);
  Liveness result;
  result.is_output.assign(graph.values.size(), false);
  for (int v : graph.outputs)
    if (v != kNoValue) result.is_output[static_cast<size_t>(v)] = true;
  result.producer = graph.producers();
  result.is_graph_input.assign(graph.values.size(), false);
  for (int v : graph.inputs) result.is_graph_input[static_cast<size_t>(v)] = true;
  std::vector<int> live;
  for (int v : graph.inputs)
    if (plan_detail::value_bytes(graph, v) > 0 && last_use[static_cast<size_t>(v)] >= 0) live.push_back(v);
  std::sort(live.begin(), live.end());
  live.erase(std::unique(live.begin(), live.end()), live.end());
  result.live.push_back(live);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    std::vector<int> next;
    for (int v : live)
      if (last_use[static_cast<size_t>(v)] > static_cast<int>(n)) next.push_back(v);
    for (int v : graph.nodes[n].outputs)
      if (plan_detail::value_bytes(graph, v) > 0 && last_use[static_cast<size_t>(v)] > static_cast<int>(n)) next.push_back(v);
    std::sort(next.begin(), next.end());
    next.erase(std::unique(next.begin(), next.end()), next.end());
    result.live.push_back(next);
    live = next;
  }
  return result;
}

size_t index_of(const std::vector<int>& live, int value, const Graph& graph, const Node& node) {
  auto it = std::lower_bound(live.begin(), live.end(), value);
  if (it == live.end() || *it != value)
    fail(ErrorKind::InvalidModel, describe(node) + " reads '" + graph.value(value).name +
                                      "' before it is produced (nodes are not in topological order)");
  return static_cast<size_t>(it - live.begin());
}

// Cost of bringing a tensor held in `mask` to `place`; updates the mask.
double bring(const CostTable& costs, double bytes, uint32_t& mask, int place) {
  if (mask & place_bit(place)) return 0;
  double us = 0;
  if (!(mask & place_bit(kHost))) {
    us += costs.copy_us(bytes, only_place(mask), kHost);
    mask |= place_bit(kHost);
  }
  if (place != kHost) {
    us += costs.copy_us(bytes, kHost, place);
    mask |= place_bit(place);
  }
  return us;
}

// Places node `n` on `device` after state `from`: the new entry (masks of the next
// step's live tensors) and its cost.
Entry extend(const Graph& graph, const CostTable& costs, const Liveness& lv, size_t n, const Entry& from, size_t from_index,
             int device) {
  const Node& node = graph.nodes[n];
  const int place = plan_detail::memory_of(costs, device);
  const auto& before = lv.live[n];
  const auto& after = lv.live[n + 1];
  Masks masks = from.masks;
  double cost = from.cost + costs.node_us[n][static_cast<size_t>(device)];
  bool crossing = false;  // an input comes from another device: this side's boundary cost
  for (int v : plan_detail::transferable_inputs(graph, node)) {
    size_t i = index_of(before, v, graph, node);
    const double bytes = plan_detail::value_bytes(graph, v);
    if (!(masks[i] & place_bit(place)) && !lv.is_graph_input[static_cast<size_t>(v)]) {
      crossing = true;  // the producer's side too, when the state still says its device
      cost += costs.half_boundary_us(lv.producer[static_cast<size_t>(v)], only_place(masks[i]));
    }
    cost += bring(costs, bytes, masks[i], place);
  }
  if (crossing) cost += costs.half_boundary_us(static_cast<int>(n), device);
  Entry next{Masks(after.size(), 0), 0, from_index, device};
  for (int v : node.outputs) {
    double bytes = plan_detail::value_bytes(graph, v);
    if (bytes <= 0) continue;
    uint32_t mask = place_bit(place);
    if (lv.is_output[static_cast<size_t>(v)]) cost += bring(costs, bytes, mask, kHost);
    auto it = std::lower_bound(after.begin(), after.end(), v);
    if (it != after.end() && *it == v) next.masks[static_cast<size_t>(it - after.begin())] = mask;
  }
  for (size_t i = 0; i < before.size(); ++i) {
    auto it = std::lower_bound(after.begin(), after.end(), before[i]);
    if (it != after.end() && *it == before[i]) next.masks[static_cast<size_t>(it - after.begin())] = masks[i];
  }
  next.cost = cost;
  return next;
}

Placement trace_back(const std::vector<std::vector<Entry>>& steps, size_t best) {
  Placement placement(steps.size() - 1);
  for (size_t step = steps.size() - 1; step > 0; --step) {
    const Entry& e = steps[step][best];
    placement[step - 1] = e.device;
    best = e.parent;
  }
  return placement;
}

}  // namespace

std::optional<Placement> place_dp(const Graph& graph, const CostTable& costs, size_t max_states) {
  plan_detail::check_cost_table(graph, costs);
  if (costs.devices.size() > kMaxDeviceBits) return std::nullopt;
  const Liveness lv = liveness(graph);
  std::vector<std::vector<Entry>> steps(1);
  steps[0].push_back(Entry{Masks(lv.live[0].size(), place_bit(kHost)), 0, 0, -1});
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    std::vector<Entry> next;
    std::map<Masks, size_t> index;
    for (size_t s = 0; s < steps[n].size(); ++s) {
      for (size_t d = 0; d < costs.devices.size(); ++d) {
        if (plan_detail::is_unsupported(costs.node_us[n][d])) continue;
        Entry e = extend(graph, costs, lv, n, steps[n][s], s, static_cast<int>(d));
        auto [it, inserted] = index.emplace(e.masks, next.size());
        if (inserted) next.push_back(std::move(e));
        else if (e.cost < next[it->second].cost) next[it->second] = std::move(e);
      }
    }
    if (next.empty()) return std::nullopt;
    if (next.size() > max_states) return std::nullopt;
    steps.push_back(std::move(next));
  }
  const auto& last = steps.back();
  size_t best = 0;
  for (size_t s = 1; s < last.size(); ++s)
    if (last[s].cost < last[best].cost) best = s;
  return trace_back(steps, best);
}

}  // namespace tandem
