// Boundary helpers for running prepared graphs (see graph_io.h).
#include "runtime/graph_io.h"

#include <algorithm>
#include <cstring>
#include <random>

namespace tandem {

TensorSpec spec_of(const Value& v) { return {v.name, v.dtype, v.shape}; }

int64_t batch_of(const Graph& graph) {
  if (graph.inputs.empty() || graph.value(graph.inputs[0]).shape.empty()) return 1;
  return graph.value(graph.inputs[0]).shape[0];
}

void check_inputs(const std::vector<TensorSpec>& specs, const std::vector<Tensor>& given) {
  if (given.size() != specs.size())
    fail(ErrorKind::InvalidInput, "model takes " + std::to_string(specs.size()) + " input(s), " +
                                      std::to_string(given.size()) + " given");
  for (size_t i = 0; i < specs.size(); ++i) {
    if (given[i].dtype() != specs[i].dtype)
      fail(ErrorKind::InvalidInput, "input '" + specs[i].name + "' must be " + dtype_name(specs[i].dtype) +
                                        ", got " + dtype_name(given[i].dtype()));
    if (given[i].shape() != specs[i].shape)
      fail(ErrorKind::InvalidInput, "input '" + specs[i].name + "' must have shape " + shape_str(specs[i].shape) +
                                        ", got " + shape_str(given[i].shape()));
  }
}

// Graph outputs that no node computes: constants, or graph inputs passed through.
void copy_unexecuted_outputs(const Graph& g, const std::vector<Tensor>& inputs, std::vector<Tensor>& results) {
  for (size_t k = 0; k < g.outputs.size(); ++k) {
    const Value& v = g.value(g.outputs[k]);
    auto input = std::find(g.inputs.begin(), g.inputs.end(), g.outputs[k]);
    if (v.is_constant()) results[k] = v.data->clone();
    else if (input != g.inputs.end()) results[k] = inputs.at(static_cast<size_t>(input - g.inputs.begin())).clone();
  }
}

std::vector<Tensor> seeded_random_inputs(const std::vector<TensorSpec>& specs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::vector<Tensor> inputs;
  for (const TensorSpec& spec : specs) {
    Tensor t(spec.dtype, spec.shape);
    if (spec.dtype == DType::f32) {
      float* p = t.data<float>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = uniform(rng);
    } else {
      std::memset(t.raw(), 0, t.nbytes());
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

void bind_whole_graph(const Graph& g, const Segment& segment, const std::vector<Tensor>& inputs,
                      std::vector<Tensor>& results, std::vector<const void*>& in, std::vector<void*>& out) {
  auto index_in = [](const std::vector<int>& ids, int id) {
    return static_cast<size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
  };
  in.clear();
  out.clear();
  for (int id : segment.inputs) in.push_back(inputs.at(index_in(g.inputs, id)).raw());
  for (int id : segment.outputs) out.push_back(results.at(index_in(g.outputs, id)).raw());
}

}  // namespace tandem
