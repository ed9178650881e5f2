// Work claiming for the cpu device's threads: a generation-tagged task counter,
// workers that spin briefly for new work and then sleep on it (futex via
// std::atomic::wait).
#include "backends/cpu/thread_pool.h"

#include <omp.h>

#include <algorithm>
#include <utility>

#include "core/cores.h"

namespace tandem::cpu {

namespace {

constexpr int kSpins = 20000;  // polls of the counter before a worker sleeps (tens of µs)

// The claim state: generation (32 bits) | task count (16) | next task index (16).
// The count sits in the same word as the index so that a claim checks both in one
// compare-and-swap: with the count in a separate variable, a worker still in the
// last run could see the next run's count before its generation and claim (and
// run) a task of the next run twice.
constexpr int kMaxTasks = 0xFFFF;
uint64_t generation_of(uint64_t state) { return state >> 32; }
uint32_t count_of(uint64_t state) { return static_cast<uint32_t>(state >> 16) & 0xFFFF; }
uint32_t index_of(uint64_t state) { return static_cast<uint32_t>(state) & 0xFFFF; }
uint64_t state_of(uint64_t generation, int count) { return generation << 32 | static_cast<uint64_t>(count) << 16; }

}  // namespace

ThreadPool::ThreadPool(int threads, std::vector<int> cores) : cores_(std::move(cores)) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

ThreadPool::~ThreadPool() {
  stop_.store(true);
  state_.fetch_add(uint64_t{1} << 32);
  state_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void ThreadPool::run(int count, const std::function<void(int)>& task) {
  if (workers_.empty() || count <= 1) {
    for (int i = 0; i < count; ++i) task(i);
    return;
  }
  if (count > kMaxTasks) {  // in rounds of kMaxTasks
    for (int first = 0; first < count; first += kMaxTasks)
      run(std::min(kMaxTasks, count - first), [&](int i) { task(first + i); });
    return;
  }
  std::lock_guard<std::mutex> turn(caller_);
  task_.store(&task, std::memory_order_relaxed);
  finished_.store(0, std::memory_order_relaxed);
  uint64_t generation = generation_of(state_.load()) + 1;
  state_.store(state_of(generation, count));  // seq_cst: ordered before reading sleepers_
  if (sleepers_.load() > 0) state_.notify_all();
  drain(generation);
  // Only tasks a worker has claimed can be outstanding here.
  for (int spin = 0; finished_.load(std::memory_order_acquire) < count; ++spin)
    if (spin < kSpins)
      spin_pause();
    else
      std::this_thread::yield();
  if (error_) std::rethrow_exception(std::exchange(error_, nullptr));
}

void ThreadPool::drain(uint64_t generation) {
  uint64_t state = state_.load(std::memory_order_acquire);
  while (generation_of(state) == generation && index_of(state) < count_of(state)) {
    // Read before the claim: a successful claim proves the run is still this one, so
    // it cannot have been replaced.
    const std::function<void(int)>* task = task_.load(std::memory_order_relaxed);
    if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel)) continue;
    try {
      (*task)(static_cast<int>(index_of(state)));
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    finished_.fetch_add(1, std::memory_order_release);
    state = state_.load(std::memory_order_acquire);
  }
}

void ThreadPool::work() {
  omp_set_num_threads(1);
  pin_this_thread(cores_);
  uint64_t seen = 0;
  while (true) {
    uint64_t state = state_.load(std::memory_order_acquire);
    for (int spin = 0; generation_of(state) == seen && spin < kSpins; ++spin) {
      spin_pause();
      state = state_.load(std::memory_order_acquire);
    }
    if (generation_of(state) == seen) {
      sleepers_.fetch_add(1);
      state_.wait(state);
      sleepers_.fetch_sub(1);
      continue;
    }
    if (stop_.load()) return;
    seen = generation_of(state);
    drain(seen);
  }
}

SingleThreadedOneDnn::SingleThreadedOneDnn() : saved_(omp_get_max_threads()) { omp_set_num_threads(1); }

SingleThreadedOneDnn::~SingleThreadedOneDnn() { omp_set_num_threads(saved_); }

}  // namespace tandem::cpu
