// Timing a device alone and beside another (co_run.h).
#include "profile/co_run.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "profile/profile.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

// The whole graph compiled on one device, with device buffers for its boundary.
class WholeRun {
 public:
  WholeRun(const Graph& graph, Device& device) : device_(device), segment_(whole_graph_segment(graph)) {
    executable_ = device_.compile(segment_);
    for (int id : segment_.inputs) inputs_.push_back(device_.allocate(value_bytes(graph.value(id))));
    for (int id : segment_.outputs) outputs_.push_back(device_.allocate(value_bytes(graph.value(id))));
    for (size_t k = 0; k < inputs_.size(); ++k)
      device_.copy_from_host(inputs_[k], zeros(value_bytes(graph.value(segment_.inputs[k]))).data(),
                             value_bytes(graph.value(segment_.inputs[k])));
  }
  ~WholeRun() {
    for (void* p : inputs_) device_.release(p);
    for (void* p : outputs_) device_.release(p);
  }
  double run_us() {
    std::vector<const void*> in(inputs_.begin(), inputs_.end());
    Clock::time_point start = Clock::now();
    executable_->run(in, outputs_);
    device_.synchronize();
    return std::chrono::duration<double, std::micro>(Clock::now() - start).count();
  }

 private:
  static std::vector<std::byte> zeros(size_t bytes) { return std::vector<std::byte>(bytes); }

  Device& device_;
  Segment segment_;
  std::unique_ptr<Executable> executable_;
  std::vector<void*> inputs_, outputs_;
};

double median_of(WholeRun& run, int runs) {
  std::vector<double> samples;
  for (int i = 0; i < runs; ++i) samples.push_back(run.run_us());
  return spread_of(samples).median;
}

}  // namespace

double measure_co_run_slowdown(const Graph& graph, Device& device, Device& other, const CoRunOptions& options) {
  WholeRun mine(graph, device), theirs(graph, other);
  if (mine.run_us() > options.max_run_s * 1e6) return 1;
  theirs.run_us();
  std::vector<double> ratios;  // together / alone, per round
  for (int round = 0; round < std::max(1, options.rounds); ++round) {
    double alone = median_of(mine, options.runs);
    std::atomic<bool> stop{false};
    std::thread busy([&] {
      while (!stop.load()) theirs.run_us();
    });
    double together = median_of(mine, options.runs);
    stop.store(true);
    busy.join();
    if (alone > 0) ratios.push_back(together / alone);
  }
  return ratios.empty() ? 1 : std::max(1.0, spread_of(ratios).median);
}

}  // namespace tandem
