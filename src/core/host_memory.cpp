// Aligned host memory with huge pages for large blocks (host_memory.h).
#include "core/host_memory.h"

#include <algorithm>
#include <cstdlib>

#if defined(__linux__)
#include <sys/mman.h>
#endif

namespace tandem {

namespace {
constexpr size_t kHugePage = size_t{2} << 20;
constexpr size_t kHugeFrom = 2 * kHugePage;  // smaller blocks would waste up to half their size

size_t round_up(size_t bytes, size_t unit) { return (bytes + unit - 1) / unit * unit; }
}  // namespace

void* allocate_host_memory(size_t bytes) {
  size_t rounded = round_up(std::max<size_t>(bytes, 1), 64);
  const bool huge = rounded >= kHugeFrom;
  if (huge) rounded = round_up(rounded, kHugePage);
  void* p = std::aligned_alloc(huge ? kHugePage : 64, rounded);
  if (!p) return nullptr;
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (huge) madvise(p, rounded, MADV_HUGEPAGE);  // before the first touch; without it, small pages
#endif
  return p;
}

}  // namespace tandem
