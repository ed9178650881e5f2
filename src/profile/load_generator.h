// Injected background CPU load: busy threads on a share of the cores for as long as
// a BackgroundLoad lives, so that profiles learn how latency grows with CPU load.
// share 0.5 on 2 cores spins 1 thread; share 1.0 spins one thread per core. The
// threads may be pinned to chosen cores (to load one CPU device instance only).
#pragma once
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace tandem {

class BackgroundLoad {
 public:
  // Spins round(share * cores) threads; cores 0 means all of this machine's cores.
  explicit BackgroundLoad(double share, int cores = 0);
  // Spins round(share * on_cores.size()) threads pinned to those cores.
  BackgroundLoad(double share, const std::vector<int>& on_cores);
  ~BackgroundLoad();  // stops and joins the threads
  BackgroundLoad(const BackgroundLoad&) = delete;
  BackgroundLoad& operator=(const BackgroundLoad&) = delete;

  int threads() const { return static_cast<int>(threads_.size()); }
  // The share actually injected: threads / cores.
  double share() const { return cores_ > 0 ? static_cast<double>(threads()) / cores_ : 0.0; }

 private:
  BackgroundLoad(double share, int cores, const std::vector<int>& on_cores);
  void stop_and_join();

  int cores_ = 0;
  std::shared_ptr<std::atomic<bool>> stop_;
  std::vector<std::thread> threads_;
};

}  // namespace tandem
