// How tandem's cpu backend runs a node, as far as the node's features tell: how many
// parallel tasks it gets, how evenly a convolution's parts fill them, and whether a
// convolution takes the Winograd path (fewer multiply-adds than its nominal FLOPs).
// The learned models read these so that they need not rediscover the backend's
// choices from a handful of zoo models; on other devices they are just more inputs.
// The rules are the backend's own (backends/cpu/execution_rules.h), applied to
// features instead of nodes.
#pragma once
#include "predict/features.h"

namespace tandem {

struct HostExecution {
  double tasks = 1;                // parallel tasks the node is split into (1 for small nodes)
  double parts = 1;                // slices a convolution is cut into (batch, channel blocks or rows)
  double parallel_efficiency = 1;  // parts / (tasks * rounds): 1 when every task is busy throughout
  bool winograd = false;           // a 3x3 stride-1 convolution run as Winograd F(2x2, 3x3)
  double effective_flops = 0;      // FLOPs the chosen algorithm performs (Winograd: / 2.25)
};

HostExecution host_execution(const NodeFeatures& f);

// Whether the cpu backend's kernel for a node with features `f` writes its output
// straight into a channel slice of a channels-last Concat that reads it alone: the
// own Winograd kernel (without a residual add) and the own depthwise kernel. oneDNN's
// AVX-512 convolutions cannot (backends/cpu/concat_in_place.cpp).
bool writes_into_concat_slice(const NodeFeatures& f);

}  // namespace tandem
