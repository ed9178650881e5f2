// A prepared graph compiled whole, as one segment, on one device, with device buffers
// for its boundary (inputs seeded with random contents): what the node profiler and
// the co-run measurement both time, run after run.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "backends/device.h"
#include "ir/graph.h"

namespace tandem {

// Seeded uniform [-1, 1) floats for an f32 value; zeros for other dtypes (valid
// indices, neutral flags).
std::vector<std::byte> random_contents(const Value& v, uint64_t seed);

class WholeRun {
 public:
  // `graph` is prepared and must outlive this.
  WholeRun(const Graph& graph, Device& device);
  ~WholeRun();
  WholeRun(const WholeRun&) = delete;
  WholeRun& operator=(const WholeRun&) = delete;

  const Segment& segment() const { return segment_; }
  // One run, synchronised; each node's time into `times` when given. Returns µs.
  double run_us(std::vector<NodeTime>* times = nullptr);

 private:
  Device& device_;
  Segment segment_;
  std::unique_ptr<Executable> executable_;
  std::vector<void*> inputs_, outputs_;  // device memory
};

}  // namespace tandem
