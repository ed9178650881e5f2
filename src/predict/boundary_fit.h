// What cutting the graph costs on a device. A node timed inside its whole graph and
// alone (its own segment, dense row-major inputs and outputs; profile.h) differs by
// what a segment boundary adds there: layout conversions in and out, fusions lost,
// dispatch. Fitted per device over the profile's nodes at no extra load as
//   extra_us = 2 * latency_us + (input_bytes + output_bytes) / bytes_per_us
// (least squares, both terms kept >= 0), so that one value crossing a boundary
// costs latency_us + bytes / bytes_per_us on each side of it.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "profile/profile.h"

namespace tandem {

struct BoundarySample {
  double bytes = 0;     // the node's non-constant input and output bytes
  double extra_us = 0;  // alone minus inside its graph, at least 0
};

// Per device, from every run at load 0 whose nodes were timed alone.
std::map<std::string, std::vector<BoundarySample>> boundary_samples(const Profile& profile);
// Per device and node signature, the median extra µs of those samples.
std::map<std::string, std::map<std::string, double>> boundary_extras(const Profile& profile);

// The per-value boundary cost; a zero fit without samples. max/mean_rel_error are
// over samples of at least 1 µs.
LinkFit fit_boundary(const std::vector<BoundarySample>& samples);

}  // namespace tandem
