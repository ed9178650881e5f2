// Host memory for tensors and host-side device buffers. Blocks of 4 MB and more are
// aligned to 2 MB and advised as transparent huge pages (madvise), so that layers
// streaming large weights or activations take far fewer TLB misses: on the 2-core
// development VM (transparent huge pages on madvise only) `tandem bench alexnet --batch
// 8` went from 32.1-32.9 ms to 28.9-30.5 ms with them (docs/benchmarks.md).
#pragma once
#include <cstddef>

namespace tandem {

// At least `bytes` (1 when 0), 64-byte aligned, not initialised; nullptr when the
// allocation fails. Release with std::free.
void* allocate_host_memory(size_t bytes);

}  // namespace tandem
