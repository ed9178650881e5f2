// Host core lists and pinning: parsing and formatting core lists, splitting the
// cores between CPU devices, overlap, pinned CPU devices and their compute groups in
// the cost table, busy share per core from a /proc/stat-like file, pinned load, the
// co-run slowdown of two devices on disjoint cores, and binding a thread to cores.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <pthread.h>
#include <sched.h>

#include "backends/registry.h"
#include "core/cores.h"
#include "ir/prepare.h"
#include "profile/co_run.h"
#include "plan/cost_table.h"
#include "profile/cpu_load.h"
#include "profile/load_generator.h"
#include "tandem/error.h"

namespace tandem {
namespace {

TEST(Cores, ParseAndFormatCoreLists) {
  EXPECT_EQ(parse_core_list("0-3,6"), (std::vector<int>{0, 1, 2, 3, 6}));
  EXPECT_EQ(parse_core_list("5"), (std::vector<int>{5}));
  EXPECT_EQ(format_core_list({6, 0, 1, 2, 3}), "0-3,6");
  EXPECT_EQ(format_core_list({}), "all");
  for (const char* bad : {"", "a", "1-", "3-1", "1,,2", "-1", "99999999"}) EXPECT_THROW(parse_core_list(bad), Error) << bad;
}

TEST(Cores, SplitGivesDisjointNearEqualShares) {
  const int cores = host_core_count();
  auto shares = split_cores({"cpu:0", "cpu:1"});
  if (cores < 2) {
    GTEST_SKIP() << "one core";
  }
  ASSERT_EQ(shares.size(), 2u);
  EXPECT_FALSE(cores_overlap(shares["cpu:0"], shares["cpu:1"]));
  EXPECT_EQ(static_cast<int>(shares["cpu:0"].size() + shares["cpu:1"].size()), cores);
  EXPECT_LE(std::abs(static_cast<int>(shares["cpu:0"].size()) - static_cast<int>(shares["cpu:1"].size())), 1);
  std::vector<std::string> too_many(static_cast<size_t>(cores) + 1, "cpu");
  EXPECT_THROW(split_cores(too_many), Error);
}

TEST(Cores, OverlapTreatsEmptyAsAllCores) {
  EXPECT_TRUE(cores_overlap({}, {3}));
  EXPECT_TRUE(cores_overlap({1, 2}, {2, 3}));
  EXPECT_FALSE(cores_overlap({0}, {1}));
}

TEST(Cores, PinnedCpuDeviceNamesItsCoresAndRejectsBadOnes) {
  DeviceOptions options;
  options.cores["cpu:1"] = {0};
  auto device = create_device("cpu:1", options);
  EXPECT_EQ(device->info().cores, std::vector<int>{0});
  EXPECT_EQ(device->info().threads, 1);
  EXPECT_NE(device->info().description.find("pinned to cores 0"), std::string::npos);
  options.cores["cpu:1"] = {0, 0};
  EXPECT_THROW(create_device("cpu:1", options), Error);
  options.cores["cpu:1"] = {4096};
  EXPECT_THROW(create_device("cpu:1", options), Error);
}

TEST(Cores, CostTableGroupsHostDevicesThatShareCores) {
  Graph g;
  int x = g.add_value("x", DType::f32, {1, 8});
  Node relu;
  relu.name = "relu";
  relu.op = "Relu";
  relu.inputs = {x};
  relu.outputs = {g.add_value("y", DType::f32, {1, 8})};
  g.nodes.push_back(relu);
  g.inputs = {x};
  g.outputs = relu.outputs;
  Predictor predictor;
  CostTable shared = cost_table(g, predictor, {"cpu:0", "cpu:1", "cuda"});
  EXPECT_EQ(shared.compute_group, (std::vector<int>{0, 0, 2}));
  if (host_core_count() < 2) GTEST_SKIP() << "one core";
  CostOptions options;
  options.cores = {{"cpu:0", {0}}, {"cpu:1", {1}}};
  CostTable pinned = cost_table(g, predictor, {"cpu:0", "cpu:1"}, options);
  EXPECT_EQ(pinned.compute_group, (std::vector<int>{0, 1}));
  options.calibration["cpu:1"] = -1;
  EXPECT_THROW(cost_table(g, predictor, {"cpu:0", "cpu:1"}, options), Error);
}

TEST(Cores, CoRunSlowdownOfDevicesOnDisjointCores) {
  if (host_core_count() < 2) GTEST_SKIP() << "one core";
  Graph graph = load_model("lenet5");
  prepare_graph(graph, PrepareOptions{});
  DeviceOptions options;
  options.cores = split_cores({"cpu:0", "cpu:1"});
  auto a = create_device("cpu:0", options), b = create_device("cpu:1", options);
  double slowdown = measure_co_run_slowdown(graph, *a, *b);
  EXPECT_GE(slowdown, 1.0);
  EXPECT_LT(slowdown, 10.0);
  CoRunOptions too_slow;
  too_slow.max_run_s = 1e-9;
  EXPECT_DOUBLE_EQ(measure_co_run_slowdown(graph, *a, *b, too_slow), 1.0);
}

TEST(Cores, LoadMeterReadsChosenCores) {
  auto path = std::filesystem::temp_directory_path() / "tandem-cores-stat";
  auto write = [&](int busy0, int idle0, int busy1, int idle1) {  // cumulative ticks
    std::ofstream out(path);
    out << "cpu  " << busy0 + busy1 << " 0 0 " << idle0 + idle1 << " 0 0 0 0 0 0\n"
        << "cpu0 " << busy0 << " 0 0 " << idle0 << " 0 0 0 0 0 0\n"
        << "cpu1 " << busy1 << " 0 0 " << idle1 << " 0 0 0 0 0 0\nintr 1\n";
  };
  write(0, 100, 0, 100);
  CpuLoadMeter core0(path.string(), {0}), core1(path.string(), {1}), both(path.string());
  write(100, 100, 50, 150);  // of the next 100 ticks, core 0 busy for all, core 1 for half
  EXPECT_DOUBLE_EQ(core0.busy_share().value(), 1.0);
  EXPECT_DOUBLE_EQ(core1.busy_share().value(), 0.5);
  EXPECT_DOUBLE_EQ(both.busy_share().value(), 0.75);
  CpuLoadMeter missing(path.string(), {7});
  EXPECT_FALSE(missing.busy_share().has_value());
  std::filesystem::remove(path);
}

// The calling thread's allowed cores, read from the kernel.
std::vector<int> allowed_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  pthread_getaffinity_np(pthread_self(), sizeof(set), &set);
  std::vector<int> cores;
  for (int core = 0; core < CPU_SETSIZE; ++core)
    if (CPU_ISSET(core, &set)) cores.push_back(core);
  return cores;
}

TEST(Cores, BindingPinsForItsScopeAndLeavesAPinnedThreadAlone) {
  std::thread([] {
    const std::vector<int> before = allowed_cores();
    {
      ThreadCoreBinding binding({0});
      EXPECT_EQ(allowed_cores(), std::vector<int>{0});
      EXPECT_EQ(sched_getcpu(), 0);
    }
    EXPECT_EQ(allowed_cores(), before) << "restored after the scope";
    pin_this_thread({0});
    {
      ThreadCoreBinding again({0});  // already there
      EXPECT_EQ(allowed_cores(), std::vector<int>{0});
    }
    EXPECT_EQ(allowed_cores(), std::vector<int>{0}) << "a thread pinned beforehand stays pinned";
  }).join();
}

TEST(Cores, BackgroundLoadCanBePinned) {
  BackgroundLoad load(1.0, std::vector<int>{0});
  EXPECT_EQ(load.threads(), 1);
  EXPECT_THROW(BackgroundLoad(1.0, std::vector<int>{}), Error);
  EXPECT_THROW(BackgroundLoad(1.0, std::vector<int>{4096}), Error);
}

}  // namespace
}  // namespace tandem
