// The plan executor against a single-device cpu Session: random placements,
// a placement alternating devices every node and one with parallel branches on
// different devices, over the independent devices cpu:0 and cpu:1 (real copies
// between their buffers), for a chain (lenet5), a residual DAG (resnet18) and an
// inception DAG (googlenet); plus clean errors and repeatable results.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <cmath>
#include <cstring>
#include <random>

#include "ir/prepare.h"
#include "plan/plan.h"
#include "runtime/boundary_buffers.h"
#include "runtime/plan_executor.h"
#include "op_test_util.h"
#include "tandem/session.h"

namespace tandem {
namespace {

// A model prepared at one batch size, seeded inputs and the cpu Session's outputs.
struct Reference {
  Graph graph;
  std::vector<Tensor> inputs, outputs;
};

std::vector<Tensor> seeded_inputs(const std::vector<TensorSpec>& specs) {
  return test_util::seeded_inputs(specs, 7);
}

Reference reference_of(const std::string& model, int64_t batch) {
  Reference r;
  r.graph = load_model(model);
  prepare_graph(r.graph, PrepareOptions{batch, {}, true});
  Session session = Session::open(model, SessionOptions{.device = "cpu", .batch = batch});
  r.inputs = seeded_inputs(session.inputs());
  r.outputs = session.run(r.inputs);
  return r;
}

// Unit node costs; cpu:1 sits behind a link so that the schedule has copies.
CostTable unit_costs(const Graph& graph) {
  CostTable costs;
  costs.devices = {"cpu:0", "cpu:1"};
  costs.node_us.assign(graph.nodes.size(), {1.0, 1.0});
  costs.to_device = {Link{}, Link{1.0, 1000.0}};
  costs.to_host = {Link{}, Link{1.0, 1000.0}};
  costs.source = "unit costs";
  return costs;
}

Plan plan_for(const Graph& graph, const Placement& placement) { return schedule(graph, unit_costs(graph), placement); }

Placement random_placement(const Graph& graph, uint64_t seed) {
  std::mt19937_64 rng(seed);
  Placement placement(graph.nodes.size());
  for (int& d : placement) d = static_cast<int>(rng() % 2);
  return placement;
}

Placement alternating(const Graph& graph) {
  Placement placement(graph.nodes.size());
  for (size_t n = 0; n < placement.size(); ++n) placement[n] = static_cast<int>(n % 2);
  return placement;
}

// The readers of a value read by several nodes alternate devices; every other node
// follows the producer of its first input, so parallel branches run on different devices.
Placement branches_apart(const Graph& graph) {
  auto producers = graph.producers();
  auto consumers = graph.consumers();
  Placement placement(graph.nodes.size(), 0);
  for (size_t n = 0; n < graph.nodes.size(); ++n)
    for (int v : graph.nodes[n].inputs) {
      if (v == kNoValue || producers[static_cast<size_t>(v)] < 0) continue;
      const std::vector<int>& readers = consumers[static_cast<size_t>(v)];
      auto position = std::find(readers.begin(), readers.end(), static_cast<int>(n)) - readers.begin();
      placement[n] = readers.size() > 1 ? static_cast<int>(position % 2)
                                        : placement[static_cast<size_t>(producers[static_cast<size_t>(v)])];
      break;
    }
  return placement;
}

void expect_close(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].shape(), want[k].shape());
    const float* a = got[k].data<float>();
    const float* b = want[k].data<float>();
    double scale = 1, worst = 0;
    for (int64_t i = 0; i < want[k].numel(); ++i) {
      scale = std::max(scale, std::abs(static_cast<double>(b[i])));
      worst = std::max(worst, std::abs(static_cast<double>(a[i]) - b[i]));
    }
    EXPECT_LE(worst, 1e-5 * scale) << "output " << k;
  }
}

void expect_plan_matches(const Reference& r, const Placement& placement) {
  PlanExecutor executor(r.graph, plan_for(r.graph, placement));
  expect_close(executor.run(r.inputs), r.outputs);
}

bool uses_both_devices(const Placement& placement) {
  return std::count(placement.begin(), placement.end(), 0) > 0 && std::count(placement.begin(), placement.end(), 1) > 0;
}

TEST(PlanExecutor, Lenet5PlacementsMatchSession) {
  Reference r = reference_of("lenet5", 1);
  for (uint64_t seed = 1; seed <= 4; ++seed) expect_plan_matches(r, random_placement(r.graph, seed));
  expect_plan_matches(r, alternating(r.graph));
  expect_plan_matches(r, Placement(r.graph.nodes.size(), 1));
}

TEST(PlanExecutor, Lenet5Batch2MatchesSession) {
  Reference r = reference_of("lenet5", 2);
  expect_plan_matches(r, alternating(r.graph));
  expect_plan_matches(r, random_placement(r.graph, 11));
}

TEST(PlanExecutor, ResNet18ShortcutsOnOtherDeviceMatchSession) {
  Reference r = reference_of("resnet18", 1);
  Placement placement = branches_apart(r.graph);
  ASSERT_TRUE(uses_both_devices(placement));
  expect_plan_matches(r, placement);
}

TEST(PlanExecutor, GoogLeNetBranchesOnDifferentDevicesMatchSession) {
  Reference r = reference_of("googlenet", 1);
  Placement placement = branches_apart(r.graph);
  ASSERT_TRUE(uses_both_devices(placement));
  expect_plan_matches(r, placement);
  expect_plan_matches(r, random_placement(r.graph, 5));
}

TEST(PlanExecutor, SegmentsAreMaximalRunsOnOneDevice) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  PlanExecutor together(g, plan_for(g, Placement(g.nodes.size(), 0)));
  ASSERT_EQ(together.segments().size(), 1u);
  EXPECT_EQ(together.segments()[0].nodes.size(), g.nodes.size());
  PlanExecutor apart(g, plan_for(g, alternating(g)));
  ASSERT_EQ(apart.segments().size(), g.nodes.size());
  EXPECT_EQ(apart.segments()[1].device, 1);
  EXPECT_EQ(apart.devices(), (std::vector<std::string>{"cpu:0", "cpu:1"}));
}

// Number of runs of consecutive nodes on one device.
size_t device_runs(const Placement& placement) {
  size_t runs = 0;
  for (size_t n = 0; n < placement.size(); ++n) runs += n == 0 || placement[n] != placement[n - 1];
  return runs;
}

TEST(PlanExecutor, SegmentsAreCutWhereALaterNodeWouldWaitForAnotherDevice) {
  // Each inception block's 3x3 branch on dev0, the rest on dev1: dev1's run of the
  // other branches and the concat would wait for the 3x3 branch before starting.
  Reference r = reference_of("googlenet", 1);
  Placement placement(r.graph.nodes.size(), 1);
  for (size_t n = 0; n < placement.size(); ++n)
    if (r.graph.nodes[n].name.find("branch2") != std::string::npos) placement[n] = 0;
  Plan plan = plan_for(r.graph, placement);
  std::map<int, const PlannedNode*> planned;
  for (const PlannedNode& n : plan.nodes) planned[n.node] = &n;
  const std::vector<int> producers = r.graph.producers();
  PlanExecutor executor(r.graph, plan);
  EXPECT_GT(executor.segments().size(), device_runs(placement)) << "some runs of one device wait mid-way";
  for (const PlanSegment& segment : executor.segments())
    for (int n : segment.nodes)
      for (int v : r.graph.nodes[static_cast<size_t>(n)].inputs) {
        const int p = v == kNoValue ? -1 : producers[static_cast<size_t>(v)];
        if (p >= 0 && placement[static_cast<size_t>(p)] != segment.device) {
          EXPECT_LE(planned[p]->finish_us, planned[segment.nodes.front()]->start_us)
              << r.graph.nodes[static_cast<size_t>(n)].name << " would hold up its segment";
        }
      }
  expect_close(executor.run(r.inputs), r.outputs);
  for (PlannedNode& n : plan.nodes) n.start_us = n.finish_us = 0;  // no timeline: cut at device switches only
  EXPECT_EQ(PlanExecutor(r.graph, plan).segments().size(), device_runs(placement));
}

// A chain alternating devices: a (dev0) -> b (dev1) -> c (dev0) -> d (dev1) -> e (dev0).
TEST(BoundaryBuffers, LifetimesWidenAroundCopiesAndDeadValuesShareBytes) {
  enum { a = 10, b, c, d, e };
  std::vector<SegmentBoundary> chain = {{0, {}, {a}}, {1, {a}, {b}}, {0, {b}, {c}}, {1, {c}, {d}}, {0, {d}, {e}}};
  std::map<int, size_t> bytes = {{a, 1000}, {b, 1000}, {c, 1000}, {d, 1000}, {e, 1000}};
  BoundaryLayout layout = layout_boundary_buffers(chain, 2, bytes, {a, b, c, d, e});
  // On dev0 (positions 0, 1, 2): a [0,1] (leaves after 0), b [0,1] (arrives during 0),
  // c [1,2], d [1,2], e [2,3]: at most 4 live at once, and e may reuse a's or b's bytes.
  EXPECT_EQ(layout.separate_bytes, 9000u);  // 5 values on dev0, 4 on dev1
  EXPECT_LE(layout.arena_bytes[0], 4 * 1024u);
  auto disjoint = [&](int v, int w, int device) {
    size_t x = layout.offset.at({v, device}), y = layout.offset.at({w, device});
    return x + 1000 <= y || y + 1000 <= x;
  };
  for (auto [v, w] : std::vector<std::pair<int, int>>{{a, b}, {a, c}, {b, c}, {b, d}, {c, d}, {c, e}, {d, e}})
    EXPECT_TRUE(disjoint(v, w, 0)) << v << " and " << w;
  EXPECT_TRUE(disjoint(a, b, 1) && disjoint(b, c, 1) && disjoint(c, d, 1));
  EXPECT_EQ(layout.offset.count({e, 1}), 0u);
}

TEST(PlanExecutor, BoundaryValuesShareOneArenaPerDevice) {
  Reference r = reference_of("googlenet", 1);
  PlanExecutor executor(r.graph, plan_for(r.graph, alternating(r.graph)));
  EXPECT_GT(executor.boundary_bytes(), 0u);
  EXPECT_LT(executor.boundary_bytes(), executor.separate_boundary_bytes());
  expect_close(executor.run(r.inputs), r.outputs);
  expect_close(executor.run(r.inputs), r.outputs);
}

TEST(PlanExecutor, RepeatedRunsGiveIdenticalResultsAndTimes) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  Plan plan = plan_for(g, random_placement(g, 3));
  PlanExecutor executor(std::move(g), plan);
  std::vector<Tensor> inputs = seeded_inputs(executor.inputs());
  std::vector<Tensor> first = executor.run(inputs);
  for (int run = 0; run < 3; ++run) {
    std::vector<Tensor> again = executor.run(inputs);
    ASSERT_EQ(again.size(), first.size());
    for (size_t k = 0; k < first.size(); ++k)
      EXPECT_EQ(0, std::memcmp(again[k].raw(), first[k].raw(), first[k].nbytes())) << "run " << run;
  }
  const PlanRunTimes& times = executor.last_run_times();
  EXPECT_EQ(times.segment_us.size(), executor.segments().size());
  EXPECT_GT(times.wall_us, 0);
  for (double us : times.segment_us) EXPECT_GE(us, 0);
}

TEST(PlanExecutor, NodeOnADeviceThatCannotRunItIsUnsupported) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  Plan plan = plan_for(g, alternating(g));
  g.nodes[1].op = "NoSuchOp";
  try {
    PlanExecutor executor(g, plan);
    FAIL() << "expected Unsupported";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find(g.nodes[1].name), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cpu:1"), std::string::npos) << e.what();
  }
}

TEST(PlanExecutor, WrongInputsAreInvalidInput) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  PlanExecutor executor(g, plan_for(g, alternating(g)));
  try {
    executor.run({Tensor(DType::f32, {1, 1, 2, 2})});
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("must have shape"), std::string::npos) << e.what();
  }
  EXPECT_THROW(executor.run({}), Error);
}

TEST(PlanExecutor, PlanWithUnknownDeviceIndexIsInvalidInput) {
  Graph g = load_model("lenet5");
  prepare_graph(g, PrepareOptions{1, {}, true});
  Plan plan = plan_for(g, alternating(g));
  plan.nodes[2].device = 5;
  try {
    PlanExecutor executor(g, plan);
    FAIL() << "expected InvalidInput";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
}

}  // namespace
}  // namespace tandem
