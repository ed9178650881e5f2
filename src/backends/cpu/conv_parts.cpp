// Splitting a Conv into batch or channel slices (see conv_parts.h).
#include "backends/cpu/conv_parts.h"

#include <algorithm>

#include "backends/cpu/execution_rules.h"

namespace tandem::cpu {

namespace {

// `units` split into `parts` ranges as even as possible: boundary i of parts + 1.
int64_t boundary(int64_t units, int64_t parts, int64_t i) { return units * i / parts; }

std::vector<ConvPart> batch_parts(const Shape& x, const Shape& y, int tasks) {
  int64_t parts = std::min<int64_t>(tasks, x[0]);
  std::vector<ConvPart> all;
  for (int64_t i = 0; i < parts; ++i)
    all.push_back({boundary(x[0], parts, i), boundary(x[0], parts, i + 1), 0, y[1], 0, x[1]});
  return all;
}

// Batch 1: slices of `step` groups at a time (cin / cout channels per group).
std::vector<ConvPart> channel_parts(const Shape& x, const Shape& y, int64_t group, int tasks) {
  int64_t cin = x[1] / group, cout = y[1] / group;
  int64_t step = conv_groups_per_unit(group, cin, cout);
  int64_t units = conv_channel_units(group, y[1], step);
  int64_t parts = std::min<int64_t>(tasks, units);
  std::vector<ConvPart> all;
  for (int64_t i = 0; i < parts; ++i) {
    int64_t first = boundary(units, parts, i) * step, last = std::min(boundary(units, parts, i + 1) * step,
                                                                     group == 1 ? y[1] : group);
    if (group == 1)
      all.push_back({0, 1, first, last, 0, x[1]});
    else
      all.push_back({0, 1, first * cout, last * cout, first * cin, last * cin});
  }
  return all;
}

}  // namespace

std::vector<RowPart> row_parts(int64_t rows, int tasks) {
  int64_t parts = std::max<int64_t>(1, std::min<int64_t>(tasks, rows));
  std::vector<RowPart> all;
  for (int64_t i = 0; i < parts; ++i) all.push_back({boundary(rows, parts, i), boundary(rows, parts, i + 1)});
  return all;
}

RowWindow row_window(const RowPart& part, int64_t extent, int64_t stride, int64_t pad_top, int64_t in_rows) {
  int64_t first = part.first * stride - pad_top, end = (part.last - 1) * stride - pad_top + extent;
  return {std::max<int64_t>(first, 0), std::min(end, in_rows), std::max<int64_t>(-first, 0),
          std::max<int64_t>(end - in_rows, 0)};
}

std::vector<ConvPart> conv_parts(const Shape& x, const Shape& y, int64_t group, int tasks) {
  if (tasks > 1 && x[0] > 1) return batch_parts(x, y, tasks);
  if (tasks > 1) return channel_parts(x, y, group, tasks);
  return {{0, x[0], 0, y[1], 0, x[1]}};
}

}  // namespace tandem::cpu
