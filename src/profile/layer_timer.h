// Times one small graph (a layer from layer_grid.h) on one device: compiles it once,
// puts seeded random inputs in the device's memory, warms up, then runs it until both
// a minimum number of repeats and a minimum time are reached, synchronising the device
// after every run. What is timed is the device's latency for the layer with its input
// already resident: no host<->device copies (the link model covers those).
#pragma once
#include <memory>
#include <vector>

#include "backends/device.h"
#include "ir/graph.h"
#include "profile/profile.h"

namespace tandem {

struct TimerOptions {
  int warmup = 2;
  int min_repeats = 5;
  int max_repeats = 1000;
  double min_seconds = 0.1;  // timed runs continue until this much time has passed
};

struct LayerTiming {
  Spread us;        // median, p10, p90 of the timed runs
  int warmup = 0;   // untimed runs before them
  int repeats = 0;  // timed runs
};

// A graph compiled on a device with its input and output buffers, ready to be timed
// again and again (re-measuring a point does not recompile it).
class LayerTimer {
 public:
  // Compiles `graph` on `device` (which must outlive the timer) and fills the inputs.
  LayerTimer(Device& device, const Graph& graph, uint64_t seed = 1);
  ~LayerTimer();
  LayerTimer(const LayerTimer&) = delete;
  LayerTimer& operator=(const LayerTimer&) = delete;

  LayerTiming time(const TimerOptions& options);

 private:
  void run_once();

  Device& device_;
  Graph graph_;
  Segment segment_;
  std::unique_ptr<Executable> executable_;
  std::vector<void*> inputs_, outputs_;
};

// Compiles and times `graph` on `device` once.
LayerTiming time_layer(Device& device, const Graph& graph, const TimerOptions& options);

}  // namespace tandem
