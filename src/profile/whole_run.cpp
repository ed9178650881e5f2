// The whole graph as one segment on a device (whole_run.h).
#include "profile/whole_run.h"

#include <chrono>
#include <random>

namespace tandem {

std::vector<std::byte> random_contents(const Value& v, uint64_t seed) {
  std::vector<std::byte> bytes(value_bytes(v));
  if (v.dtype != DType::f32) return bytes;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  float* p = reinterpret_cast<float*>(bytes.data());
  for (size_t i = 0; i < bytes.size() / sizeof(float); ++i) p[i] = uniform(rng);
  return bytes;
}

WholeRun::WholeRun(const Graph& graph, Device& device) : device_(device), segment_(whole_graph_segment(graph)) {
  executable_ = device_.compile(segment_);
  uint64_t seed = 1;
  for (int id : segment_.inputs) {
    std::vector<std::byte> contents = random_contents(graph.value(id), seed++);
    inputs_.push_back(device_.allocate(contents.size()));
    device_.copy_from_host(inputs_.back(), contents.data(), contents.size());
  }
  for (int id : segment_.outputs) outputs_.push_back(device_.allocate(value_bytes(graph.value(id))));
  device_.synchronize();
}

WholeRun::~WholeRun() {
  for (void* p : inputs_) device_.release(p);
  for (void* p : outputs_) device_.release(p);
}

double WholeRun::run_us(std::vector<NodeTime>* times) {
  std::vector<const void*> in(inputs_.begin(), inputs_.end());
  auto start = std::chrono::steady_clock::now();
  executable_->run(in, outputs_, times);
  device_.synchronize();
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace tandem
