// Why a plan places each layer where it does, in words: per layer the chosen device,
// its predicted time on every device, the copies it needs in and out, and the reason
// (e.g. "cuda: 41 µs vs cpu 210 µs; copy in 12 µs"); and for a plan table, the layers
// whose device changes with batch size.
#pragma once
#include <string>
#include <vector>

#include "plan/plan.h"
#include "plan/plan_file.h"

namespace tandem {

struct LayerExplanation {
  int node = -1;                  // index into graph.nodes
  int device = -1;                // chosen, index into the cost table's devices
  std::vector<double> device_us;  // predicted time on every device (kUnsupported where it cannot run)
  double copy_in_us = 0;          // bringing its inputs to the chosen device from where they are produced
  double copy_out_us = 0;         // taking its outputs to the devices of their readers (and the host for graph outputs)
  std::string reason;
};

// `costs` are the ones `plan` was made with (same devices, same graph).
std::vector<LayerExplanation> explain_layers(const Graph& graph, const CostTable& costs, const Plan& plan);
// A table, one row per layer: #, layer, op, device, time on each device, copy in,
// copy out, why; then the makespan.
std::string explain_text(const Graph& graph, const CostTable& costs, const Plan& plan);
// The layers whose device differs between the table's plans, each with its device per
// batch range (e.g. "conv3  Conv  batch 1-2: cpu; batch 4-64: cuda"); says so when
// every layer keeps its device.
std::string explain_batch_changes(const Graph& graph, const PlanTable& table);

// "0.4 µs", "41 µs", "12.30 ms", "1.20 s".
std::string format_microseconds(double us);

}  // namespace tandem
