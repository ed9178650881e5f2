// Which vector instructions the cpu backend's own kernels (LRN, pooling, small-batch
// FC) use: the best this CPU has, or less when TANDEM_CPU_MAX_ISA caps it, to compare
// the paths or to test one this machine would not take. oneDNN's primitives follow
// its own ONEDNN_MAX_CPU_ISA instead.
#pragma once

namespace tandem::cpu {

enum class VectorIsa { Generic = 0, Avx2 = 1, Avx512 = 2 };  // Avx2: AVX2 and FMA; Avx512: AVX512F too

// Read at each call, so a kernel picks its path when it is compiled. TANDEM_CPU_MAX_ISA
// is generic, avx2 or avx512; anything else is an InvalidInput error.
VectorIsa kernel_isa();

}  // namespace tandem::cpu
