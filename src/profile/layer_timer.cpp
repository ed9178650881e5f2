// LayerTimer: compile once, resident inputs, warm-up, then timed runs with a device
// synchronisation after each, until a minimum count and a minimum time are reached.
#include "profile/layer_timer.h"

#include <chrono>

#include "ir/zoo/builder.h"

namespace tandem {

namespace {

// Uniform [-1, 1) floats from `seed`, as a host tensor of the value's shape.
Tensor random_host_tensor(const Value& v, uint64_t seed) {
  Tensor t(v.dtype, v.shape);
  if (v.dtype != DType::f32) return t;
  zoo::WeightRng rng(seed);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = rng.uniform(-1.0f, 1.0f);
  return t;
}

}  // namespace

LayerTimer::LayerTimer(Device& device, const Graph& graph, uint64_t seed) : device_(device), graph_(graph) {
  segment_ = whole_graph_segment(graph_);
  executable_ = device_.compile(segment_);
  for (int id : segment_.inputs) {
    const Value& v = graph_.value(id);
    Tensor host = random_host_tensor(v, seed++);
    inputs_.push_back(device_.allocate(host.nbytes()));
    device_.copy_from_host(inputs_.back(), host.raw(), host.nbytes());
  }
  for (int id : segment_.outputs) outputs_.push_back(device_.allocate(value_bytes(graph_.value(id))));
  device_.synchronize();
}

LayerTimer::~LayerTimer() {
  device_.synchronize();
  for (void* p : inputs_) device_.release(p);
  for (void* p : outputs_) device_.release(p);
}

void LayerTimer::run_once() {
  executable_->run(std::vector<const void*>(inputs_.begin(), inputs_.end()), outputs_);
  device_.synchronize();
}

LayerTiming LayerTimer::time(const TimerOptions& options) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < options.warmup; ++i) run_once();
  std::vector<double> samples;
  const auto begin = Clock::now();
  auto elapsed_s = [&] { return std::chrono::duration<double>(Clock::now() - begin).count(); };
  while (static_cast<int>(samples.size()) < options.max_repeats &&
         (static_cast<int>(samples.size()) < options.min_repeats || elapsed_s() < options.min_seconds)) {
    const auto start = Clock::now();
    run_once();
    samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  return {spread_of(samples), options.warmup, static_cast<int>(samples.size())};
}

LayerTiming time_layer(Device& device, const Graph& graph, const TimerOptions& options) {
  LayerTimer timer(device, graph);
  return timer.time(options);
}

}  // namespace tandem
