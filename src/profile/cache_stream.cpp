// Reading a large buffer through the caches between timed runs (cache_stream.h).
#include "profile/cache_stream.h"

#include <algorithm>
#include <cstdint>

namespace tandem {

namespace {
constexpr size_t kLine = 64;
constexpr size_t kLineWords = kLine / sizeof(int64_t);
}  // namespace

CacheStream::CacheStream(size_t bytes)
    : buffer_(DType::i64, {static_cast<int64_t>((bytes + kLine - 1) / kLine * kLineWords)}) {}

void CacheStream::pass(size_t bytes) const {
  const int64_t* words = buffer_.data<int64_t>();
  const size_t count = std::min(bytes, this->bytes()) / sizeof(int64_t);
  int64_t sum = 0;
  for (size_t i = 0; i < count; i += kLineWords) sum += words[i];
  __asm__ volatile("" : : "r"(sum));  // the sum is "used": the reads stay
}

}  // namespace tandem
