// Plan files, plan tables, cost tables from a predictor, explanations and the plan
// SVG, on LeNet-5 with hand-made costs (no device is timed).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>

#include <nlohmann/json.hpp>

#include "ir/prepare.h"
#include "plan/cost_table.h"
#include "plan/explain.h"
#include "plan/plan_file.h"
#include "plan/plan_svg.h"
#include "profile/node_profiler.h"
#include "tandem/error.h"

namespace tandem {
namespace {

using json = nlohmann::ordered_json;

const Graph& lenet() {
  static const Graph graph = [] {
    Graph g = load_model("lenet5");
    prepare_graph(g, PrepareOptions{1, {}, true});
    return g;
  }();
  return graph;
}

// cpu: 100 µs per node, cuda: 10 µs per node and free views; links of 5 µs + 1 byte/ns.
CostTable two_device_costs(const Graph& graph) {
  CostTable costs;
  costs.devices = {"cpu", "cuda"};
  for (const Node& node : graph.nodes) costs.node_us.push_back({100.0, is_pure_view(node.op) ? 0.0 : 10.0});
  costs.to_device = {Link{}, Link{5, 1000}};
  costs.to_host = {Link{}, Link{5, 1000}};
  costs.source = "test";
  return costs;
}

// The first half of the nodes on cpu, the rest on cuda, scheduled.
Plan half_and_half(const Graph& graph, const CostTable& costs, int64_t batch = 1) {
  Placement placement(graph.nodes.size(), 0);
  for (size_t n = graph.nodes.size() / 2; n < graph.nodes.size(); ++n) placement[n] = 1;
  Plan plan = schedule(graph, costs, placement);
  plan.model = "lenet5";
  plan.batch = batch;
  plan.strategy = "user";
  return plan;
}

std::string temp_path(const std::string& name) { return ::testing::TempDir() + "tandem_plan_" + name; }

void expect_plan_error(const json& j, const std::string& words) {
  try {
    plan_from_json(j, lenet(), "p.json");
    ADD_FAILURE() << "expected an error containing '" << words << "'";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("p.json"), std::string::npos) << e.what();
  }
}

TEST(PlanFile, RoundTripKeepsEveryField) {
  CostTable costs = two_device_costs(lenet());
  Plan plan = half_and_half(lenet(), costs);
  ASSERT_FALSE(plan.copies.empty());
  std::string path = temp_path("roundtrip.json");
  write_plan(plan, lenet(), path);
  Plan back = read_plan(path, lenet());
  std::remove(path.c_str());
  EXPECT_EQ(back.model, plan.model);
  EXPECT_EQ(back.batch, plan.batch);
  EXPECT_EQ(back.devices, plan.devices);
  EXPECT_EQ(back.cost_model, plan.cost_model);
  EXPECT_EQ(back.strategy, plan.strategy);
  EXPECT_EQ(back.makespan_us, plan.makespan_us);
  ASSERT_EQ(back.nodes.size(), plan.nodes.size());
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    EXPECT_EQ(back.nodes[i].node, plan.nodes[i].node);
    EXPECT_EQ(back.nodes[i].device, plan.nodes[i].device);
    EXPECT_EQ(back.nodes[i].start_us, plan.nodes[i].start_us);
    EXPECT_EQ(back.nodes[i].finish_us, plan.nodes[i].finish_us);
  }
  ASSERT_EQ(back.copies.size(), plan.copies.size());
  for (size_t i = 0; i < plan.copies.size(); ++i) {
    EXPECT_EQ(back.copies[i].value, plan.copies[i].value);
    EXPECT_EQ(back.copies[i].from, plan.copies[i].from);
    EXPECT_EQ(back.copies[i].to, plan.copies[i].to);
    EXPECT_EQ(back.copies[i].bytes, plan.copies[i].bytes);
    EXPECT_EQ(back.copies[i].finish_us, plan.copies[i].finish_us);
  }
  EXPECT_EQ(placement_of(back, lenet()), placement_of(plan, lenet()));
}

TEST(PlanFile, PinnedCoresRoundTripAndBadListsAreNamed) {
  CostTable costs = two_device_costs(lenet());
  Plan plan = half_and_half(lenet(), costs);
  plan.cores[plan.devices[0]] = {0, 1, 2, 5};
  std::string path = temp_path("cores.json");
  write_plan(plan, lenet(), path);
  EXPECT_EQ(read_plan(path, lenet()).cores, plan.cores);
  nlohmann::json j = plan_to_json(plan, lenet());
  EXPECT_EQ(j["cores"][plan.devices[0]], "0-2,5");
  j["cores"][plan.devices[0]] = "3-1";
  try {
    plan_from_json(j, lenet(), "edited.json");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("cores." + plan.devices[0]), std::string::npos) << e.what();
  }
  j["cores"] = {{"gpu:9", "0"}};
  EXPECT_THROW(plan_from_json(j, lenet(), "edited.json"), Error);
  std::remove(path.c_str());
}

TEST(PlanFile, HandEditedPlanNeedsOnlyDevicesAndReordersNodes) {
  json j = plan_to_json(half_and_half(lenet(), two_device_costs(lenet())), lenet());
  j.erase("copies");
  j.erase("makespan_us");
  for (json& node : j["nodes"]) {
    node.erase("start_us");
    node.erase("finish_us");
    node["device"] = "cuda";
  }
  std::swap(j["nodes"][0], j["nodes"][1]);
  Plan plan = plan_from_json(j, lenet(), "edited.json");
  EXPECT_TRUE(plan.copies.empty());
  for (size_t i = 0; i < plan.nodes.size(); ++i) {
    EXPECT_EQ(plan.nodes[i].node, static_cast<int>(i));
    EXPECT_EQ(plan.nodes[i].device, 1);
  }
}

TEST(PlanFile, MalformedPlansGiveClearErrors) {
  const json good = plan_to_json(half_and_half(lenet(), two_device_costs(lenet())), lenet());
  expect_plan_error(json::array(), "not a tandem-plan");
  json j = good;
  j["format"] = "tandem-profile";
  expect_plan_error(j, "not a tandem-plan");
  j = good;
  j["version"] = 2;
  expect_plan_error(j, "format version 2");
  j = good;
  j.erase("batch");
  expect_plan_error(j, "missing field 'batch'");
  j = good;
  j["batch"] = 0;
  expect_plan_error(j, "batch: must be at least 1");
  j = good;
  j["nodes"][2]["name"] = "conv99";
  expect_plan_error(j, "nodes[2]: model 'lenet5' has no node 'conv99'");
  j = good;
  j["nodes"][3]["device"] = "tpu";
  expect_plan_error(j, "nodes[3].device: unknown device 'tpu' (the plan's devices: cpu, cuda)");
  j = good;
  j["nodes"][1] = j["nodes"][0];
  expect_plan_error(j, "is listed twice (also nodes[0])");
  j = good;
  j["nodes"].erase(j["nodes"].size() - 1);
  expect_plan_error(j, "1 node(s) of model 'lenet5' have no device");
  j = good;
  j["nodes"][0]["op"] = "Softmax";
  expect_plan_error(j, "is this plan for another model?");
  j = good;
  j["nodes"][0]["finish_us"] = -3;
  expect_plan_error(j, "nodes[0].finish_us: expected a finite number >= 0");
  j = good;
  j["copies"][0]["value"] = "nowhere";
  expect_plan_error(j, "copies[0].value: model 'lenet5' has no value 'nowhere'");
  j = good;
  j["copies"][0]["to"] = j["copies"][0]["from"];
  expect_plan_error(j, "from a place to itself");
  j = good;
  j["devices"] = {"cpu", "cpu"};
  expect_plan_error(j, "listed twice");
  j = good;
  j["devices"] = {"host", "cuda"};
  expect_plan_error(j, "'host' is host memory");
}

TEST(PlanFile, UnreadableFilesGiveClearErrors) {
  std::string path = temp_path("broken.json");
  std::ofstream(path) << "{ \"format\": \"tandem-plan\", ";
  try {
    read_plan(path, lenet());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  std::remove(path.c_str());
  try {
    read_plan_table(temp_path("missing.json"), lenet());
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Io);
  }
}

PlanTable table_of(const std::vector<int64_t>& batches) {
  CostTable costs = two_device_costs(lenet());
  PlanTable table{"lenet5", {}};
  for (int64_t b : batches) table.plans.push_back(half_and_half(lenet(), costs, b));
  return table;
}

TEST(PlanTable, PicksTheNearestBatchTiesToTheLarger) {
  PlanTable table = table_of({1, 4, 16});
  EXPECT_EQ(pick_plan(table, 0).batch, 1);
  EXPECT_EQ(pick_plan(table, 1).batch, 1);
  EXPECT_EQ(pick_plan(table, 2).batch, 1);
  EXPECT_EQ(pick_plan(table, 3).batch, 4);
  EXPECT_EQ(pick_plan(table, 10).batch, 16);  // 6 from 4 and from 16
  EXPECT_EQ(pick_plan(table, 9).batch, 4);
  EXPECT_EQ(pick_plan(table, 500).batch, 16);
  EXPECT_THROW(pick_plan(PlanTable{}, 1), Error);
}

TEST(PlanTable, RoundTripSortsByBatchAndReadsSinglePlans) {
  PlanTable table = table_of({8, 1, 2});
  json j = plan_table_to_json(table, lenet());
  EXPECT_EQ(j["format"], "tandem-plan-table");
  PlanTable back = plan_table_from_json(j, lenet(), "t.json");
  ASSERT_EQ(back.plans.size(), 3u);
  EXPECT_EQ(back.model, "lenet5");
  EXPECT_EQ(back.plans[0].batch, 1);
  EXPECT_EQ(back.plans[2].batch, 8);
  PlanTable single = plan_table_from_json(plan_to_json(table.plans[0], lenet()), lenet(), "p.json");
  ASSERT_EQ(single.plans.size(), 1u);
  EXPECT_EQ(single.plans[0].batch, 8);
  j["plans"][1]["batch"] = 8;
  EXPECT_THROW(plan_table_from_json(j, lenet(), "t.json"), Error);
  j["plans"][1]["nodes"][0]["device"] = "npu";
  try {
    plan_table_from_json(j, lenet(), "t.json");
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("plans[1].nodes[0].device"), std::string::npos) << e.what();
  }
}

// A profile of LeNet-5 on cpu whose node times follow 1 µs + flops / 1000, with the
// MaxPool nodes fused.
Profile lenet_profile(const Graph& graph) {
  Profile profile;
  profile.devices["cpu"] = {"cpu", "host", "test CPU", 2, "0"};
  ProfileRun run;
  run.model = "lenet5";
  run.device = "cpu";
  for (const Node& node : graph.nodes) {
    NodeFeatures f = node_features(node, graph);
    f.threads = 2;
    bool fused = node.op == "MaxPool";
    double us = fused ? 0 : 1 + f.flops / 1000;
    run.nodes.push_back({node.name, node_signature(node, graph), fused, {us, us, us}, f});
  }
  profile.runs.push_back(run);
  return profile;
}

TEST(CostTable, FromPredictorViewsAndFusedNodesAreFree) {
  const Graph& g = lenet();
  Predictor predictor = Predictor::fit(lenet_profile(g));
  CostOptions options;
  options.predictor_path = "lenet.json";
  CostTable costs = cost_table(g, predictor, {"cpu", "cuda:7"}, options);
  EXPECT_EQ(costs.source, "predictor lenet.json");
  ASSERT_EQ(costs.node_us.size(), g.nodes.size());
  int views = 0, pools = 0;
  for (size_t n = 0; n < g.nodes.size(); ++n) {
    const std::string& op = g.nodes[n].op;
    ASSERT_EQ(costs.node_us[n].size(), 2u);
    if (is_pure_view(op)) {
      ++views;
      EXPECT_EQ(costs.node_us[n][0], 0);
      EXPECT_EQ(costs.node_us[n][1], 0);
    } else if (op == "MaxPool") {
      ++pools;
      EXPECT_EQ(costs.node_us[n][0], 0) << "fused on cpu in the profile";
      EXPECT_GT(costs.node_us[n][1], 0);
    } else {
      EXPECT_GT(costs.node_us[n][0], 0) << g.nodes[n].name;
      EXPECT_TRUE(std::isfinite(costs.node_us[n][0]));
      EXPECT_GT(costs.node_us[n][1], 0);
    }
  }
  EXPECT_GT(views, 0);
  EXPECT_GT(pools, 0);
  EXPECT_EQ(costs.to_device[0].time_us(1e6), 0);  // the host itself
  EXPECT_EQ(costs.to_host[0].time_us(1e6), 0);
  double expected = predictor.predict_copy("cuda:7", "to_device", 1e6);
  EXPECT_NEAR(costs.to_device[1].time_us(1e6), expected, 1e-6 * expected);
  EXPECT_THROW(cost_table(g, predictor, {"cpu", "tpu"}), Error);
  EXPECT_THROW(cost_table(g, predictor, {"cpu", "cpu"}), Error);
}

TEST(CostTable, ProfiledNodesCostTheirMeasuredTimes) {
  const Graph& g = lenet();
  Predictor predictor = Predictor::fit(lenet_profile(g));
  Profile measured = lenet_profile(g);
  size_t conv = 0;
  while (g.nodes[conv].op != "Conv") ++conv;
  measured.runs[0].nodes[conv].us = {5000, 5000, 5000};
  CostOptions options;
  options.measured = measured_times(measured, "lenet5", 1, 0, {"cpu", "cuda:7"});
  ASSERT_EQ(options.measured.size(), 1u) << "cuda:7 has no run";
  for (const auto& [name, node] : options.measured.at("cpu")) EXPECT_NE(name.find("pool"), 0u) << "fused: left out";
  CostTable costs = cost_table(g, predictor, {"cpu", "cuda:7"}, options);
  EXPECT_EQ(costs.node_us[conv][0], 5000);
  EXPECT_LT(costs.node_us[conv][1], 5000) << "predicted where nothing was measured";
  EXPECT_NE(costs.source.find("measured"), std::string::npos);

  options.load = 0.5;  // measured at load 0: scaled by the predictor's load response
  NodeFeatures f = node_features(g.nodes[conv], g);
  f.threads = 2;
  double at_zero = predictor.predict(f, "cpu");
  f.load = 0.5;
  double at_half = predictor.predict(f, "cpu");
  EXPECT_NEAR(cost_table(g, predictor, {"cpu"}, options).node_us[conv][0], 5000 * at_half / at_zero, 1e-6);

  options.load = 0;
  options.threads = 1;  // measured with 2 threads
  EXPECT_NE(cost_table(g, predictor, {"cpu"}, options).node_us[conv][0], 5000);
  options.threads = 0;
  options.measured["cpu"][g.nodes[conv].name].signature = "Conv (9, 9)";
  EXPECT_NE(cost_table(g, predictor, {"cpu"}, options).node_us[conv][0], 5000) << "another shape: predicted";
  EXPECT_TRUE(measured_times(measured, "lenet5", 2, 0, {"cpu"}).empty()) << "no run at batch 2";
}

TEST(Explain, NamesDevicesTimesAndCopies) {
  const Graph& g = lenet();
  CostTable costs = two_device_costs(g);
  Plan plan = half_and_half(g, costs);
  std::string text = explain_text(g, costs, plan);
  EXPECT_NE(text.find("cuda: 10 µs vs cpu 100 µs"), std::string::npos) << text;
  EXPECT_NE(text.find("cpu: 100 µs vs cuda 10 µs"), std::string::npos) << text;
  EXPECT_NE(text.find("copy in"), std::string::npos) << text;
  EXPECT_NE(text.find(g.nodes.front().name), std::string::npos) << text;
  std::vector<LayerExplanation> layers = explain_layers(g, costs, plan);
  ASSERT_EQ(layers.size(), g.nodes.size());
  size_t first_on_cuda = g.nodes.size() / 2;
  EXPECT_EQ(layers[first_on_cuda].device, 1);
  EXPECT_GT(layers[first_on_cuda].copy_in_us, 0);
  EXPECT_GT(layers[first_on_cuda - 1].copy_out_us, 0);
  EXPECT_GT(layers.back().copy_out_us, 0);  // the graph output goes back to the host
  EXPECT_EQ(layers.front().copy_in_us, 0);  // the cpu reads host memory
}

TEST(Explain, LayersWhoseDeviceChangesWithBatch) {
  PlanTable table = table_of({1, 2, 8});
  EXPECT_NE(explain_batch_changes(lenet(), table).find("every layer keeps its device"), std::string::npos);
  table.plans[2].nodes[0].device = 1;
  std::string text = explain_batch_changes(lenet(), table);
  EXPECT_NE(text.find(lenet().nodes[0].name), std::string::npos) << text;
  EXPECT_NE(text.find("batch 1-2: cpu; batch 8: cuda"), std::string::npos) << text;
  EXPECT_NE(text.find("1 of"), std::string::npos) << text;
}

// Whether every <tag> is closed in order (self-closing tags count as closed).
bool tags_balanced(const std::string& svg) {
  std::vector<std::string> open;
  for (size_t at = svg.find('<'); at != std::string::npos; at = svg.find('<', at + 1)) {
    size_t end = svg.find('>', at);
    if (end == std::string::npos) return false;
    std::string tag = svg.substr(at + 1, end - at - 1);
    if (tag.empty() || tag.back() == '/') continue;
    std::string name = tag.substr(tag[0] == '/' ? 1 : 0, tag.find_first_of(" \n") - (tag[0] == '/' ? 1 : 0));
    if (tag[0] != '/') {
      open.push_back(name);
    } else {
      if (open.empty() || open.back() != name) return false;
      open.pop_back();
    }
  }
  return open.empty();
}

size_t count_of(const std::string& text, const std::string& part) {
  size_t count = 0;
  for (size_t at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++count;
  return count;
}

TEST(PlanSvg, WellFormedWithALanePerDeviceAndLink) {
  const Graph& g = lenet();
  Plan plan = half_and_half(g, two_device_costs(g));
  std::string svg = plan_svg(g, plan);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  EXPECT_TRUE(tags_balanced(svg));
  EXPECT_NE(svg.find(R"(class="lane">cpu<)"), std::string::npos);
  EXPECT_NE(svg.find(R"(class="lane">cuda<)"), std::string::npos);
  EXPECT_NE(svg.find(R"(class="lane">host → cuda<)"), std::string::npos);
  EXPECT_NE(svg.find(R"(class="lane">cuda → host<)"), std::string::npos);
  EXPECT_EQ(count_of(svg, R"(class="lane")"), 4u);
  // a box with a hover title for every node in the timeline and in the graph, and every copy
  EXPECT_EQ(count_of(svg, "<title>"), 2 * g.nodes.size() + plan.copies.size());
  EXPECT_NE(svg.find("time (µs)"), std::string::npos);
}

}  // namespace
}  // namespace tandem
