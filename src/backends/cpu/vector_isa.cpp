// The vector instruction set of the cpu backend's own kernels (vector_isa.h).
#include "backends/cpu/vector_isa.h"

#include <algorithm>
#include <cstdlib>
#include <string>

#include "tandem/error.h"

namespace tandem::cpu {

namespace {

VectorIsa supported_isa() {
#if defined(__x86_64__)
  static const VectorIsa best = [] {
    if (!__builtin_cpu_supports("avx2") || !__builtin_cpu_supports("fma")) return VectorIsa::Generic;
    return __builtin_cpu_supports("avx512f") ? VectorIsa::Avx512 : VectorIsa::Avx2;
  }();
  return best;
#else
  return VectorIsa::Generic;
#endif
}

VectorIsa isa_cap() {
  const char* set = std::getenv("TANDEM_CPU_MAX_ISA");
  if (!set || !*set) return VectorIsa::Avx512;
  const std::string name(set);
  if (name == "generic") return VectorIsa::Generic;
  if (name == "avx2") return VectorIsa::Avx2;
  if (name == "avx512") return VectorIsa::Avx512;
  fail(ErrorKind::InvalidInput, "TANDEM_CPU_MAX_ISA is '" + name + "'; expected generic, avx2 or avx512");
}

}  // namespace

VectorIsa kernel_isa() { return std::min(supported_isa(), isa_cap()); }

}  // namespace tandem::cpu
