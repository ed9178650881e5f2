// A plan as one self-contained SVG: on top a timeline with one lane per device and
// per used link (host->d, d->host), a box per node and copy at its predicted start
// and finish (the name, times and bytes on hover, as <title>) over a time axis in µs;
// below it the graph, nodes as boxes in layers by depth, edges as lines, each box
// coloured by the device that runs it.
#pragma once
#include <string>

#include "plan/plan.h"

namespace tandem {

// `graph` is the graph the plan was made for.
std::string plan_svg(const Graph& graph, const Plan& plan);
// Writes plan_svg() to `path`; throws Error(Io) when it cannot.
void write_plan_svg(const Graph& graph, const Plan& plan, const std::string& path);

}  // namespace tandem
