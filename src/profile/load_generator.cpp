// Busy-spinning threads for BackgroundLoad.
#include "profile/load_generator.h"

#include <pthread.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <system_error>

#include "core/cores.h"
#include "tandem/error.h"

namespace tandem {

// Integer work the compiler cannot remove, checking the stop flag between short bursts.
static void spin(const std::atomic<bool>& stop) {
  volatile uint64_t sink = 0;
  uint64_t x = 88172645463325252ull;
  while (!stop.load(std::memory_order_relaxed)) {
    for (int i = 0; i < 4096; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    sink = sink + x;
  }
}

BackgroundLoad::BackgroundLoad(double share, int cores) : BackgroundLoad(share, cores, {}) {}

BackgroundLoad::BackgroundLoad(double share, const std::vector<int>& on_cores)
    : BackgroundLoad(share, static_cast<int>(on_cores.size()), on_cores) {
  if (on_cores.empty()) fail(ErrorKind::InvalidInput, "background load needs at least one core to run on");
}

BackgroundLoad::BackgroundLoad(double share, int cores, const std::vector<int>& on_cores)
    : stop_(std::make_shared<std::atomic<bool>>(false)) {
  if (!(share >= 0 && share <= 1))
    fail(ErrorKind::InvalidInput, "background load " + std::to_string(share) + " must be a share between 0 and 1");
  check_cores(on_cores, "background load");
  cores_ = cores > 0 ? cores : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  int count = static_cast<int>(std::lround(share * cores_));
  try {
    for (int i = 0; i < count; ++i) {
      threads_.emplace_back([stop = stop_, on_cores] {
        pin_this_thread(on_cores);
        spin(*stop);
      });
      pthread_setname_np(threads_.back().native_handle(), "tandem-load");
    }
  } catch (const std::system_error& e) {
    stop_and_join();
    fail(ErrorKind::Internal, "cannot start background load thread: " + std::string(e.what()));
  }
}

BackgroundLoad::~BackgroundLoad() { stop_and_join(); }

void BackgroundLoad::stop_and_join() {
  stop_->store(true);
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

}  // namespace tandem
