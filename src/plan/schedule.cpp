// The predicted timeline of a placement (plan.h's schedule()) and the Timeline
// rules it shares with the HEFT placer: devices run their nodes in topological
// order one at a time as soon as their inputs are there; each link carries one copy
// at a time, in the order copies are issued; a value is copied to every place that
// needs it right after it is produced (device->host, then host->device for another
// device; a device that copies on its compute thread copies in when a node needs
// the value); graph inputs start in host memory and graph outputs end there.
#include <algorithm>
#include <limits>
#include <string>

#include "plan/timeline.h"
#include "tandem/error.h"

namespace tandem {

namespace {
constexpr double kNever = std::numeric_limits<double>::infinity();
}

int CostTable::group_of(int device) const {
  return compute_group.empty() ? device : compute_group.at(static_cast<size_t>(device));
}

double CostTable::co_run_of(int device) const {
  return co_run_slowdown.empty() ? 1 : co_run_slowdown.at(static_cast<size_t>(device));
}

bool CostTable::copies_on_compute_of(int device) const {
  return device >= 0 && !copies_on_compute.empty() && copies_on_compute.at(static_cast<size_t>(device));
}

double CostTable::half_boundary_us(int node, int device) const {
  if (boundary_us.empty() || node < 0 || device < 0) return 0;
  return boundary_us.at(static_cast<size_t>(node)).at(static_cast<size_t>(device)) / 2;
}

double CostTable::copy_us(double bytes, int from, int to) const {
  if (from == to) return 0;
  double us = 0;
  if (from >= 0) us += to_host.at(static_cast<size_t>(from)).time_us(bytes);
  if (to >= 0) us += to_device.at(static_cast<size_t>(to)).time_us(bytes);
  return us;
}

namespace plan_detail {

double value_bytes(const Graph& graph, int value) {
  if (value == kNoValue) return 0;
  const Value& v = graph.value(value);
  if (v.is_constant()) return 0;
  int64_t elements = num_elements(v.shape);
  if (elements <= 0) return 0;
  return static_cast<double>(elements) * static_cast<double>(dtype_size(v.dtype));
}

int memory_of(const CostTable& costs, int device) {
  const auto d = static_cast<size_t>(device);
  bool host_memory = costs.to_device[d].bytes_per_us <= 0 && costs.to_host[d].bytes_per_us <= 0;
  return host_memory ? kHost : device;
}

std::vector<int> transferable_inputs(const Graph& graph, const Node& node) {
  std::vector<int> inputs;
  for (int v : node.inputs)
    if (value_bytes(graph, v) > 0 && std::find(inputs.begin(), inputs.end(), v) == inputs.end()) inputs.push_back(v);
  return inputs;
}

void check_cost_table(const Graph& graph, const CostTable& costs) {
  const size_t devices = costs.devices.size();
  if (devices == 0) fail(ErrorKind::InvalidInput, "cost table has no devices");
  if (costs.node_us.size() != graph.nodes.size())
    fail(ErrorKind::InvalidInput, "cost table has " + std::to_string(costs.node_us.size()) + " node rows but graph '" +
                                      graph.name + "' has " + std::to_string(graph.nodes.size()) + " nodes");
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    if (costs.node_us[n].size() != devices)
      fail(ErrorKind::InvalidInput, "cost table row of " + describe(graph.nodes[n]) + " has " +
                                        std::to_string(costs.node_us[n].size()) + " entries for " +
                                        std::to_string(devices) + " devices");
  if (costs.to_device.size() != devices || costs.to_host.size() != devices)
    fail(ErrorKind::InvalidInput, "cost table needs one to_device and one to_host link per device");
  if (!costs.co_run_slowdown.empty() && costs.co_run_slowdown.size() != devices)
    fail(ErrorKind::InvalidInput, "cost table needs one co-run slowdown per device");
  if (!costs.copies_on_compute.empty() && costs.copies_on_compute.size() != devices)
    fail(ErrorKind::InvalidInput, "cost table needs one copies-on-compute flag per device");
  if (!costs.boundary_us.empty() && costs.boundary_us.size() != graph.nodes.size())
    fail(ErrorKind::InvalidInput, "cost table needs one boundary row per node");
  for (const auto& row : costs.boundary_us)
    if (row.size() != devices) fail(ErrorKind::InvalidInput, "cost table boundary rows need one entry per device");
  if (!costs.compute_group.empty() && costs.compute_group.size() != devices)
    fail(ErrorKind::InvalidInput, "cost table needs one compute group per device");
  for (int group : costs.compute_group)
    if (group < 0 || static_cast<size_t>(group) >= devices)
      fail(ErrorKind::InvalidInput, "cost table compute group " + std::to_string(group) + " is not a device index");
}

void check_placement(const Graph& graph, const CostTable& costs, const Placement& placement) {
  if (placement.size() != graph.nodes.size())
    fail(ErrorKind::InvalidInput, "placement has " + std::to_string(placement.size()) + " devices for " +
                                      std::to_string(graph.nodes.size()) + " nodes");
  for (size_t n = 0; n < placement.size(); ++n) {
    int d = placement[n];
    if (d < 0 || static_cast<size_t>(d) >= costs.devices.size())
      fail(ErrorKind::InvalidInput, describe(graph.nodes[n]) + " is placed on device " + std::to_string(d) +
                                        ", which is not in the device list");
    if (is_unsupported(costs.node_us[n][static_cast<size_t>(d)]))
      fail(ErrorKind::Unsupported, describe(graph.nodes[n]) + " cannot run on " + costs.devices[static_cast<size_t>(d)]);
  }
}

Timeline::Timeline(const Graph& graph, const CostTable& costs)
    : graph_(&graph),
      costs_(&costs),
      bytes_(graph.values.size()),
      home_(graph.values.size(), kHost),
      producer_(graph.values.size(), -1),
      producer_device_(graph.nodes.size(), -1),
      finish_(graph.nodes.size(), 0),
      leaves_at_(graph.nodes.size(), -1),
      position_(graph.nodes.size(), 0),
      arrival_(graph.values.size(), std::vector<double>(costs.devices.size() + 1, kNever)),
      group_free_(costs.devices.size(), 0),
      to_host_free_(costs.devices.size(), 0),
      to_device_free_(costs.devices.size(), 0) {
  for (size_t v = 0; v < graph.values.size(); ++v) bytes_[v] = value_bytes(graph, static_cast<int>(v));
  for (int v : graph.inputs) arrival_.at(static_cast<size_t>(v))[0] = 0;
}

bool Timeline::is_at(int value, int place) const {
  return value == kNoValue || arrival_.at(static_cast<size_t>(value))[static_cast<size_t>(place + 1)] < kNever;
}

double Timeline::produced_at(int value) const {
  const auto& places = arrival_[static_cast<size_t>(value)];
  return *std::min_element(places.begin(), places.end());
}

double Timeline::copy(int value, int from, int to, double ready) {
  const int device = from >= 0 ? from : to;
  double& link_free = from >= 0 ? to_host_free_[static_cast<size_t>(from)] : to_device_free_[static_cast<size_t>(to)];
  const double bytes = bytes_[static_cast<size_t>(value)];
  PlannedCopy c{value, from, to, bytes, std::max(ready, link_free), 0};
  const double us = costs_->copy_us(bytes, from, to);
  if (costs_->copies_on_compute_of(device)) {
    // The device's compute thread makes the copy: a copy out right after the node
    // that produced the value, a copy in when its lane is free; either way it
    // holds the lane (a copy out issued late delays the device's later nodes).
    double& group_free = group_free_[static_cast<size_t>(costs_->group_of(device))];
    if (to >= 0) c.start_us = std::max(c.start_us, group_free);
    group_free = std::max(group_free, c.start_us) + us;
  }
  c.finish_us = c.start_us + us;
  link_free = c.finish_us;
  copies.push_back(c);
  arrival_[static_cast<size_t>(value)][static_cast<size_t>(to + 1)] = c.finish_us;
  return c.finish_us;
}

double Timeline::bring(int value, int place) {
  if (value == kNoValue || graph_->value(value).is_constant()) return 0;
  const auto v = static_cast<size_t>(value);
  if (arrival_[v][static_cast<size_t>(place + 1)] < kNever) return arrival_[v][static_cast<size_t>(place + 1)];
  double produced = produced_at(value);
  if (produced == kNever)
    fail(ErrorKind::InvalidModel, "value '" + graph_->value(value).name +
                                      "' is read before it is produced (nodes are not in topological order)");
  if (bytes_[v] <= 0) return produced;
  const int home = home_[v];
  // It leaves home once its producer has written it out for another device.
  const int producer = producer_[v];
  const double leaves = std::max(arrival_[v][static_cast<size_t>(home + 1)], producer >= 0 ? leaves_at_[static_cast<size_t>(producer)] : 0.0);
  if (place == kHost) return copy(value, home, kHost, leaves);
  double on_host = home == kHost ? leaves : bring(value, kHost);
  return copy(value, kHost, place, on_host);
}

double Timeline::write_out(int node) {
  const auto n = static_cast<size_t>(node);
  if (leaves_at_[n] >= 0) return leaves_at_[n];
  const int device = producer_device_[n];
  double& group_free = group_free_[static_cast<size_t>(costs_->group_of(device))];
  const double half = costs_->half_boundary_us(node, device);
  const bool lane_still_there = group_free <= finish_[n];  // nothing started after it on its lane
  leaves_at_[n] = finish_[n] + half;
  group_free = std::max(group_free, finish_[n]) + half;
  if (lane_still_there) nodes.at(position_[n]).finish_us = leaves_at_[n];  // the write-out is part of the node
  return leaves_at_[n];
}

double Timeline::run(int node, int device) {
  const Node& n = graph_->nodes.at(static_cast<size_t>(node));
  const int place = memory_of(*costs_, device);
  double& group_free = group_free_[static_cast<size_t>(costs_->group_of(device))];
  double start = group_free, extra = 0;
  for (int v : n.inputs) {
    if (v != kNoValue && bytes_[static_cast<size_t>(v)] > 0) {
      const int producer = producer_[static_cast<size_t>(v)];
      if (producer >= 0 && producer_device_[static_cast<size_t>(producer)] != device) {
        write_out(producer);
        extra = costs_->half_boundary_us(node, device);
      }
    }
    start = std::max(start, bring(v, place));
  }
  double finish = start + (costs_->node_us[static_cast<size_t>(node)][static_cast<size_t>(device)] + extra) *
                              co_run_factor(device, start);
  group_free = finish;
  for (int v : n.outputs) {
    if (v == kNoValue) continue;
    home_[static_cast<size_t>(v)] = place;
    producer_[static_cast<size_t>(v)] = node;
    arrival_[static_cast<size_t>(v)][static_cast<size_t>(place + 1)] = finish;
  }
  producer_device_[static_cast<size_t>(node)] = device;
  finish_[static_cast<size_t>(node)] = finish;
  position_[static_cast<size_t>(node)] = nodes.size();
  nodes.push_back(PlannedNode{node, device, start, finish});
  return finish;
}

double Timeline::co_run_factor(int device, double start) const {
  const double slowdown = costs_->co_run_of(device);
  if (slowdown <= 1) return 1;
  const int group = costs_->group_of(device);
  for (size_t other = 0; other < costs_->devices.size(); ++other) {
    const int g = costs_->group_of(static_cast<int>(other));
    if (g != group && costs_->co_run_of(static_cast<int>(other)) > 1 && group_free_[static_cast<size_t>(g)] > start)
      return slowdown;
  }
  return 1;
}

double Timeline::makespan() {
  double end = 0;
  for (const PlannedNode& n : nodes) end = std::max(end, n.finish_us);
  for (int v : graph_->outputs) end = std::max(end, bring(v, kHost));
  return end;
}

namespace {

// For each value: the places its readers (and the host, for graph outputs) need it.
std::vector<std::vector<int>> destinations(const Graph& graph, const CostTable& costs, const Placement& placement) {
  std::vector<std::vector<int>> places(graph.values.size());
  auto add = [&](int v, int place) {
    if (v == kNoValue) return;
    auto& list = places[static_cast<size_t>(v)];
    if (std::find(list.begin(), list.end(), place) == list.end()) list.push_back(place);
  };
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : graph.nodes[n].inputs) add(v, memory_of(costs, placement[n]));
  for (int v : graph.outputs) add(v, kHost);
  for (auto& list : places) std::sort(list.begin(), list.end());  // host first, then devices
  return places;
}

}  // namespace

BoundarySides boundary_sides(const Graph& graph, const Placement& placement) {
  const std::vector<int> producers = graph.producers();
  BoundarySides sides{std::vector<bool>(graph.nodes.size(), false), std::vector<bool>(graph.nodes.size(), false)};
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : transferable_inputs(graph, graph.nodes[n])) {
      const int p = producers[static_cast<size_t>(v)];
      if (p < 0 || placement[static_cast<size_t>(p)] == placement[n]) continue;
      sides.input[n] = true;
      sides.output[static_cast<size_t>(p)] = true;
    }
  return sides;
}

}  // namespace plan_detail

Plan schedule(const Graph& graph, const CostTable& costs, const Placement& placement) {
  using namespace plan_detail;
  check_cost_table(graph, costs);
  check_placement(graph, costs, placement);
  const auto needed = destinations(graph, costs, placement);
  const std::vector<int> producers = graph.producers();
  Timeline timeline(graph, costs);
  // Copies leave right after the value is produced (and written out, when a reader
  // sits on another device); a device that copies with its own thread brings values
  // in just before the node that reads them instead.
  const std::vector<bool> read_elsewhere = boundary_sides(graph, placement).output;
  auto send = [&](int v) {
    const int producer = producers[static_cast<size_t>(v)];
    if (producer >= 0 && read_elsewhere[static_cast<size_t>(producer)]) timeline.write_out(producer);
    for (int place : needed[static_cast<size_t>(v)]) {
      if (!costs.copies_on_compute_of(place)) timeline.bring(v, place);
      else if (!timeline.is_at(v, place)) timeline.bring(v, kHost);
    }
  };
  for (int v : graph.inputs) send(v);
  for (size_t n = 0; n < graph.nodes.size(); ++n) {
    timeline.run(static_cast<int>(n), placement[n]);
    for (int v : graph.nodes[n].outputs)
      if (v != kNoValue) send(v);
  }
  Plan plan;
  plan.devices = costs.devices;
  plan.cost_model = costs.source;
  plan.makespan_us = timeline.makespan();
  plan.nodes = std::move(timeline.nodes);
  plan.copies = std::move(timeline.copies);
  return plan;
}

}  // namespace tandem
