// Host memory for tensors and host-side device buffers. Blocks of 4 MB and more are
// aligned to 2 MB and advised as transparent huge pages (madvise), so that layers
// streaming large weights or activations take far fewer TLB misses. On the 2-core
// AVX-512 development VM (transparent huge pages on madvise only), `tandem bench MODEL
// --repeats 15`, three rounds alternating f0b397a and d855125 (2026-12-07): alexnet
// 10.6-11.1 -> 9.9-10.3 ms, at batch 8 31.6-32.7 -> 29.9-31.6 ms; vgg16 70.3-73.1 ->
// 68.6-70.9 ms; resnet50 25.8-27.0 -> 25.1-25.9 ms.
#pragma once
#include <cstddef>

namespace tandem {

// At least `bytes` (1 when 0), 64-byte aligned, not initialised; nullptr when the
// allocation fails. Release with std::free.
void* allocate_host_memory(size_t bytes);

}  // namespace tandem
