// Shared helpers of the CLI: formatting, random inputs, tables, timing statistics.
#pragma once
#include <string>
#include <vector>

#include "tandem/session.h"

namespace tandem::cli {

std::string format_flops(double flops);        // "1.82 GFLOP"
std::string format_bytes(double bytes);        // "3.1 MB"
std::string format_us(double microseconds);    // "412 µs", "12.3 ms"

// Seeded uniform [-1, 1) inputs matching the session's input specs.
std::vector<Tensor> random_inputs(const Session& session, uint64_t seed = 1);

struct Stats {
  double median = 0, p10 = 0, p90 = 0;
};
Stats stats_of(std::vector<double> samples);

// Prints rows with columns padded to their widest cell; first row is the header.
void print_table(const std::vector<std::vector<std::string>>& rows);

}  // namespace tandem::cli
