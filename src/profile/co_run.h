// How much a host device slows down while another host device computes on other
// cores (shared caches and memory bandwidth, or cores that are siblings of one
// physical core on a VM): the same model timed on `device` alone and while `other`
// runs it over and over, in alternating rounds. Only meaningful for devices pinned
// to disjoint cores; CPU devices that share cores never compute at the same time in
// a plan.
#pragma once
#include "backends/device.h"
#include "ir/graph.h"

namespace tandem {

struct CoRunOptions {
  int runs = 3;              // timed runs of `device` each way per round, after one warm-up
  int rounds = 3;            // alone-then-together rounds; the median ratio counts (one noisy round does not)
  double max_run_s = 0.5;    // a model slower than this on `device` is not measured (1 is returned)
};

// together / alone, at least 1. `graph` is prepared; both devices must run all of it.
double measure_co_run_slowdown(const Graph& graph, Device& device, Device& other, const CoRunOptions& options = {});

}  // namespace tandem
