// The rest of a model, for a layer profiled alone: between two runs of a node inside a
// model, every other layer reads its weights and writes its activations, so a node's
// own weights have usually left the caches by its next run (a 2 MB FC layer inside
// ResNet-18 reads them at DRAM speed). A layer timed alone between two small convs
// finds them cached instead. A CacheStream reads a buffer of a chosen size through the
// caches before each timed run, so that sampled layers are measured in both states;
// the bytes it reads add to the nodes' graph_bytes feature.
#pragma once
#include <cstddef>

#include "tandem/tensor.h"

namespace tandem {

class CacheStream {
 public:
  // A zeroed host buffer of `bytes` (rounded up to whole cache lines). Throws
  // Error(Device) when the memory cannot be had.
  explicit CacheStream(size_t bytes);
  size_t bytes() const { return buffer_.nbytes(); }
  // Reads one word of every cache line of the first `bytes` (at most bytes()).
  void pass(size_t bytes) const;

 private:
  Tensor buffer_;  // i64 words
};

}  // namespace tandem
