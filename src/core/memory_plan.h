// Offsets for buffers with known lifetimes inside one arena, reusing memory of
// tensors that are dead: greedy by size, first fit among overlapping lifetimes.
#pragma once
#include <cstddef>
#include <vector>

namespace tandem {

struct BufferLifetime {
  size_t bytes = 0;
  int first_step = 0;  // step that writes it
  int last_step = 0;   // last step that reads it (inclusive)
};

struct MemoryPlan {
  std::vector<size_t> offsets;  // one per request
  size_t total_bytes = 0;
};

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers, size_t alignment = 64);

}  // namespace tandem
