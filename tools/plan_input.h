// A model loaded together with a plan file, for the commands that execute given plans
// (`run --plan`, `bench --plan`): the plan picked by batch and the graph prepared for
// it, plus the device options the plan's devices are created with.
#pragma once
#include <string>
#include <vector>

#include "cli_util.h"
#include "ir/graph.h"
#include "plan/plan.h"
#include "backends/device.h"

namespace tandem::cli {

struct PlannedModel {
  Graph graph;  // prepared at the plan's batch
  Plan plan;
};

// The plan in `plan_path` (or its table's plan nearest `batch`) and `model` prepared
// for it. With batch 0 a single plan runs at its own batch, a table at the model's.
PlannedModel load_planned_model(const std::string& model, const std::string& plan_path, int64_t batch, bool optimize);

// The model prepared at `batch` (0: the model's own), fused unless `optimize` is off.
Graph prepared(const Graph& loaded, int64_t batch, bool optimize);

// Device options for the plan's devices: threads, the GPU flags and the core pins.
DeviceOptions plan_device_options(const Plan& plan, int threads, const GpuFlags& gpu, const CoreFlags& cores);

}  // namespace tandem::cli
