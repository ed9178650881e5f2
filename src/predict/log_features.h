// The inputs of the learned models (linear and boosted trees): the node features on a
// log scale, the products that matter (FLOPs per thread, total bytes, arithmetic
// intensity, load times work, channels per group), how the cpu backend runs the node
// (host_execution.h: tasks, parallel efficiency, Winograd, effective FLOPs per busy
// thread) and the log of the roofline estimate. Both models predict
// log(measured / roofline), a correction of the roofline, so that they extrapolate
// like the roofline outside the shapes they were trained on.
#pragma once
#include <string>
#include <vector>

#include "predict/features.h"

namespace tandem {

std::vector<double> log_features(const NodeFeatures& f, double roofline_us);
const std::vector<std::string>& log_feature_names();

}  // namespace tandem
