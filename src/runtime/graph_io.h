// What every way of running a prepared graph shares at its boundary: the specs of its
// inputs and outputs, the checks of given host inputs, and the outputs no node
// computes (constants, inputs passed through). Used by Session and PlanExecutor.
#pragma once
#include <vector>

#include "backends/device.h"
#include "ir/graph.h"
#include "tandem/session.h"

namespace tandem {

TensorSpec spec_of(const Value& v);
// Dim 0 of the first input (1 when there is none).
int64_t batch_of(const Graph& graph);
// Throws Error(InvalidInput) unless `given` matches `specs` in count, dtype and shape.
void check_inputs(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& given);
// Fills results[k] for graph outputs that no node computes: constants, or graph
// inputs passed through.
void copy_unexecuted_outputs(const Graph& g, const std::vector<Tensor>& inputs, std::vector<Tensor>& results);

// Inputs for timing runs: float32 uniform in [-1, 1) from `seed`, other dtypes zero
// (valid indices, neutral flags).
std::vector<Tensor> seeded_random_inputs(const std::vector<TensorSpec>& specs, uint64_t seed = 1);

// Pointers for running a segment that covers the whole graph straight from the
// caller's tensors: in[i] is the graph input segment.inputs[i], out[i] the result
// receiving segment.outputs[i]. `results` holds one tensor per graph output.
void bind_whole_graph(const Graph& graph, const Segment& segment, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& results, std::vector<const void*>& in, std::vector<void*>& out);

}  // namespace tandem
