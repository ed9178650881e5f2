// Host memory: arena planning (buffers alive at the same time never overlap; dead
// ones are reused) and the allocation of host blocks.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "core/host_memory.h"
#include "core/memory_plan.h"
#include "tandem/tensor.h"

using namespace tandem;

TEST(MemoryPlan, LiveBuffersDoNotOverlapAndDeadOnesAreReused) {
  std::vector<BufferLifetime> buffers = {{1000, 0, 1}, {1000, 1, 2}, {1000, 2, 3}, {10, 0, 3}};
  MemoryPlan plan = plan_memory(buffers, 64);
  for (size_t i = 0; i < buffers.size(); ++i)
    for (size_t j = i + 1; j < buffers.size(); ++j) {
      bool live_together = buffers[i].first_step <= buffers[j].last_step && buffers[j].first_step <= buffers[i].last_step;
      bool disjoint = plan.offsets[i] + buffers[i].bytes <= plan.offsets[j] || plan.offsets[j] + buffers[j].bytes <= plan.offsets[i];
      if (live_together) {
        EXPECT_TRUE(disjoint) << i << " and " << j;
      }
    }
  EXPECT_EQ(plan.offsets[0], plan.offsets[2]);  // 0 is dead when 2 is written
  EXPECT_LT(plan.total_bytes, 3000u);
}

// Small blocks are 64-byte aligned; from 4 MB on they start on a 2 MB boundary (for
// huge pages) and the whole request is writable. Tensors come zero-filled.
TEST(HostMemory, BlocksAreAlignedForTheirSize) {
  for (size_t bytes : {size_t{0}, size_t{1}, size_t{100}, size_t{4} << 20, (size_t{5} << 20) + 3}) {
    void* p = allocate_host_memory(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    const size_t alignment = bytes >= (size_t{4} << 20) ? size_t{2} << 20 : 64;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % alignment, 0u) << bytes;
    std::memset(p, 0xab, bytes);
    std::free(p);
  }
  Tensor t(DType::f32, {3, 1 << 19});  // 6 MB
  const float* data = t.data<float>();
  for (int64_t i = 0; i < t.numel(); i += 4099) EXPECT_EQ(data[i], 0.0f) << i;
  EXPECT_EQ(data[t.numel() - 1], 0.0f);
}
