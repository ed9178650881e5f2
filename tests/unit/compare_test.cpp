// The measured comparison (runtime/compare.h): the oracle's candidate placements on
// small chains (one-move neighbours, free nodes moving along, exhaustive enumeration,
// ordering), the interleaved timing, and a whole comparison of lenet5 on cpu:0 and
// cpu:1 whose oracle is never slower than auto or any single device.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "backends/registry.h"
#include "op_test_util.h"
#include "runtime/compare.h"

namespace tandem {
namespace {

// A chain input -> n0 -> n1 -> ... of "Op" nodes on f32 vectors of 1000 elements.
Graph chain(size_t nodes) {
  Graph graph;
  int value = graph.add_value("input", DType::f32, {1000});
  graph.inputs.push_back(value);
  for (size_t n = 0; n < nodes; ++n) {
    Node node;
    node.name = "n" + std::to_string(n);
    node.op = "Op";
    node.inputs = {value};
    value = graph.add_value("v" + std::to_string(n), DType::f32, {1000});
    node.outputs = {value};
    graph.nodes.push_back(node);
  }
  graph.outputs.push_back(value);
  return graph;
}

// Two devices behind links; node_us[node][device].
CostTable two_devices(std::vector<std::vector<double>> node_us) {
  CostTable costs;
  costs.devices = {"dev0", "dev1"};
  costs.node_us = std::move(node_us);
  costs.to_device = {Link{1, 100}, Link{1, 100}};
  costs.to_host = {Link{1, 100}, Link{1, 100}};
  costs.source = "test";
  return costs;
}

TEST(OracleCandidates, OneMoveNeighboursCarryFreeReadersAlong) {
  Graph graph = chain(3);  // n1 is free (a view)
  CostTable costs = two_devices({{5, 5}, {0, 0}, {5, 5}});
  EXPECT_TRUE(is_free_node(costs, 1));
  EXPECT_FALSE(is_free_node(costs, 0));
  std::vector<Placement> neighbours = one_move_neighbours(graph, costs, {0, 0, 0});
  EXPECT_EQ(neighbours, (std::vector<Placement>{{1, 1, 0}, {0, 0, 1}}));
}

TEST(OracleCandidates, NeighboursAvoidDevicesThatCannotRunTheNode) {
  Graph graph = chain(3);
  CostTable costs = two_devices({{5, 5}, {5, kUnsupported}, {5, 5}});
  std::vector<Placement> neighbours = one_move_neighbours(graph, costs, {1, 0, 1});
  EXPECT_EQ(neighbours, (std::vector<Placement>{{0, 0, 1}, {1, 0, 0}}));
}

TEST(OracleCandidates, EveryPlacementEnumeratesCostlyNodesWithinTheLimit) {
  Graph graph = chain(4);  // n2 free: follows n1
  CostTable costs = two_devices({{5, 5}, {5, 5}, {0, 0}, {5, 5}});
  std::vector<Placement> all = every_placement(graph, costs, {0, 0, 0, 0}, 8);
  ASSERT_EQ(all.size(), 8u);
  EXPECT_EQ(std::set<Placement>(all.begin(), all.end()).size(), 8u);
  for (const Placement& p : all) EXPECT_EQ(p[2], p[1]);
  EXPECT_TRUE(every_placement(graph, costs, {0, 0, 0, 0}, 7).empty());
}

TEST(OracleCandidates, ExhaustiveWhenSmallOrderedByPredictionWithoutCenter) {
  Graph graph = chain(3);
  CostTable costs = two_devices({{1, 9}, {9, 1}, {1, 9}});
  OracleCandidates oracle = oracle_candidates(graph, costs, {0, 0, 0}, 256);
  EXPECT_TRUE(oracle.exhaustive);
  ASSERT_EQ(oracle.candidates.size(), 7u);  // 2^3 placements less the center
  for (const PlacementCandidate& c : oracle.candidates) EXPECT_NE(c.placement, (Placement{0, 0, 0}));
  for (size_t i = 1; i < oracle.candidates.size(); ++i)
    EXPECT_LE(oracle.candidates[i - 1].predicted_us, oracle.candidates[i].predicted_us);
  EXPECT_EQ(oracle.candidates.front().predicted_us, schedule(graph, costs, oracle.candidates.front().placement).makespan_us);
}

TEST(OracleCandidates, LargeGraphsGetNeighboursAndSingleDevices) {
  Graph graph = chain(3);
  CostTable costs = two_devices({{1, 9}, {9, 1}, {1, 9}});
  OracleCandidates oracle = oracle_candidates(graph, costs, {0, 1, 0}, 4);
  EXPECT_FALSE(oracle.exhaustive);
  std::set<Placement> got;
  for (const PlacementCandidate& c : oracle.candidates) got.insert(c.placement);
  EXPECT_EQ(got, (std::set<Placement>{{1, 1, 0}, {0, 0, 0}, {0, 1, 1}, {1, 1, 1}}));
  EXPECT_EQ(got.size(), oracle.candidates.size());
}

TEST(MeasureInterleaved, RunsContendersInTurnAfterWarmup) {
  std::vector<std::string> calls;
  auto contender = [&](const std::string& name) {
    return Contender{name, [&calls, name](const std::vector<Tensor>&) {
                       calls.push_back(name);
                       return std::vector<Tensor>{};
                     }};
  };
  std::vector<Measured> measured = measure_interleaved({contender("a"), contender("b")}, {},
                                                       InterleaveOptions{.warmup = 2, .repeats = 3, .settle_below_us = 0});
  ASSERT_EQ(measured.size(), 2u);
  EXPECT_EQ(measured[0].runs, 3u);
  EXPECT_EQ(measured[1].runs, 3u);
  EXPECT_EQ(calls, (std::vector<std::string>{"a", "b", "a", "b", "a", "b", "a", "b", "a", "b"}));
  EXPECT_GE(measured[0].stats.p90, measured[0].stats.median);
  // Fast contenders settle: one untimed run right before each timed one.
  calls.clear();
  measured = measure_interleaved({contender("a"), contender("b")}, {}, InterleaveOptions{.warmup = 1, .repeats = 2});
  EXPECT_EQ(measured[0].runs, 2u);
  EXPECT_EQ(calls, (std::vector<std::string>{"a", "b", "a", "a", "b", "b", "a", "a", "b", "b"}));
}

bool backend_usable(const std::string& device) {
  for (const BackendStatus& b : list_backends())
    if (b.name == device.substr(0, device.find(':'))) return b.usable;
  return false;
}

TEST(ComparePlacements, Lenet5OracleIsNeverSlowerThanAutoOrASingleDevice) {
  std::string cache = (std::filesystem::temp_directory_path() /
                       ("tandem-compare-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
                        ".json"))
                          .string();
  std::filesystem::remove(cache);
  CompareOptions options;
  options.devices = {"cpu:0", "cpu:1", "cuda"};
  options.make_inputs = [](const std::vector<TensorSpec>& specs) { return test_util::seeded_inputs(specs, 5); };
  options.auto_options.devices = options.devices;
  options.auto_options.profile_path = cache;
  options.auto_options.device.threads = 1;
  options.auto_options.measure = MeasureOptions{1, 2, 0, 2};
  options.timing = InterleaveOptions{.warmup = 1, .repeats = 5};
  options.screening = InterleaveOptions{.warmup = 1, .repeats = 3};
  options.oracle_budget_s = 0.5;
  Comparison c = compare_placements("lenet5", options);
  std::filesystem::remove(cache);

  ASSERT_EQ(c.devices.size(), 3u);
  for (const DeviceMeasurement& d : c.devices) {
    EXPECT_EQ(d.usable, backend_usable(d.device)) << d.device;
    EXPECT_EQ(d.reason.empty(), d.usable) << d.device;
    if (d.usable) {
      EXPECT_LE(c.oracle.measured.stats.median, d.measured.stats.median) << d.device;
    }
  }
  EXPECT_GT(c.auto_plan.measured.stats.median, 0);
  EXPECT_LE(c.oracle.measured.stats.median, c.auto_plan.measured.stats.median);
  EXPECT_EQ(c.auto_plan.measured.runs, 5u);
  EXPECT_GT(c.candidates_total, 0u);
  EXPECT_GE(c.candidates_measured, 1u);
  EXPECT_LE(c.candidates_measured, c.candidates_total);
  EXPECT_EQ(c.checked_against, "cpu:0");
  EXPECT_LE(c.max_output_difference, options.tolerance);
  int placed = 0;
  for (const auto& [device, count] : c.auto_plan.nodes_per_device) placed += count;
  EXPECT_GT(placed, 0);
}

}  // namespace
}  // namespace tandem
