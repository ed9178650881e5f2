// Reading a large buffer through the caches between timed runs (cache_stream.h).
#include "profile/cache_stream.h"

#include <algorithm>
#include <cstdlib>

#include "core/host_memory.h"
#include "tandem/error.h"

namespace tandem {

namespace {
constexpr size_t kLineWords = 64 / sizeof(uint64_t);
}  // namespace

void CacheStream::Free::operator()(uint64_t* p) const { std::free(p); }

CacheStream::CacheStream(size_t bytes) : bytes_((bytes + 63) / 64 * 64) {
  data_.reset(static_cast<uint64_t*>(allocate_host_memory(bytes_)));
  if (!data_) fail(ErrorKind::Io, "cannot allocate " + std::to_string(bytes_ >> 20) + " MB to stream through the caches");
  std::fill(data_.get(), data_.get() + bytes_ / sizeof(uint64_t), uint64_t{1});
}

void CacheStream::pass(size_t bytes) const {
  const size_t words = std::min(bytes, bytes_) / sizeof(uint64_t);
  uint64_t sum = 0;
  for (size_t i = 0; i < words; i += kLineWords) sum += data_.get()[i];
  __asm__ volatile("" : : "r"(sum));  // the sum is "used": the reads stay
}

}  // namespace tandem
