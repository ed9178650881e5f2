// Plans as versioned JSON files ("format": "tandem-plan") and plan tables, one plan
// per batch size ("format": "tandem-plan-table"), from which the runtime picks the
// plan of the nearest batch. Files name nodes, values and devices by name so that
// users can read and edit them; reading checks every field and validates the plan
// against the model's graph (every node exactly once, devices known), so a malformed
// or foreign plan is a clear error naming the file and the field, never a crash.
// docs/plan-format.md describes the format.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "plan/plan.h"

namespace tandem {

// Plans of one model for several batch sizes, sorted by batch (each batch once).
struct PlanTable {
  std::string model;
  std::vector<Plan> plans;
};

// `graph` is the graph the plan was made for (node and value names come from it).
nlohmann::ordered_json plan_to_json(const Plan& plan, const Graph& graph);
// Throws Error(InvalidInput) naming `source` and the field for anything malformed, of
// another format or version, or not matching `graph`: a node missing, repeated or
// unknown, a device not in the plan's "devices", a copy of an unknown value.
// Timeline fields (start_us, finish_us, makespan_us, copies) may be left out of a
// hand-edited plan; they read as 0 / none, and the caller re-schedules the placement.
Plan plan_from_json(const nlohmann::ordered_json& j, const Graph& graph, const std::string& source);

nlohmann::ordered_json plan_table_to_json(const PlanTable& table, const Graph& graph);
// As plan_from_json for every plan; a single plan file reads as a table of one.
PlanTable plan_table_from_json(const nlohmann::ordered_json& j, const Graph& graph, const std::string& source);

// Throw Error(Io) when the file cannot be written or read, else as the *_json functions.
void write_plan(const Plan& plan, const Graph& graph, const std::string& path);
Plan read_plan(const std::string& path, const Graph& graph);
void write_plan_table(const PlanTable& table, const Graph& graph, const std::string& path);
PlanTable read_plan_table(const std::string& path, const Graph& graph);

// The plan whose batch is nearest to `batch` (ties: the larger batch); throws
// Error(InvalidInput) for an empty table.
const Plan& pick_plan(const PlanTable& table, int64_t batch);

// The device of every graph node as the plan places it (for re-scheduling an edited plan).
Placement placement_of(const Plan& plan, const Graph& graph);

}  // namespace tandem
