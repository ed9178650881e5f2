// Plan explanations: per-layer times, copies and reasons, and placement changes
// across the batch sizes of a plan table, as plain-text tables.
#include "plan/explain.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace tandem {

namespace {

constexpr int kHostPlace = -1;

double bytes_of(const Graph& graph, int value) {
  if (value == kNoValue || graph.value(value).is_constant()) return 0;
  const Value& v = graph.value(value);
  return static_cast<double>(num_elements(v.shape)) * static_cast<double>(dtype_size(v.dtype));
}

// Where values start: the device of their producer, or host memory for graph inputs.
struct PlacedGraph {
  const Graph& graph;
  const CostTable& costs;
  Placement placement;
  std::vector<int> producers;
  std::vector<std::vector<int>> consumers;

  int place_of(int value) const {
    int producer = producers[static_cast<size_t>(value)];
    return producer < 0 ? kHostPlace : placement[static_cast<size_t>(producer)];
  }

  double copy_in_us(const Node& node, int device) const {
    double total = 0;
    std::set<int> seen;
    for (int v : node.inputs) {
      double bytes = bytes_of(graph, v);
      if (bytes <= 0 || !seen.insert(v).second || place_of(v) == device) continue;
      total += costs.copy_us(bytes, place_of(v), device);
    }
    return total;
  }

  double copy_out_us(const Node& node, int device) const {
    double total = 0;
    for (int v : node.outputs) {
      double bytes = bytes_of(graph, v);
      if (bytes <= 0) continue;
      std::set<int> destinations;
      for (int reader : consumers[static_cast<size_t>(v)]) destinations.insert(placement[static_cast<size_t>(reader)]);
      if (std::find(graph.outputs.begin(), graph.outputs.end(), v) != graph.outputs.end()) destinations.insert(kHostPlace);
      destinations.erase(device);
      for (int to : destinations) total += costs.copy_us(bytes, device, to);
    }
    return total;
  }
};

std::string time_on(const CostTable& costs, int device, double us) {
  const std::string& name = costs.devices[static_cast<size_t>(device)];
  return us == kUnsupported ? name + " cannot run it" : name + " " + format_microseconds(us);
}

// "cuda: 41 µs vs cpu 210 µs, cpu:1 300 µs"
std::string comparison(const CostTable& costs, const LayerExplanation& e) {
  std::string text = costs.devices[static_cast<size_t>(e.device)] + ": " + format_microseconds(e.device_us[static_cast<size_t>(e.device)]);
  std::string others;
  for (size_t d = 0; d < e.device_us.size(); ++d)
    if (static_cast<int>(d) != e.device) others += (others.empty() ? "" : ", ") + time_on(costs, static_cast<int>(d), e.device_us[d]);
  return others.empty() ? text : text + " vs " + others;
}

std::string copies_text(double in_us, double out_us) {
  std::string text;
  if (in_us > 0) text += "; copy in " + format_microseconds(in_us);
  if (out_us > 0) text += "; copy out " + format_microseconds(out_us);
  return text;
}

// The supported device other than the chosen one with the smallest time; -1 if none.
int fastest_other(const LayerExplanation& e) {
  int best = -1;
  for (size_t d = 0; d < e.device_us.size(); ++d) {
    if (static_cast<int>(d) == e.device || e.device_us[d] == kUnsupported) continue;
    if (best < 0 || e.device_us[d] < e.device_us[static_cast<size_t>(best)]) best = static_cast<int>(d);
  }
  return best;
}

std::string reason(const PlacedGraph& g, const Plan& plan, const Node& node, const LayerExplanation& e) {
  std::string base = comparison(g.costs, e) + copies_text(e.copy_in_us, e.copy_out_us);
  double own = e.device_us[static_cast<size_t>(e.device)];
  int other = fastest_other(e);
  if (other < 0) return base + (e.device_us.size() > 1 ? "; the only device that runs it" : "");
  if (own == 0) return base + "; no cost of its own (a view, or fused into the node before)";
  double other_us = e.device_us[static_cast<size_t>(other)];
  if (own <= other_us) return base;
  if (plan.strategy == "user") return base + "; placed by hand";
  const std::string& name = g.costs.devices[static_cast<size_t>(other)];
  double copies_there = g.copy_in_us(node, other) + g.copy_out_us(node, other);
  double copies_here = e.copy_in_us + e.copy_out_us;
  if (copies_there - copies_here >= own - other_us)
    return base + fmt::format("; on {} its copies would take {}, more than the {} it saves", name,
                              format_microseconds(copies_there), format_microseconds(own - other_us));
  if (plan.strategy.rfind("single:", 0) == 0) return base + "; a single-device plan";
  return base + "; " + name + " is busy with other work then; the whole run finishes sooner this way";
}

// Display width of UTF-8 text (code points).
size_t text_width(const std::string& text) {
  return static_cast<size_t>(std::count_if(text.begin(), text.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

std::string table_text(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width;
  for (const auto& row : rows)
    for (size_t c = 0; c < row.size(); ++c) {
      if (width.size() <= c) width.push_back(0);
      width[c] = std::max(width[c], text_width(row[c]));
    }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t c = 0; c < row.size(); ++c) line += row[c] + std::string(width[c] - text_width(row[c]) + 2, ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}

std::string cell_us(double us) { return us == kUnsupported ? "-" : format_microseconds(us); }

// "batch 1-2: cpu; batch 4-64: cuda" for one node over the table's plans.
std::string device_by_batch(const PlanTable& table, const std::vector<Placement>& placements,
                            size_t node, bool* changes) {
  std::vector<std::pair<std::string, std::pair<int64_t, int64_t>>> runs;  // device, (first, last batch)
  for (size_t p = 0; p < table.plans.size(); ++p) {
    const std::string& device = table.plans[p].devices.at(static_cast<size_t>(placements[p][node]));
    if (!runs.empty() && runs.back().first == device)
      runs.back().second.second = table.plans[p].batch;
    else
      runs.push_back({device, {table.plans[p].batch, table.plans[p].batch}});
  }
  *changes = runs.size() > 1;
  std::string text;
  for (const auto& [device, range] : runs) {
    std::string batches = range.first == range.second ? std::to_string(range.first)
                                                       : std::to_string(range.first) + "-" + std::to_string(range.second);
    text += (text.empty() ? "" : "; ") + ("batch " + batches + ": " + device);
  }
  return text;
}

}  // namespace

std::string format_microseconds(double us) {
  if (us == 0) return "0 µs";
  if (us >= 1e6) return fmt::format("{:.2f} s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.2f} ms", us / 1e3);
  if (us >= 10) return fmt::format("{:.0f} µs", us);
  return fmt::format("{:.1f} µs", us);
}

std::vector<LayerExplanation> explain_layers(const Graph& graph, const CostTable& costs, const Plan& plan) {
  PlacedGraph g{graph, costs, placement_of(plan, graph), graph.producers(), graph.consumers()};
  std::vector<LayerExplanation> out;
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    const Node& node = graph.nodes[n];
    LayerExplanation e;
    e.node = static_cast<int>(n);
    e.device = g.placement[n];
    e.device_us = costs.node_us.at(n);
    e.copy_in_us = g.copy_in_us(node, e.device);
    e.copy_out_us = g.copy_out_us(node, e.device);
    e.reason = reason(g, plan, node, e);
    out.push_back(std::move(e));
  }
  return out;
}

std::string explain_text(const Graph& graph, const CostTable& costs, const Plan& plan) {
  std::vector<std::string> header = {"#", "layer", "op", "device"};
  for (const std::string& d : costs.devices) header.push_back(d);
  for (const char* title : {"copy in", "copy out", "why"}) header.push_back(title);
  std::vector<std::vector<std::string>> rows = {header};
  for (const LayerExplanation& e : explain_layers(graph, costs, plan)) {
    const Node& node = graph.nodes[static_cast<size_t>(e.node)];
    std::vector<std::string> row = {std::to_string(e.node), node.name, op_label(node), costs.devices[static_cast<size_t>(e.device)]};
    for (double us : e.device_us) row.push_back(cell_us(us));
    row.push_back(e.copy_in_us > 0 ? format_microseconds(e.copy_in_us) : "");
    row.push_back(e.copy_out_us > 0 ? format_microseconds(e.copy_out_us) : "");
    row.push_back(e.reason);
    rows.push_back(std::move(row));
  }
  return table_text(rows) + fmt::format("predicted end to end ({}, batch {}): {}\n", plan.strategy, plan.batch,
                                        format_microseconds(plan.makespan_us));
}

std::string explain_batch_changes(const Graph& graph, const PlanTable& table) {
  if (table.plans.empty()) return "the plan table holds no plan\n";
  std::vector<Placement> placements;
  for (const Plan& plan : table.plans) placements.push_back(placement_of(plan, graph));
  std::vector<std::vector<std::string>> rows = {{"layer", "op", "device by batch size"}};
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    bool changes = false;
    std::string text = device_by_batch(table, placements, n, &changes);
    if (changes) rows.push_back({graph.nodes[n].name, op_label(graph.nodes[n]), text});
  }
  std::string range = std::to_string(table.plans.front().batch) + "-" + std::to_string(table.plans.back().batch);
  if (rows.size() == 1) return "every layer keeps its device over batch sizes " + range + "\n";
  return fmt::format("{} of {} layers change device over batch sizes {}:\n", rows.size() - 1, graph.nodes.size(), range) +
         table_text(rows);
}

}  // namespace tandem
