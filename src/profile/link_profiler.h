// Profiling the links between the host and a device: copy time against bytes in each
// direction over sizes from 1 KB to 64 MB, the median per size, and the fitted
// piecewise latency + bytes/bandwidth model. Copies are timed as the runtime makes them: the
// source was just written by its producer, the destination is not in cache. GPUs are measured with ordinary host memory
// ("to_device", "to_host") and, when they stage through page-locked memory, with
// queued copies from it ("to_device_pinned", "to_host_pinned"). Host-memory devices
// other than the default "cpu" (e.g. "cpu:1") get memcpy between two host buffers
// as their link, since plans treat a hand-over between CPU devices as a copy.
#pragma once
#include <string>
#include <vector>

#include "backends/device.h"
#include "profile/profile.h"

namespace tandem {

struct LinkOptions {
  double min_bytes = 1024;
  double max_bytes = 64.0 * 1024 * 1024;
  double factor = 2;           // sizes min_bytes * factor^k up to max_bytes
  int repeats = 31;            // timed samples per size
  double sample_us = 1000;     // a sample times a batch of copies lasting about this long
};

// Whether `device` has a link to profile: every device except the host itself ("cpu")
// and the reference oracle.
bool has_link(const Device& device);

// The links of `device` (empty when has_link is false), each with its fit.
std::vector<LinkProfile> profile_links(Device& device, const LinkOptions& options = {});

}  // namespace tandem
