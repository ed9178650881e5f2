// The cpu device's threads. run(count, task) splits work into independent tasks that
// the caller and the workers claim one at a time; the caller never waits for a
// worker that has not started, so a worker descheduled by a busy machine costs
// speed, not a stall (OpenMP's fork-join waits for every thread at each region).
// oneDNN itself runs single-threaded on each of these threads.
#pragma once
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace tandem::cpu {

class ThreadPool {
 public:
  // The caller plus threads - 1 workers; workers pinned to `cores` when given (the
  // caller pins itself for the length of a run, see ThreadCoreBinding).
  explicit ThreadPool(int threads, std::vector<int> cores = {});
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }
  const std::vector<int>& cores() const { return cores_; }
  // Runs task(i) for every i in [0, count) and returns when all have finished; the
  // first exception a task throws (on any thread) is rethrown here. Concurrent
  // callers take turns; a task must not call run itself.
  void run(int count, const std::function<void(int)>& task);

 private:
  void work();
  // Claims and runs tasks of generation `generation` until none is left.
  void drain(uint64_t generation);

  std::vector<int> cores_;  // empty: unpinned
  std::vector<std::thread> workers_;
  std::mutex caller_;  // one run at a time
  // Generation, task count and next task index (thread_pool.cpp); a claim is one
  // compare-and-swap on all three.
  std::atomic<uint64_t> state_{0};
  std::atomic<int> finished_{0};
  std::atomic<int> sleepers_{0};
  std::atomic<bool> stop_{false};
  std::atomic<const std::function<void(int)>*> task_{nullptr};
  std::mutex error_mutex_;
  std::exception_ptr error_;  // the first exception of the current run
};

// Runs part(first, last) over [0, count) cut into up to `tasks` ranges on `pool`; as
// one range on the calling thread when `pool` is null or one range is all there is.
template <class F>
void run_ranges(ThreadPool* pool, int tasks, int64_t count, F part) {
  const int64_t parts = pool ? std::min<int64_t>(tasks, count) : 1;
  if (parts <= 1) return part(int64_t{0}, count);
  pool->run(static_cast<int>(parts), [&](int t) { part(count * t / parts, count * (t + 1) / parts); });
}

// While alive, the calling thread runs oneDNN single-threaded (its OpenMP thread
// count is 1): primitives are created and executed that way, parallelism comes from
// ThreadPool.
class SingleThreadedOneDnn {
 public:
  SingleThreadedOneDnn();
  ~SingleThreadedOneDnn();
  SingleThreadedOneDnn(const SingleThreadedOneDnn&) = delete;
  SingleThreadedOneDnn& operator=(const SingleThreadedOneDnn&) = delete;

 private:
  int saved_;
};

}  // namespace tandem::cpu
