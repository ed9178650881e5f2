// Lifetimes of boundary values per device and their arena layout (boundary_buffers.h).
#include "runtime/boundary_buffers.h"

#include <algorithm>

#include "core/memory_plan.h"

namespace tandem {

namespace {

struct Lifetime {
  int first = -1, last = -1;  // positions in the device's segment order
  void cover(int from, int to) {
    first = first < 0 ? from : std::min(first, from);
    last = std::max(last, to);
  }
};

// (value, device) -> lifetime, from the segments in plan order.
std::map<std::pair<int, int>, Lifetime> lifetimes(const std::vector<SegmentBoundary>& segments, size_t devices,
                                                  const std::set<int>& leaving) {
  std::vector<int> position(devices, 0);
  std::map<std::pair<int, int>, Lifetime> life;
  for (const SegmentBoundary& s : segments) {
    const int p = position.at(static_cast<size_t>(s.device))++;
    for (int v : s.inputs) {
      Lifetime& l = life[{v, s.device}];
      if (l.first < 0) l.cover(std::max(0, p - 1), p);  // copied in during the segment before
      l.cover(l.first, p);
    }
    for (int v : s.outputs) life[{v, s.device}].cover(p, leaving.count(v) ? p + 1 : p);
  }
  return life;
}

}  // namespace

BoundaryLayout layout_boundary_buffers(const std::vector<SegmentBoundary>& segments, size_t devices,
                                       const std::map<int, size_t>& bytes, const std::set<int>& leaving,
                                       size_t alignment) {
  BoundaryLayout layout;
  layout.arena_bytes.assign(devices, 0);
  std::vector<std::vector<std::pair<int, int>>> keys(devices);
  std::vector<std::vector<BufferLifetime>> requests(devices);
  for (const auto& [key, life] : lifetimes(segments, devices, leaving)) {
    const size_t size = bytes.at(key.first);
    keys[static_cast<size_t>(key.second)].push_back(key);
    requests[static_cast<size_t>(key.second)].push_back({size, life.first, life.last});
    layout.separate_bytes += size;
  }
  for (size_t d = 0; d < devices; ++d) {
    MemoryPlan plan = plan_memory(requests[d], alignment);
    layout.arena_bytes[d] = plan.total_bytes;
    for (size_t k = 0; k < keys[d].size(); ++k) layout.offset[keys[d][k]] = plan.offsets[k];
  }
  return layout;
}

}  // namespace tandem
