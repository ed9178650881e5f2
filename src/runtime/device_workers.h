// The plan executor's threads: one per device that has work in the plan, the first
// device's being the calling thread. The others are started once and woken for
// every run, so that a run does not pay for starting threads.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem {

class DeviceWorkers {
 public:
  explicit DeviceWorkers(size_t lanes);  // `lanes` - 1 threads
  ~DeviceWorkers();
  DeviceWorkers(const DeviceWorkers&) = delete;
  DeviceWorkers& operator=(const DeviceWorkers&) = delete;

  // Runs task(0) on the calling thread and task(i) for 0 < i < lanes on the threads,
  // and returns when all have returned. `task` must not throw.
  void run(const std::function<void(size_t)>& task);

 private:
  void work(size_t lane);

  std::mutex mutex_;
  std::condition_variable wake_, finished_;
  const std::function<void(size_t)>* task_ = nullptr;
  uint64_t generation_ = 0;
  size_t running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace tandem
