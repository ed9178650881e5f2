// The "auto" device through Session::open: with a temporary profile cache it
// profiles lenet5 on cpu:0 and cpu:1, plans and runs with outputs equal to a cpu
// Session; a second open reuses the cache without measuring again; unusable devices
// in the list are dropped; per-layer runs and an empty device list fail cleanly.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <random>

#include "backends/registry.h"
#include "profile/profile.h"
#include "runtime/auto_planner.h"
#include "op_test_util.h"
#include "tandem/session.h"

namespace tandem {
namespace {

std::vector<Tensor> seeded_inputs(const std::vector<TensorSpec>& specs) {
  return test_util::seeded_inputs(specs, 11);
}

void expect_near(const std::vector<Tensor>& got, const std::vector<Tensor>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].shape(), want[k].shape());
    for (int64_t i = 0; i < got[k].numel(); ++i)
      ASSERT_NEAR(got[k].data<float>()[i], want[k].data<float>()[i], 1e-5) << "output " << k << " element " << i;
  }
}

class AutoDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = (std::filesystem::temp_directory_path() /
              ("tandem-auto-test-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) + "-" +
               ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".json"))
                 .string();
    std::filesystem::remove(cache_);
  }
  void TearDown() override { std::filesystem::remove(cache_); }

  SessionOptions auto_options(std::vector<std::string> devices) const {
    SessionOptions options;
    options.device = "auto";
    options.devices = std::move(devices);
    options.profile = cache_;
    options.threads = 1;
    options.profile_repeats = 2;
    options.profile_seconds = 0;
    return options;
  }

  std::vector<Tensor> cpu_outputs(const std::vector<Tensor>& inputs) const {
    SessionOptions options;
    options.threads = 1;
    return Session::open("lenet5", options).run(inputs);
  }

  std::string cache_;
};

TEST_F(AutoDeviceTest, ProfilesPlansAndRunsThenReusesTheCache) {
  Session first = Session::open("lenet5", auto_options({"cpu:0", "cpu:1"}));
  EXPECT_EQ(first.device_name(), "auto(cpu:0,cpu:1)");
  std::vector<Tensor> inputs = seeded_inputs(first.inputs());
  std::vector<Tensor> expected = cpu_outputs(inputs);
  expect_near(first.run(inputs), expected);
  expect_near(first.run(inputs), expected);

  Profile profiled = read_profile(cache_);
  EXPECT_EQ(profiled.runs.size(), 2u);
  EXPECT_EQ(profiled.links.size(), 4u);  // to and from each of cpu:0 and cpu:1
  auto mtime = std::filesystem::last_write_time(cache_);

  Session second = Session::open("lenet5", auto_options({"cpu:0", "cpu:1"}));
  expect_near(second.run(inputs), expected);
  EXPECT_EQ(read_profile(cache_).runs.size(), profiled.runs.size());
  EXPECT_EQ(std::filesystem::last_write_time(cache_), mtime);
}

TEST_F(AutoDeviceTest, DropsUnusableDevices) {
  Session session = Session::open("lenet5", auto_options({"cpu", "cuda"}));
  std::vector<BackendStatus> backends = list_backends();
  bool cuda_usable = std::any_of(backends.begin(), backends.end(),
                                 [](const BackendStatus& b) { return b.name == "cuda" && b.usable; });
  EXPECT_EQ(session.device_name(), cuda_usable ? "auto(cpu,cuda)" : "auto(cpu)");
  std::vector<Tensor> inputs = seeded_inputs(session.inputs());
  expect_near(session.run(inputs), cpu_outputs(inputs));
  for (const ProfileRun& run : read_profile(cache_).runs) EXPECT_EQ(run.model, "lenet5");
}

// A plan on one device runs as a plain session on it: per-layer times work, and the
// results equal the cpu session's.
TEST_F(AutoDeviceTest, SingleDevicePlanRunsAsAPlainSession) {
  Session session = Session::open("lenet5", auto_options({"cpu"}));
  std::vector<LayerTime> layers;
  std::vector<Tensor> inputs = seeded_inputs(session.inputs());
  expect_near(session.run_profiled(inputs, layers), cpu_outputs(inputs));
  EXPECT_FALSE(layers.empty());
}

TEST_F(AutoDeviceTest, NoDeviceLeftIsAnError) {
  try {
    Session::open("lenet5", auto_options({}));
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
  }
}

TEST(AutoPlannerTest, DefaultProfilePathFollowsTandemCache) {
  const char* saved = std::getenv("TANDEM_CACHE");
  std::string previous = saved ? saved : "";
  setenv("TANDEM_CACHE", "/tmp/some-cache.json", 1);
  EXPECT_EQ(default_profile_path(), "/tmp/some-cache.json");
  unsetenv("TANDEM_CACHE");
  EXPECT_NE(default_profile_path().find("profile.json"), std::string::npos);
  if (saved) setenv("TANDEM_CACHE", previous.c_str(), 1);
}

}  // namespace
}  // namespace tandem
