// Greedy arena planning: place the largest buffers first, each at the lowest offset
// that does not overlap a placed buffer whose lifetime intersects its own.
#include "core/memory_plan.h"

#include <algorithm>
#include <numeric>

namespace tandem {

static size_t round_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

static bool lifetimes_overlap(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

MemoryPlan plan_memory(const std::vector<BufferLifetime>& buffers, size_t alignment) {
  MemoryPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  for (size_t i : order) {
    size_t size = round_up(std::max<size_t>(buffers[i].bytes, 1), alignment);
    // Intervals [offset, end) of live neighbours, sorted by offset.
    std::vector<std::pair<size_t, size_t>> busy;
    for (size_t j : placed)
      if (lifetimes_overlap(buffers[i], buffers[j]))
        busy.emplace_back(plan.offsets[j], plan.offsets[j] + round_up(std::max<size_t>(buffers[j].bytes, 1), alignment));
    std::sort(busy.begin(), busy.end());
    size_t offset = 0;
    for (auto [start, end] : busy) {
      if (offset + size <= start) break;
      offset = std::max(offset, end);
    }
    plan.offsets[i] = offset;
    plan.total_bytes = std::max(plan.total_bytes, offset + size);
    placed.push_back(i);
  }
  return plan;
}

}  // namespace tandem
