// Plans and plan tables as versioned JSON. Writing names nodes, values and devices;
// reading checks every field, maps names back to graph indices and validates the plan
// against the graph, with errors naming the file and the field's path.
#include "plan/plan_file.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/cores.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using json = nlohmann::ordered_json;

constexpr const char* kPlanFormat = "tandem-plan";
constexpr const char* kTableFormat = "tandem-plan-table";
constexpr const char* kHost = "host";

std::string place_name(const Plan& plan, int place) {
  return place < 0 ? kHost : plan.devices.at(static_cast<size_t>(place));
}

json nodes_json(const Plan& plan, const Graph& graph) {
  json nodes = json::array();
  for (const PlannedNode& n : plan.nodes) {
    const Node& node = graph.nodes.at(static_cast<size_t>(n.node));
    nodes.push_back({{"name", node.name}, {"op", node.op}, {"device", place_name(plan, n.device)},
                     {"start_us", n.start_us}, {"finish_us", n.finish_us}});
  }
  return nodes;
}

json copies_json(const Plan& plan, const Graph& graph) {
  json copies = json::array();
  for (const PlannedCopy& c : plan.copies)
    copies.push_back({{"value", graph.value(c.value).name}, {"from", place_name(plan, c.from)},
                      {"to", place_name(plan, c.to)}, {"bytes", c.bytes}, {"start_us", c.start_us},
                      {"finish_us", c.finish_us}});
  return copies;
}

// Checked access to a parsed plan file: errors name the file and the field's path.
class PlanReader {
 public:
  PlanReader(std::string source, const Graph& graph) : source_(std::move(source)), graph_(graph) {
    for (size_t i = 0; i < graph.nodes.size(); ++i) node_index_.emplace(graph.nodes[i].name, static_cast<int>(i));
  }

  [[noreturn]] void bad(const std::string& where, const std::string& problem) const {
    fail(ErrorKind::InvalidInput, "plan '" + source_ + "': " + where + ": " + problem);
  }

  // Checks "format" and "version" of a plan or plan table object.
  void check_header(const json& j, const std::string& where, const char* format) const {
    if (!j.is_object() || !j.contains("format") || j["format"] != format)
      bad(where, std::string("not a ") + format + " (no \"format\": \"" + format + "\")");
    int64_t version = integer(j, where, "version");
    if (version != kPlanVersion)
      bad(field(where, "version"), "format version " + std::to_string(version) + "; this tandem reads version " +
                                  std::to_string(kPlanVersion) + ": make the plan again with tandem plan");
  }

  Plan plan(const json& j, const std::string& where) const {
    check_header(j, where, kPlanFormat);
    Plan p;
    p.model = text(j, where, "model");
    p.batch = integer(j, where, "batch");
    if (p.batch < 1) bad(field(where, "batch"), "must be at least 1");
    p.devices = devices(j, where);
    p.cost_model = text(j, where, "cost_model");
    p.strategy = text(j, where, "strategy");
    p.makespan_us = j.contains("makespan_us") ? time(j, where, "makespan_us") : 0;
    p.nodes = nodes(j, p.devices, where);
    if (j.contains("copies")) p.copies = copies(j, p.devices, where);
    if (j.contains("cores")) p.cores = cores(j, p.devices, where);
    return p;
  }

  // "cores": {"cpu:0": "0", "cpu:1": "1-3"}: host devices of the plan pinned to cores.
  std::map<std::string, std::vector<int>> cores(const json& j, const std::vector<std::string>& devices,
                                                const std::string& where) const {
    const json& map = member(j, where, "cores");
    if (!map.is_object()) bad(field(where, "cores"), "expected an object of device -> core list");
    std::map<std::string, std::vector<int>> pinned;
    for (const auto& [device, list] : map.items()) {
      std::string at = field(where, "cores") + "." + device;
      if (std::find(devices.begin(), devices.end(), device) == devices.end()) bad(at, "not one of the plan's devices");
      if (!list.is_string()) bad(at, "expected a core list such as \"0-3\"");
      try {
        pinned[device] = parse_core_list(list.get<std::string>());
      } catch (const Error& e) {
        bad(at, e.what());
      }
    }
    return pinned;
  }

  const json& member(const json& j, const std::string& where, const char* key) const {
    if (!j.is_object()) bad(where, "expected an object");
    auto it = j.find(key);
    if (it == j.end()) bad(where, std::string("missing field '") + key + "'");
    return *it;
  }
  int64_t integer(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_number_integer()) bad(field(where, key), "expected an integer");
    return v.get<int64_t>();
  }
  std::string text(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_string()) bad(field(where, key), "expected a string");
    return v.get<std::string>();
  }
  const json& array(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_array()) bad(field(where, key), "expected an array");
    return v;
  }

 private:
  static std::string field(const std::string& where, const char* key) {
    return where == "top level" ? std::string(key) : where + "." + key;
  }
  static std::string item(const std::string& where, const char* key, size_t i) {
    return field(where, key) + "[" + std::to_string(i) + "]";
  }

  // A finite number >= 0 (µs or bytes).
  double time(const json& j, const std::string& where, const char* key) const {
    const json& v = member(j, where, key);
    if (!v.is_number() || !std::isfinite(v.get<double>()) || v.get<double>() < 0)
      bad(field(where, key), "expected a finite number >= 0");
    return v.get<double>();
  }
  double optional_time(const json& j, const std::string& where, const char* key) const {
    return j.contains(key) ? time(j, where, key) : 0;
  }

  std::vector<std::string> devices(const json& j, const std::string& where) const {
    const json& list = array(j, where, "devices");
    if (list.empty()) bad(field(where, "devices"), "names no device");
    std::vector<std::string> out;
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = item(where, "devices", i);
      if (!list[i].is_string() || list[i].get<std::string>().empty()) bad(at, "expected a device name");
      std::string name = list[i].get<std::string>();
      if (name == kHost) bad(at, "'host' is host memory, not a device: name devices as tandem devices lists them");
      if (std::find(out.begin(), out.end(), name) != out.end()) bad(at, "device '" + name + "' is listed twice");
      out.push_back(name);
    }
    return out;
  }

  // Index of a device name in `devices`, or -1 for "host" when `host_allowed`.
  int place(const json& j, const std::vector<std::string>& devices, const std::string& where, const char* key,
            bool host_allowed) const {
    std::string name = text(j, where, key);
    if (host_allowed && name == kHost) return -1;
    auto it = std::find(devices.begin(), devices.end(), name);
    if (it == devices.end()) {
      std::string known = host_allowed ? "host" : "";
      for (const std::string& d : devices) known += (known.empty() ? "" : ", ") + d;
      bad(field(where, key), "unknown device '" + name + "' (the plan's devices: " + known + ")");
    }
    return static_cast<int>(it - devices.begin());
  }

  PlannedNode planned_node(const json& j, const std::vector<std::string>& devices, const std::string& at) const {
    std::string name = text(j, at, "name");
    auto found = node_index_.find(name);
    if (found == node_index_.end()) bad(at, "model '" + graph_.name + "' has no node '" + name + "'");
    const Node& node = graph_.nodes[static_cast<size_t>(found->second)];
    if (j.contains("op") && text(j, at, "op") != node.op)
      bad(field(at, "op"), "'" + text(j, at, "op") + "', but node '" + name + "' of model '" + graph_.name +
                               "' is a " + node.op + ": is this plan for another model?");
    PlannedNode n;
    n.node = found->second;
    n.device = place(j, devices, at, "device", false);
    n.start_us = optional_time(j, at, "start_us");
    n.finish_us = optional_time(j, at, "finish_us");
    if (n.finish_us < n.start_us) bad(field(at, "finish_us"), "finishes before it starts");
    return n;
  }

  std::vector<PlannedNode> nodes(const json& j, const std::vector<std::string>& devices, const std::string& where) const {
    const json& list = array(j, where, "nodes");
    std::vector<PlannedNode> out;
    std::map<int, size_t> seen;  // node index -> position in the list
    for (size_t i = 0; i < list.size(); ++i) {
      std::string at = item(where, "nodes", i);
      PlannedNode n = planned_node(list[i], devices, at);
      auto [it, added] = seen.emplace(n.node, i);
      if (!added) bad(at, "node '" + graph_.nodes[static_cast<size_t>(n.node)].name + "' is listed twice (also " +
                              item(where, "nodes", it->second) + ")");
      out.push_back(n);
    }
    check_all_nodes_placed(seen, where);
    std::sort(out.begin(), out.end(), [](const PlannedNode& a, const PlannedNode& b) { return a.node < b.node; });
    return out;
  }

  void check_all_nodes_placed(const std::map<int, size_t>& seen, const std::string& where) const {
    if (seen.size() == graph_.nodes.size()) return;
    std::string missing;
    size_t count = 0;
    for (size_t i = 0; i < graph_.nodes.size(); ++i) {
      if (seen.count(static_cast<int>(i))) continue;
      if (++count <= 5) missing += (missing.empty() ? "" : ", ") + describe(graph_.nodes[i]);
    }
    if (count > 5) missing += " and " + std::to_string(count - 5) + " more";
    bad(field(where, "nodes"), std::to_string(count) + " node(s) of model '" + graph_.name + "' have no device: " + missing);
  }

  PlannedCopy planned_copy(const json& j, const std::vector<std::string>& devices, const std::string& at) const {
    std::string value = text(j, at, "value");
    PlannedCopy c;
    c.value = graph_.find_value(value);
    if (c.value == kNoValue) bad(field(at, "value"), "model '" + graph_.name + "' has no value '" + value + "'");
    c.from = place(j, devices, at, "from", true);
    c.to = place(j, devices, at, "to", true);
    if (c.from == c.to) bad(at, "copies '" + value + "' from a place to itself");
    c.bytes = time(j, at, "bytes");
    c.start_us = optional_time(j, at, "start_us");
    c.finish_us = optional_time(j, at, "finish_us");
    if (c.finish_us < c.start_us) bad(field(at, "finish_us"), "finishes before it starts");
    return c;
  }

  std::vector<PlannedCopy> copies(const json& j, const std::vector<std::string>& devices, const std::string& where) const {
    const json& list = array(j, where, "copies");
    std::vector<PlannedCopy> out;
    for (size_t i = 0; i < list.size(); ++i) out.push_back(planned_copy(list[i], devices, item(where, "copies", i)));
    return out;
  }

  std::string source_;
  const Graph& graph_;
  std::map<std::string, int> node_index_;
};

json parse_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(ErrorKind::Io, "cannot read plan '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  json j = json::parse(text.str(), nullptr, false);
  if (j.is_discarded()) fail(ErrorKind::InvalidInput, "plan '" + path + "' is not valid JSON");
  return j;
}

void write_json(const json& j, const std::string& path) {
  std::ofstream out(path);
  out << j.dump(2) << "\n";
  if (!out) fail(ErrorKind::Io, "cannot write plan '" + path + "'");
}

}  // namespace

json plan_to_json(const Plan& plan, const Graph& graph) {
  json j = {{"format", kPlanFormat},       {"version", kPlanVersion},         {"model", plan.model},
            {"batch", plan.batch},         {"devices", plan.devices},         {"cost_model", plan.cost_model},
            {"strategy", plan.strategy},   {"makespan_us", plan.makespan_us}, {"nodes", nodes_json(plan, graph)},
            {"copies", copies_json(plan, graph)}};
  if (plan.cores.empty()) return j;
  json cores = json::object();
  for (const auto& [device, list] : plan.cores) cores[device] = format_core_list(list);
  j["cores"] = cores;
  return j;
}

Plan plan_from_json(const json& j, const Graph& graph, const std::string& source) {
  return PlanReader(source, graph).plan(j, "top level");
}

json plan_table_to_json(const PlanTable& table, const Graph& graph) {
  json plans = json::array();
  for (const Plan& plan : table.plans) plans.push_back(plan_to_json(plan, graph));
  return {{"format", kTableFormat}, {"version", kPlanVersion}, {"model", table.model}, {"plans", plans}};
}

PlanTable plan_table_from_json(const json& j, const Graph& graph, const std::string& source) {
  PlanReader reader(source, graph);
  if (j.is_object() && j.contains("format") && j["format"] == kPlanFormat) {
    Plan plan = reader.plan(j, "top level");
    return {plan.model, {plan}};
  }
  reader.check_header(j, "top level", kTableFormat);
  PlanTable table;
  table.model = reader.text(j, "top level", "model");
  const json& plans = reader.array(j, "top level", "plans");
  if (plans.empty()) reader.bad("plans", "holds no plan");
  std::map<int64_t, size_t> batches;
  for (size_t i = 0; i < plans.size(); ++i) {
    std::string at = "plans[" + std::to_string(i) + "]";
    table.plans.push_back(reader.plan(plans[i], at));
    auto [it, added] = batches.emplace(table.plans.back().batch, i);
    if (!added)
      reader.bad(at + ".batch", "batch " + std::to_string(it->first) + " has two plans (also plans[" +
                                    std::to_string(it->second) + "])");
  }
  std::sort(table.plans.begin(), table.plans.end(), [](const Plan& a, const Plan& b) { return a.batch < b.batch; });
  return table;
}

void write_plan(const Plan& plan, const Graph& graph, const std::string& path) {
  write_json(plan_to_json(plan, graph), path);
}

Plan read_plan(const std::string& path, const Graph& graph) { return plan_from_json(parse_file(path), graph, path); }

void write_plan_table(const PlanTable& table, const Graph& graph, const std::string& path) {
  write_json(plan_table_to_json(table, graph), path);
}

PlanTable read_plan_table(const std::string& path, const Graph& graph) {
  return plan_table_from_json(parse_file(path), graph, path);
}

const Plan& pick_plan(const PlanTable& table, int64_t batch) {
  if (table.plans.empty()) fail(ErrorKind::InvalidInput, "plan table of '" + table.model + "' holds no plan");
  const Plan* best = &table.plans.front();
  for (const Plan& plan : table.plans) {
    int64_t distance = std::llabs(plan.batch - batch), best_distance = std::llabs(best->batch - batch);
    if (distance < best_distance || (distance == best_distance && plan.batch > best->batch)) best = &plan;
  }
  return *best;
}

Placement placement_of(const Plan& plan, const Graph& graph) {
  Placement placement(graph.nodes.size(), -1);
  for (const PlannedNode& n : plan.nodes)
    if (n.node >= 0 && static_cast<size_t>(n.node) < placement.size()) placement[static_cast<size_t>(n.node)] = n.device;
  for (size_t i = 0; i < placement.size(); ++i)
    if (placement[i] < 0) fail(ErrorKind::InvalidInput, "the plan places no device for " + describe(graph.nodes[i]));
  return placement;
}

}  // namespace tandem
