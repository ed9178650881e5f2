// Placement and scheduling: schedule() against a hand-computed timeline, its
// invariants on random placements, and the placers against brute force on random
// small graphs (chains, residual diamonds, inception-like fan-out/fan-in) with
// random costs, unsupported nodes, links and tensor sizes from a seeded generator.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include <nlohmann/json.hpp>

#include "plan/cost_table.h"
#include "plan/place.h"
#include "plan/plan.h"
#include "predict/predictor.h"
#include "tandem/error.h"

namespace tandem {
namespace {

constexpr double kEps = 1e-6;

// Builds graphs of "Op" nodes whose values are f32 vectors of a given length.
class Builder {
 public:
  int input(int64_t elements) {
    int v = value(elements);
    graph.inputs.push_back(v);
    return v;
  }
  int node(const std::vector<int>& inputs, int64_t elements) {
    Node n;
    n.name = "n" + std::to_string(graph.nodes.size());
    n.op = "Op";
    n.inputs = inputs;
    n.outputs = {value(elements)};
    graph.nodes.push_back(n);
    return n.outputs[0];
  }
  int weights() { return graph.add_constant("w" + std::to_string(graph.values.size()), Tensor(DType::f32, {64})); }
  Graph graph;

 private:
  int value(int64_t elements) { return graph.add_value("v" + std::to_string(graph.values.size()), DType::f32, {elements}); }
};

CostTable table(const std::vector<std::vector<double>>& node_us, std::vector<Link> to_device, std::vector<Link> to_host) {
  CostTable costs;
  for (size_t d = 0; d < to_device.size(); ++d) costs.devices.push_back("dev" + std::to_string(d));
  costs.node_us = node_us;
  costs.to_device = std::move(to_device);
  costs.to_host = std::move(to_host);
  costs.source = "test";
  return costs;
}

enum class Shape { chain, diamond, inception };

struct Case {
  Graph graph;
  CostTable costs;
};

// A random graph of the given shape with about `nodes` nodes on `devices` devices.
Case random_case(std::mt19937& rng, Shape shape, int nodes, int devices) {
  auto uniform = [&](double lo, double hi) { return std::uniform_real_distribution<double>(lo, hi)(rng); };
  auto size = [&] { return static_cast<int64_t>(uniform(1, 4000)); };
  Builder b;
  int x = b.input(size());
  while (static_cast<int>(b.graph.nodes.size()) < nodes) {
    int left = static_cast<int>(b.graph.nodes.size());
    if (shape == Shape::chain || nodes - left < 3) {
      x = b.node(uniform(0, 1) < 0.3 ? std::vector<int>{x, b.weights()} : std::vector<int>{x}, size());
    } else if (shape == Shape::diamond) {
      int branch = b.node({x}, size());
      if (uniform(0, 1) < 0.5) branch = b.node({branch}, size());
      x = b.node({x, branch}, size());
    } else {
      int ways = nodes - left >= 4 && uniform(0, 1) < 0.5 ? 3 : 2;
      std::vector<int> ends;
      for (int w = 0; w < ways; ++w) ends.push_back(b.node({x}, size()));
      x = b.node(ends, size());
    }
  }
  b.graph.outputs.push_back(x);
  std::vector<std::vector<double>> node_us(b.graph.nodes.size(), std::vector<double>(static_cast<size_t>(devices)));
  for (auto& row : node_us) {
    for (double& us : row) us = uniform(0, 1) < 0.15 ? kUnsupported : uniform(1, 100);
    if (std::all_of(row.begin(), row.end(), [](double us) { return us == kUnsupported; })) row[rng() % row.size()] = uniform(1, 100);
  }
  std::vector<Link> to_device, to_host;
  for (int d = 0; d < devices; ++d) {
    bool host_memory = uniform(0, 1) < 0.3;
    to_device.push_back(host_memory ? Link{} : Link{uniform(0, 20), uniform(20, 500)});
    to_host.push_back(host_memory ? Link{} : Link{uniform(0, 20), uniform(20, 500)});
  }
  return {b.graph, table(node_us, to_device, to_host)};
}

// Small random cases for all shapes: 2 devices up to 9 nodes, 3 devices up to 6.
std::vector<Case> random_cases(uint32_t seed, int count) {
  std::mt19937 rng(seed);
  std::vector<Case> cases;
  for (int i = 0; i < count; ++i) {
    auto shape = static_cast<Shape>(i % 3);
    int devices = 2 + static_cast<int>(rng() % 2);
    int nodes = devices == 2 ? 4 + static_cast<int>(rng() % 6) : 3 + static_cast<int>(rng() % 4);
    cases.push_back(random_case(rng, shape, nodes, devices));
  }
  return cases;
}

Placement random_placement(std::mt19937& rng, const CostTable& costs) {
  Placement p;
  for (const auto& row : costs.node_us) {
    std::vector<int> ok;
    for (size_t d = 0; d < row.size(); ++d)
      if (row[d] != kUnsupported) ok.push_back(static_cast<int>(d));
    p.push_back(ok[rng() % ok.size()]);
  }
  return p;
}

int memory_of(const CostTable& costs, int device) {
  auto d = static_cast<size_t>(device);
  return costs.to_device[d].bytes_per_us <= 0 && costs.to_host[d].bytes_per_us <= 0 ? -1 : device;
}

// The timeline rules every plan must follow.
void expect_valid_timeline(const Graph& graph, const CostTable& costs, const Plan& plan) {
  ASSERT_EQ(plan.nodes.size(), graph.nodes.size());
  const auto producers = graph.producers();
  auto arrival = [&](int v, int place) {
    double best = kUnsupported;
    int p = producers[static_cast<size_t>(v)];
    bool is_input = std::find(graph.inputs.begin(), graph.inputs.end(), v) != graph.inputs.end();
    if (p >= 0 && memory_of(costs, plan.nodes[static_cast<size_t>(p)].device) == place) best = plan.nodes[static_cast<size_t>(p)].finish_us;
    if (is_input && place == -1) best = 0;
    for (const PlannedCopy& c : plan.copies)
      if (c.value == v && c.to == place) best = std::min(best, c.finish_us);
    return best;
  };
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    const PlannedNode& n = plan.nodes[i];
    EXPECT_EQ(n.node, static_cast<int>(i));
    EXPECT_NEAR(n.finish_us - n.start_us, costs.node_us[i][static_cast<size_t>(n.device)], kEps);
    for (int v : graph.nodes[i].inputs) {
      if (graph.value(v).is_constant()) continue;
      EXPECT_LE(arrival(v, memory_of(costs, n.device)), n.start_us + kEps);
    }
    for (size_t j = 0; j < i; ++j) {
      if (plan.nodes[j].device != n.device) continue;
      EXPECT_LE(plan.nodes[j].finish_us, n.start_us + kEps) << "two nodes overlap on one device";
    }
  }
  for (size_t i = 0; i < plan.copies.size(); ++i) {
    const PlannedCopy& c = plan.copies[i];
    EXPECT_TRUE((c.from == -1) != (c.to == -1)) << "copies go through the host";
    EXPECT_LE(arrival(c.value, c.from), c.start_us + kEps);
    EXPECT_NEAR(c.finish_us - c.start_us, costs.copy_us(c.bytes, c.from, c.to), kEps);
    for (size_t j = 0; j < i; ++j) {
      const PlannedCopy& o = plan.copies[j];
      if (o.from == c.from && o.to == c.to) {
        EXPECT_TRUE(o.finish_us <= c.start_us + kEps || c.finish_us <= o.start_us + kEps) << "copies overlap on a link";
      }
    }
  }
  for (const PlannedCopy& c : plan.copies) {
    const int device = c.from >= 0 ? c.from : c.to;
    if (!costs.copies_on_compute_of(device)) continue;
    for (const PlannedNode& n : plan.nodes)
      if (costs.group_of(n.device) == costs.group_of(device)) {
        EXPECT_TRUE(n.finish_us <= c.start_us + kEps || c.finish_us <= n.start_us + kEps)
            << "a copy made by the device's thread overlaps one of its nodes";
      }
  }
  for (int v : graph.outputs) EXPECT_LE(arrival(v, -1), plan.makespan_us + kEps) << "output not in host memory";
}

double best_single_makespan(const Graph& graph, const CostTable& costs) {
  double best = kUnsupported;
  for (size_t d = 0; d < costs.devices.size(); ++d) {
    bool all = std::all_of(costs.node_us.begin(), costs.node_us.end(), [&](const auto& row) { return row[d] != kUnsupported; });
    if (all) best = std::min(best, schedule(graph, costs, Placement(graph.nodes.size(), static_cast<int>(d))).makespan_us);
  }
  return best;
}

// x -> A -> a -> B -> b -> C -> y with dev0 in host memory and dev1 behind links.
struct ThreeNodes {
  ThreeNodes() {
    Builder bld;
    int x = bld.input(100);         // 400 bytes
    int a = bld.node({x}, 200);     // 800 bytes
    int b = bld.node({a}, 50);      // 200 bytes
    bld.graph.outputs.push_back(bld.node({b}, 25));
    graph = bld.graph;
    costs = table({{10, 30}, {40, 5}, {7, 9}}, {Link{}, Link{2, 100}}, {Link{}, Link{3, 50}});
  }
  Graph graph;
  CostTable costs;
};

TEST(Schedule, HandComputedChainAcrossTwoDevices) {
  ThreeNodes t;
  Plan plan = schedule(t.graph, t.costs, {0, 1, 0});
  // A on dev0 [0,10]; a to dev1: 2 + 800/100 = 10 -> [10,20]; B [20,25];
  // b to host: 3 + 200/50 = 7 -> [25,32]; C [32,39]; y already in host memory.
  ASSERT_EQ(plan.nodes.size(), 3u);
  EXPECT_DOUBLE_EQ(plan.nodes[0].finish_us, 10);
  EXPECT_DOUBLE_EQ(plan.nodes[1].start_us, 20);
  EXPECT_DOUBLE_EQ(plan.nodes[1].finish_us, 25);
  EXPECT_DOUBLE_EQ(plan.nodes[2].start_us, 32);
  EXPECT_DOUBLE_EQ(plan.nodes[2].finish_us, 39);
  ASSERT_EQ(plan.copies.size(), 2u);
  EXPECT_EQ(plan.copies[0].from, -1);
  EXPECT_EQ(plan.copies[0].to, 1);
  EXPECT_DOUBLE_EQ(plan.copies[0].bytes, 800);
  EXPECT_DOUBLE_EQ(plan.copies[0].start_us, 10);
  EXPECT_DOUBLE_EQ(plan.copies[0].finish_us, 20);
  EXPECT_EQ(plan.copies[1].from, 1);
  EXPECT_EQ(plan.copies[1].to, -1);
  EXPECT_DOUBLE_EQ(plan.copies[1].finish_us, 32);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 39);
  EXPECT_DOUBLE_EQ(serial_cost(t.graph, t.costs, {0, 1, 0}), 39);
  EXPECT_EQ(plan.cost_model, "test");
}

TEST(Schedule, AllOnTheLinkedDeviceCopiesInputAndOutput) {
  ThreeNodes t;
  Plan plan = schedule(t.graph, t.costs, {1, 1, 1});
  // x in: 2 + 400/100 = 6; A [6,36]; B [36,41]; C [41,50]; y out: 3 + 100/50 = 5.
  EXPECT_DOUBLE_EQ(plan.nodes[0].start_us, 6);
  EXPECT_DOUBLE_EQ(plan.nodes[2].finish_us, 50);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 55);
  EXPECT_EQ(plan.copies.size(), 2u);
}

// x -> A -> a; B reads a; C reads a (and weights); D reads b and c.
struct TwoBranches {
  TwoBranches() {
    Builder bld;
    int x = bld.input(100);
    int a = bld.node({x}, 200);
    int b = bld.node({a}, 50);
    int c = bld.node({a, bld.weights()}, 50);
    bld.graph.outputs.push_back(bld.node({b, c}, 25));
    graph = bld.graph;
    costs = table({{10, 1}, {50, 5}, {20, 1}, {1, 1}}, {Link{}, Link{2, 100}}, {Link{}, Link{3, 50}});
  }
  Graph graph;
  CostTable costs;
};

TEST(Schedule, IndependentBranchesOverlap) {
  // A, C and D on dev0, B on dev1.
  TwoBranches t;
  Graph& graph = t.graph;
  CostTable& costs = t.costs;
  Plan plan = schedule(graph, costs, {0, 1, 0, 0});
  // a to dev1 [10,20]; B [20,25]; b back [25,32]; C [10,30]; D [32,33].
  EXPECT_DOUBLE_EQ(plan.nodes[2].start_us, 10);
  EXPECT_DOUBLE_EQ(plan.nodes[3].start_us, 32);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 33);
  EXPECT_DOUBLE_EQ(serial_cost(graph, costs, {0, 1, 0, 0}), 53);
  EXPECT_EQ(plan.copies.size(), 2u) << "weights are never copied";
}

TEST(Schedule, DevicesSharingComputeNeverOverlap) {
  // The branches of IndependentBranchesOverlap, with dev0 and dev1 in one compute
  // group (two CPU devices on the same cores): B and C run one after the other.
  TwoBranches t;
  Graph& graph = t.graph;
  CostTable& costs = t.costs;
  costs.compute_group = {0, 0};
  Plan plan = schedule(graph, costs, {0, 1, 0, 0});
  // A [0,10]; a to dev1 [10,20]; B [20,25]; C waits for B: [25,45]; b back [25,32]; D [45,46].
  EXPECT_DOUBLE_EQ(plan.nodes[2].start_us, 25);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 46);
  Plan best = place_layers(graph, costs, PlaceOptions{});
  for (const PlannedNode& m : best.nodes)
    for (const PlannedNode& n : best.nodes)
      if (m.node < n.node) {
        EXPECT_TRUE(m.finish_us <= n.start_us + kEps || n.finish_us <= m.start_us + kEps);
      }
  costs.compute_group = {0, 2};
  EXPECT_THROW(schedule(graph, costs, {0, 1, 0, 0}), Error);
}

TEST(Schedule, CoRunSlowdownStretchesANodeStartingWhileAnotherGroupIsBusy) {
  TwoBranches t;
  t.costs.co_run_slowdown = {1.5, 1.5};
  Plan plan = schedule(t.graph, t.costs, {0, 1, 0, 0});
  // B on dev1 [20,25] starts when dev0 is idle; C on dev0 starts at 10 while dev1's
  // group is busy until 25: 20 * 1.5 -> [10,40]; D [40,41].
  EXPECT_DOUBLE_EQ(plan.nodes[1].finish_us, 25);
  EXPECT_DOUBLE_EQ(plan.nodes[2].finish_us, 40);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 41);
  t.costs.co_run_slowdown = {1.5};
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 1, 0, 0}), Error);
}

TEST(Schedule, CopiesMadeByAHostDeviceHoldItsComputeLane) {
  TwoBranches t;
  // x to dev1 [0,6]; A on dev1 [6,7]; a out to the host (19) [7,26]; B on dev0 [26,76].
  // C on dev1 could start at 7, but dev1's own thread copies a out until 26.
  EXPECT_DOUBLE_EQ(schedule(t.graph, t.costs, {1, 0, 1, 1}).nodes[2].start_us, 7) << "a copy engine overlaps";
  t.costs.copies_on_compute = {false, true};
  Plan plan = schedule(t.graph, t.costs, {1, 0, 1, 1});
  EXPECT_DOUBLE_EQ(plan.nodes[1].start_us, 26);
  EXPECT_DOUBLE_EQ(plan.nodes[2].start_us, 26);
  EXPECT_DOUBLE_EQ(plan.nodes[2].finish_us, 27);
  // b in to dev1 [76,80] on dev1's thread, D [80,81], y out [81,86].
  EXPECT_DOUBLE_EQ(plan.nodes[3].start_us, 80);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 86);
  expect_valid_timeline(t.graph, t.costs, plan);
  t.costs.copies_on_compute = {true};
  EXPECT_THROW(schedule(t.graph, t.costs, {1, 0, 1, 1}), Error);
}

TEST(Schedule, BoundaryCostsSitOnBothSidesOfADeviceSwitch) {
  ThreeNodes t;
  t.costs.boundary_us = {{4, 6}, {8, 10}, {12, 14}};
  Plan plan = schedule(t.graph, t.costs, {0, 1, 0});
  // A [0,10] writes a out for dev1 (half its extra on dev0, 2) -> [0,12], a leaves at
  // 12 and reaches dev1 at 22; B runs 5 + half its own extra (5) and writes b out (5)
  // -> [22,37], b back to host (7) -> 44; C runs 7 + half its extra on dev0 (6) -> [44,57].
  ASSERT_EQ(plan.copies.size(), 2u);
  EXPECT_DOUBLE_EQ(plan.nodes[0].finish_us, 12) << "the write-out is part of the producer";
  EXPECT_DOUBLE_EQ(plan.copies[0].start_us, 12) << "the producer writes its output out before the copy";
  EXPECT_DOUBLE_EQ(plan.copies[1].start_us, 37);
  EXPECT_DOUBLE_EQ(plan.nodes[1].start_us, 22);
  EXPECT_DOUBLE_EQ(plan.nodes[1].finish_us, 37);
  EXPECT_DOUBLE_EQ(plan.nodes[2].start_us, 44);
  EXPECT_DOUBLE_EQ(plan.makespan_us, 57);
  // Serially: 39 without boundaries, plus A's output side 2, B's two sides 10, C's input side 6.
  EXPECT_DOUBLE_EQ(serial_cost(t.graph, t.costs, {0, 1, 0}), 57);
  EXPECT_DOUBLE_EQ(schedule(t.graph, t.costs, {1, 1, 1}).makespan_us, 55) << "no switch, no boundary";
  t.costs.boundary_us.pop_back();
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 1, 0}), Error);
}

TEST(Schedule, RejectsBadPlacementsAndTables) {
  ThreeNodes t;
  t.costs.node_us[1][0] = kUnsupported;
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 0, 0}), Error);
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 1}), Error);
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 2, 0}), Error);
  t.costs.node_us.pop_back();
  EXPECT_THROW(schedule(t.graph, t.costs, {0, 1, 0}), Error);
}

TEST(Schedule, RandomPlacementsFollowTheTimelineRules) {
  std::mt19937 rng(11);
  for (Case& c : random_cases(3, 30)) {
    if (rng() % 2) c.costs.copies_on_compute.assign(c.costs.devices.size(), true);
    for (int k = 0; k < 3; ++k) {
      Placement p = random_placement(rng, c.costs);
      Plan plan = schedule(c.graph, c.costs, p);
      expect_valid_timeline(c.graph, c.costs, plan);
      EXPECT_LE(plan.makespan_us, serial_cost(c.graph, c.costs, p) + kEps);
    }
  }
}

TEST(Schedule, ChainMakespanEqualsSerialCost) {
  std::mt19937 rng(5);
  for (int i = 0; i < 20; ++i) {
    Case c = random_case(rng, Shape::chain, 6, 3);
    Placement p = random_placement(rng, c.costs);
    EXPECT_NEAR(schedule(c.graph, c.costs, p).makespan_us, serial_cost(c.graph, c.costs, p), kEps);
  }
}

TEST(PlaceDp, EqualsBruteForceSerialCost) {
  for (Case& c : random_cases(17, 60)) {
    auto dp = place_dp(c.graph, c.costs, 1 << 16);
    auto brute = place_brute_force(c.graph, c.costs, 1 << 14, BruteForceObjective::serial_cost);
    ASSERT_TRUE(dp.has_value());
    ASSERT_TRUE(brute.has_value());
    EXPECT_NEAR(serial_cost(c.graph, c.costs, *dp), serial_cost(c.graph, c.costs, *brute), kEps);
  }
}

TEST(PlaceLayers, AutoMatchesBruteForceAndBeatsSingleDevices) {
  int mixed = 0;
  for (Case& c : random_cases(29, 45)) {
    Plan plan = place_layers(c.graph, c.costs, PlaceOptions{});
    auto brute = place_brute_force(c.graph, c.costs, 1 << 14);
    ASSERT_TRUE(brute.has_value());
    EXPECT_NEAR(plan.makespan_us, schedule(c.graph, c.costs, *brute).makespan_us, kEps);
    EXPECT_LE(plan.makespan_us, best_single_makespan(c.graph, c.costs) + kEps);
    expect_valid_timeline(c.graph, c.costs, plan);
    EXPECT_FALSE(plan.strategy.empty());
    if (plan.strategy.rfind("single:", 0) != 0) ++mixed;
  }
  EXPECT_GT(mixed, 10) << "the random cases should often favour mixed placements";
}

TEST(PlaceLayers, NeverUsesUnsupportedDevices) {
  for (Case& c : random_cases(41, 30)) {
    for (const char* strategy : {"auto", "dp", "heft", "brute-force"}) {
      PlaceOptions options;
      options.strategy = strategy;
      Plan plan = place_layers(c.graph, c.costs, options);
      EXPECT_EQ(plan.strategy, strategy == std::string("auto") ? plan.strategy : strategy);
      for (const PlannedNode& n : plan.nodes) {
        EXPECT_NE(c.costs.node_us[static_cast<size_t>(n.node)][static_cast<size_t>(n.device)], kUnsupported) << strategy;
      }
    }
  }
}

TEST(PlaceLayers, SingleDeviceAndErrors) {
  ThreeNodes t;
  PlaceOptions options;
  options.strategy = "single:dev1";
  Plan plan = place_layers(t.graph, t.costs, options);
  EXPECT_EQ(plan.strategy, "single:dev1");
  EXPECT_DOUBLE_EQ(plan.makespan_us, 55);
  options.strategy = "single:gpu";
  EXPECT_THROW(place_layers(t.graph, t.costs, options), Error);
  options.strategy = "fastest";
  EXPECT_THROW(place_layers(t.graph, t.costs, options), Error);
  t.costs.node_us[1] = {kUnsupported, kUnsupported};
  EXPECT_THROW(place_layers(t.graph, t.costs, PlaceOptions{}), Error);
}

TEST(PlaceLayers, HandExamplePicksTheCheapestSplit) {
  // A best on dev0 (10 vs 30), B on dev1 (5 + copies 17 = 22 < 40), C on dev0.
  ThreeNodes t;
  Plan plan = place_layers(t.graph, t.costs, PlaceOptions{});
  EXPECT_DOUBLE_EQ(plan.makespan_us, 39);
  EXPECT_EQ(plan.nodes[1].device, 1);
}

TEST(PlaceLayers, WideCutFallsBackToHeft) {
  // Twelve parallel two-node branches between a fan-out and a fan-in on two equally
  // fast devices behind cheap links: exact DP needs 2^12 states at the widest step.
  Builder bld;
  int x = bld.node({bld.input(10)}, 10);
  std::vector<int> ends;
  for (int i = 0; i < 12; ++i) ends.push_back(bld.node({bld.node({x}, 10)}, 10));
  bld.graph.outputs.push_back(bld.node(ends, 10));
  std::vector<std::vector<double>> node_us(bld.graph.nodes.size(), {10, 10});
  CostTable costs = table(node_us, {Link{1, 1000}, Link{1, 1000}}, {Link{1, 1000}, Link{1, 1000}});
  PlaceOptions options;
  options.max_states = 256;
  EXPECT_FALSE(place_dp(bld.graph, costs, options.max_states).has_value());
  options.strategy = "dp";
  EXPECT_THROW(place_layers(bld.graph, costs, options), Error);
  options.strategy = "auto";
  Plan plan = place_layers(bld.graph, costs, options);
  EXPECT_EQ(plan.strategy, "heft");
  EXPECT_LT(plan.makespan_us, best_single_makespan(bld.graph, costs));
  expect_valid_timeline(bld.graph, costs, plan);
}

TEST(PlaceLayers, HostMemoryDevicesNeedNoCopies) {
  std::mt19937 rng(8);
  Case c = random_case(rng, Shape::inception, 8, 2);
  c.costs.to_device = {Link{}, Link{}};
  c.costs.to_host = {Link{}, Link{}};
  Plan plan = place_layers(c.graph, c.costs, PlaceOptions{});
  EXPECT_TRUE(plan.copies.empty());
}

TEST(PlaceLayers, BestSplitPlanUsesSeveralDevicesAndIsTheBestSuch) {
  ThreeNodes t;
  // Alone dev0 takes 10 + 40 + 7 = 57 and dev1 takes 44 plus copies; a split is
  // predicted slower than the best single device, yet it is the best split.
  t.costs.node_us = {{10, 30}, {40, 5}, {7, 9}};
  Plan best = place_layers(t.graph, t.costs, PlaceOptions{});
  std::optional<Plan> split = best_split_plan(t.graph, t.costs, PlaceOptions{});
  ASSERT_TRUE(split.has_value());
  EXPECT_EQ(devices_used(*split), 2);
  for (const Placement& p : {Placement{0, 1, 0}, Placement{0, 1, 1}, Placement{1, 0, 0}, Placement{0, 0, 1},
                             Placement{1, 1, 0}, Placement{1, 0, 1}})
    EXPECT_GE(schedule(t.graph, t.costs, p).makespan_us + kEps, split->makespan_us) << "a better split exists";
  EXPECT_GE(split->makespan_us + kEps, best.makespan_us);
  t.costs.node_us = {{10, kUnsupported}, {40, kUnsupported}, {7, kUnsupported}};
  EXPECT_FALSE(best_split_plan(t.graph, t.costs, PlaceOptions{}).has_value()) << "one usable device: no split";
}

TEST(PlaceLayers, Deterministic) {
  for (Case& c : random_cases(53, 10)) {
    Plan a = place_layers(c.graph, c.costs, PlaceOptions{});
    Plan b = place_layers(c.graph, c.costs, PlaceOptions{});
    EXPECT_EQ(a.strategy, b.strategy);
    EXPECT_EQ(a.makespan_us, b.makespan_us);
    for (size_t i = 0; i < a.nodes.size(); ++i) EXPECT_EQ(a.nodes[i].device, b.nodes[i].device);
  }
}

// A link keeps the fitted regimes from the predictor (also through its JSON form):
// the planner times a small copy by the small-copy regime, not by the large-copy line.
TEST(Link, PlannerLinksFollowTheFittedSegments) {
  LinkFit fit{10, 6000, 0, 0, {{0, 0.02, 50000}, {6144, 0.3, 15000}, {3e6, 10, 6000}}};
  Predictor fitted = Predictor::fit(std::vector<LatencySample>{}, {}, {LinkProfile{"cpu:1", "to_device", {}, fit}}, {});
  Predictor loaded = Predictor::from_json(fitted.to_json(), "test predictor");
  Link link = predicted_link(loaded, "cpu:1", "to_device");
  EXPECT_DOUBLE_EQ(link.latency_us, 10);
  EXPECT_DOUBLE_EQ(link.bytes_per_us, 6000);
  ASSERT_EQ(link.segments.size(), 3u);
  EXPECT_DOUBLE_EQ(link.time_us(1024), 0.02 + 1024 / 50000.0);
  EXPECT_DOUBLE_EQ(link.time_us(1 << 20), 0.3 + (1 << 20) / 15000.0);
  EXPECT_DOUBLE_EQ(link.time_us(64e6), 10 + 64e6 / 6000);
  EXPECT_EQ(predicted_link(loaded, "cpu", "to_device").time_us(1e6), 0);  // the host itself
  Link single_line{2, 1000, {}};
  EXPECT_DOUBLE_EQ(single_line.time_us(1e6), 2 + 1e6 / 1000);
}

}  // namespace
}  // namespace tandem
