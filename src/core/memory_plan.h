// Offsets for buffers with known lifetimes inside one arena, reusing memory of
// tensors that are dead: greedy by size, first fit among overlapping lifetimes.
#pragma once
#include <climits>
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

// A backend's buffer list laid out in one arena: the byte offset of each buffer for
// which `in_arena(buffer)` holds (others keep kNotInArena). Buffers need `bytes`,
// `first_step` (INT_MAX when never touched) and `last_step` (-1 when never touched).
constexpr size_t kNotInArena = static_cast<size_t>(-1);
struct ArenaLayout {
  std::vector<size_t> offsets;  // per buffer
  size_t total_bytes = 0;
};
template <class Buffer, class InArena>
ArenaLayout layout_arena(const std::vector<Buffer>& buffers, InArena in_arena, size_t alignment) {
  std::vector<size_t> ids;
  std::vector<BufferLifetime> requests;
  for (size_t i = 0; i < buffers.size(); ++i) {
    const Buffer& b = buffers[i];
    if (!in_arena(b)) continue;
    ids.push_back(i);
    requests.push_back({b.bytes, b.first_step == INT_MAX ? 0 : b.first_step, b.last_step < 0 ? 0 : b.last_step});
  }
  MemoryPlan plan = plan_memory(requests, alignment);
  ArenaLayout layout{std::vector<size_t>(buffers.size(), kNotInArena), plan.total_bytes};
  for (size_t k = 0; k < ids.size(); ++k) layout.offsets[ids[k]] = plan.offsets[k];
  return layout;
}

}  // namespace tandem
