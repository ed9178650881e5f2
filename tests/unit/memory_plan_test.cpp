// Arena planning: buffers alive at the same time never overlap; dead ones are reused.
#include <gtest/gtest.h>

#include "core/memory_plan.h"

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
