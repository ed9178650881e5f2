// Wake-up and completion of the executor's device threads (device_workers.h).
#include "runtime/device_workers.h"

namespace tandem {

DeviceWorkers::DeviceWorkers(size_t lanes) {
  for (size_t lane = 1; lane < lanes; ++lane) threads_.emplace_back([this, lane] { work(lane); });
}

DeviceWorkers::~DeviceWorkers() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
}

void DeviceWorkers::run(const std::function<void(size_t)>& task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    task_ = &task;
    running_ = threads_.size();
    ++generation_;
  }
  wake_.notify_all();
  task(0);
  std::unique_lock<std::mutex> lock(mutex_);
  finished_.wait(lock, [this] { return running_ == 0; });
  task_ = nullptr;
}

void DeviceWorkers::work(size_t lane) {
  uint64_t seen = 0;
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
    if (stop_) return;
    seen = generation_;
    const std::function<void(size_t)>* task = task_;
    lock.unlock();
    (*task)(lane);
    lock.lock();
    if (--running_ == 0) finished_.notify_one();
  }
}

}  // namespace tandem
