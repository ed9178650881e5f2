// Session::run called from several threads at once, on one session or on one session
// per thread: every caller gets the result of its own input, equal to the same input
// run alone, on each host device.
#include <gtest/gtest.h>

#include <thread>

#include "op_test_util.h"
#include "tandem/session.h"

namespace tandem {
namespace {

constexpr int kCallers = 4;
constexpr int kRunsPerCaller = 12;

void expect_equal(const std::vector<Tensor>& got, const std::vector<Tensor>& want, int caller) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    ASSERT_EQ(got[k].shape(), want[k].shape());
    for (int64_t i = 0; i < got[k].numel(); ++i)
      ASSERT_EQ(got[k].data<float>()[i], want[k].data<float>()[i]) << "caller " << caller << " element " << i;
  }
}

class SessionThreadsTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SessionThreadsTest, ConcurrentRunsEachGetTheirOwnResult) {
  SessionOptions options;
  options.device = GetParam();
  Session session = Session::open("squeezenet1_1", options);
  std::vector<std::vector<Tensor>> inputs, expected;
  for (int caller = 0; caller < kCallers; ++caller) {
    inputs.push_back(test_util::seeded_inputs(session.inputs(), 100 + static_cast<uint64_t>(caller)));
    expected.push_back(session.run(inputs.back()));
  }
  std::vector<std::vector<std::vector<Tensor>>> got(kCallers);
  std::vector<std::thread> callers;
  for (int caller = 0; caller < kCallers; ++caller)
    callers.emplace_back([&, caller] {
      for (int run = 0; run < kRunsPerCaller; ++run) got[static_cast<size_t>(caller)].push_back(session.run(inputs[static_cast<size_t>(caller)]));
    });
  for (std::thread& t : callers) t.join();
  for (int caller = 0; caller < kCallers; ++caller)
    for (const std::vector<Tensor>& result : got[static_cast<size_t>(caller)])
      expect_equal(result, expected[static_cast<size_t>(caller)], caller);
}

TEST_P(SessionThreadsTest, OneSessionPerThreadRunsSideBySide) {
  SessionOptions options;
  options.device = GetParam();
  std::vector<Session> sessions;
  std::vector<std::vector<Tensor>> inputs, expected, got(kCallers);
  for (int caller = 0; caller < kCallers; ++caller) {
    sessions.push_back(Session::open("squeezenet1_1", options));
    inputs.push_back(test_util::seeded_inputs(sessions.back().inputs(), 200 + static_cast<uint64_t>(caller)));
    expected.push_back(sessions.back().run(inputs.back()));
  }
  std::vector<std::thread> callers;
  for (size_t caller = 0; caller < kCallers; ++caller)
    callers.emplace_back([&, caller] {
      for (int run = 0; run < kRunsPerCaller; ++run) got[caller] = sessions[caller].run(inputs[caller]);
    });
  for (std::thread& t : callers) t.join();
  for (int caller = 0; caller < kCallers; ++caller)
    expect_equal(got[static_cast<size_t>(caller)], expected[static_cast<size_t>(caller)], caller);
}

INSTANTIATE_TEST_SUITE_P(HostDevices, SessionThreadsTest, ::testing::Values("cpu", "cpu:1"));

}  // namespace
}  // namespace tandem
