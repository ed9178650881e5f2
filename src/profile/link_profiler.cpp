// Copy timing between host buffers and a device's memory, size by size.
#include "profile/link_profiler.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <functional>

#include "tandem/error.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

constexpr int kMaxBatch = 100000;  // copies per sample: 200 µs of 2 ns copies

// One direction of a link: `prepare` runs untimed before each copy (the producer
// writing the source), `copy` moves `bytes` for the k-th copy of that size and has
// finished when it returns.
struct Direction {
  std::string name;
  std::function<void(size_t bytes, size_t k)> prepare, copy;
};

double microseconds(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::micro>(to - from).count();
}

// The cost of reading the clock twice, subtracted from every timed copy.
double clock_overhead_us() {
  std::vector<double> empty;
  for (int i = 0; i < 101; ++i) {
    Clock::time_point start = Clock::now();
    empty.push_back(microseconds(start, Clock::now()));
  }
  return spread_of(empty).median;
}

std::vector<size_t> link_sizes(const LinkOptions& options) {
  std::vector<size_t> sizes;
  for (double b = options.min_bytes; b <= options.max_bytes * 1.0001; b *= std::max(options.factor, 1.5))
    sizes.push_back(static_cast<size_t>(std::llround(std::min(b, options.max_bytes))));
  return sizes;
}

// Mean time of `count` copies of consecutive destinations after one preparation of
// the source (the source stays as cached as the producer left it), timed together so
// that copies far shorter than a clock read (a 1 KB memcpy takes tens of ns) are
// resolved: the clock's own cost is spread over the batch.
double mean_copy_us(const Direction& d, size_t bytes, size_t& k, int count, double overhead_us) {
  d.prepare(bytes, k);
  Clock::time_point start = Clock::now();
  for (int i = 0; i < count; ++i, ++k) d.copy(bytes, k);
  return std::max(0.0, microseconds(start, Clock::now()) - overhead_us) / count;
}

// Median per size over `repeats` samples after a warm-up copy; a sample averages
// enough copies to last about sample_us.
LinkProfile measure_link(const std::string& device, const Direction& d, const LinkOptions& options) {
  double overhead_us = clock_overhead_us();
  LinkProfile link{device, d.name, {}, {}};
  for (size_t bytes : link_sizes(options)) {
    size_t k = 0;
    double first = mean_copy_us(d, bytes, k, 1, overhead_us);
    int count = std::clamp(static_cast<int>(options.sample_us / std::max(first, 0.001)), 1, kMaxBatch);
    std::vector<double> samples;
    for (int i = 0; i < options.repeats; ++i) samples.push_back(mean_copy_us(d, bytes, k, count, overhead_us));
    link.samples.push_back({static_cast<double>(bytes), spread_of(samples)});
  }
  link.fit = fit_link(link.samples);
  return link;
}

// The buffers of a link measurement, released on destruction. Sources are fixed (a
// producer's output buffer); destinations rotate through an arena larger than the
// caches, so that a copy does not find its destination cached from the copy before.
class LinkBuffers {
 public:
  LinkBuffers(Device& device, size_t max_bytes)
      : device_(device), max_bytes_(max_bytes), span_(std::max(2 * max_bytes, size_t{64} << 20)) {
    try {
      allocate();
    } catch (...) {
      release();
      throw;
    }
  }
  ~LinkBuffers() { release(); }
  LinkBuffers(const LinkBuffers&) = delete;
  LinkBuffers& operator=(const LinkBuffers&) = delete;

  void* host_source() const { return host_source_; }
  void* staging() const { return staging_; }
  void* device_source() const { return device_arena_; }
  // The k-th destination slot of `bytes` in an arena.
  void* host_destination(size_t bytes, size_t k) const { return slot(host_arena_, bytes, k); }
  void* device_destination(size_t bytes, size_t k) const { return slot(device_arena_, bytes, k); }

 private:
  void* slot(void* arena, size_t bytes, size_t k) const {
    size_t stride = (std::max<size_t>(bytes, 1) + 63) / 64 * 64;
    return static_cast<char*>(arena) + k % (span_ / stride) * stride;
  }
  void allocate() {
    host_source_ = std::malloc(max_bytes_);
    host_arena_ = std::malloc(span_);
    if (!host_source_ || !host_arena_)
      fail(ErrorKind::Device, device_.name() + ": cannot allocate " + std::to_string(span_) + " host bytes for link timing");
    staging_ = device_.allocate_host(max_bytes_);  // page-locked on GPUs that stage through it
    device_arena_ = device_.allocate(span_);
    std::memset(host_source_, 1, max_bytes_);
    std::memset(host_arena_, 2, span_);  // touch every page once, so timed copies take no page faults
    std::memset(staging_, 3, max_bytes_);
    for (size_t offset = 0; offset < span_; offset += max_bytes_)
      device_.copy_from_host(static_cast<char*>(device_arena_) + offset, host_source_, std::min(max_bytes_, span_ - offset));
    device_.synchronize();
  }
  void release() {
    if (device_arena_) device_.release(device_arena_);
    if (staging_) device_.release_host(staging_);
    std::free(host_arena_);
    std::free(host_source_);
  }

  Device& device_;
  size_t max_bytes_, span_;
  void* host_source_ = nullptr;
  void* host_arena_ = nullptr;
  void* staging_ = nullptr;
  void* device_arena_ = nullptr;
};

// Pageable copies both ways. For host-memory devices the producer's write of the
// source happens on either side; on other devices only the host side can be written.
std::vector<Direction> plain_directions(Device& device, const LinkBuffers& b) {
  bool host_memory = device.info().kind == DeviceKind::Host;
  auto write_host_source = [&b](size_t bytes, size_t k) { std::memset(b.host_source(), static_cast<int>(k), bytes); };
  auto write_device_source = [&b, host_memory](size_t bytes, size_t k) {
    if (host_memory) std::memset(b.device_source(), static_cast<int>(k), bytes);
  };
  return {{"to_device", write_host_source,
           [&](size_t bytes, size_t k) { device.copy_from_host(b.device_destination(bytes, k), b.host_source(), bytes); }},
          {"to_host", write_device_source,
           [&](size_t bytes, size_t k) { device.copy_to_host(b.host_destination(bytes, k), b.device_source(), bytes); }}};
}

// Queued copies through page-locked staging memory, each waited for.
std::vector<Direction> pinned_directions(Device& device, const LinkBuffers& b) {
  auto nothing = [](size_t, size_t) {};
  return {{"to_device_pinned", nothing,
           [&](size_t bytes, size_t k) {
             device.copy_from_host_async(b.device_destination(bytes, k), b.staging(), bytes, Lane::ToDevice);
             device.record(Lane::ToDevice)->wait();
           }},
          {"to_host_pinned", nothing, [&](size_t bytes, size_t) {
             device.copy_to_host_async(b.staging(), b.device_source(), bytes, Lane::ToHost);
             device.record(Lane::ToHost)->wait();
           }}};
}

}  // namespace

bool has_link(const Device& device) { return device.name() != "cpu" && device.name() != "reference"; }

std::vector<LinkProfile> profile_links(Device& device, const LinkOptions& options) {
  if (!has_link(device)) return {};
  LinkBuffers buffers(device, static_cast<size_t>(options.max_bytes));
  std::vector<Direction> directions = plain_directions(device, buffers);
  if (device.info().kind != DeviceKind::Host && device.info().transfer.pinned_staging)
    for (Direction& d : pinned_directions(device, buffers)) directions.push_back(std::move(d));
  std::vector<LinkProfile> links;
  for (const Direction& d : directions) links.push_back(measure_link(device.name(), d, options));
  return links;
}

}  // namespace tandem
