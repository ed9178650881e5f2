// The model zoo: standard CNN architectures built in code with seeded random
// weights (nothing is downloaded), so that tandem and its peers run the same model.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tandem {

struct ZooModel {
  std::string name;         // "lenet5", "alexnet", ...
  std::string description;
  Shape input_shape;        // at batch 1, NCHW
  Graph (*build)(uint64_t seed);
};

const std::vector<ZooModel>& zoo_models();
const ZooModel* find_zoo_model(const std::string& name);  // nullptr if unknown
// The graph at batch 1 (graph input dim 0 is 1; prepare_graph changes it).
Graph build_zoo_model(const std::string& name, uint64_t seed = 0);

}  // namespace tandem
