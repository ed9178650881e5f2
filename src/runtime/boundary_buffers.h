// Device memory for the values that cross segment boundaries in a plan: one arena per
// device, in which values whose lifetimes do not overlap share bytes. Lifetimes count
// in positions of the device's own segment order (it runs them one after another).
// Copies run on their own lanes, so a value copied in may arrive while the device
// still runs the segment before its first reader, and a value copied out may still
// be leaving while the device runs the segment after its producer: lifetimes are
// widened by one position on those sides. Pure: no devices.
#pragma once
#include <cstddef>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "backends/device.h"

namespace tandem {

// One segment as the executor runs it: its device and boundary values.
struct SegmentBoundary {
  int device = -1;
  std::vector<int> inputs;   // value ids read here, produced elsewhere (or graph inputs)
  std::vector<int> outputs;  // value ids produced here and read elsewhere (or graph outputs)
};

struct BoundaryLayout {
  std::vector<size_t> arena_bytes;                  // per device
  std::map<std::pair<int, int>, size_t> offset;     // (value, device) -> byte offset in that device's arena
  size_t separate_bytes = 0;                        // what one buffer per (value, device) would take
};

// `segments` in plan order; `bytes` of every boundary value; `leaving` the values
// copied out of their producer's device (read on another device or graph outputs).
BoundaryLayout layout_boundary_buffers(const std::vector<SegmentBoundary>& segments, size_t devices,
                                       const std::map<int, size_t>& bytes, const std::set<int>& leaving,
                                       size_t alignment = 256);

}  // namespace tandem
