// The plan of the pooling lowering (cudnn_pool.cpp) as plain data: the node's
// window geometry and whether, and with which lifted shape, cuDNN's pooling computes
// ONNX's MaxPool or AveragePool. Free of CUDA types so that host tests can check it
// against the reference pools.
#pragma once
#include <optional>
#include <vector>

#include "ir/graph.h"
#include "ops/nn_util.h"
#include "tandem/tensor.h"

namespace tandem::cuda {

// A MaxPool or AveragePool node's attributes (ONNX defaults) and window geometry.
struct PoolSpec {
  bool max = false;
  bool count_include_pad = false;  // AveragePool
  bool indices = false;            // MaxPool's second output is wanted
  int storage_order = 0;
  WindowGeometry window;
};

// x: (N, C, spatial...).
PoolSpec pool_spec(const Node& node, const Shape& x);

// The pooling as cuDNN describes it, spatial dims lifted to at least two.
struct CudnnPoolShape {
  Shape x, y;
  std::vector<int> window, pads, strides;
};

// The shape cuDNN pools x: (N, C, spatial...) into y: (N, C, out...) with, when its
// max and averages are ONNX's: no Indices output, symmetric pads, no dilation, and
// sizes within cuDNN's int limits. Nullopt otherwise. The caller also checks that
// cuDNN's floor output size equals y (ceil_mode may make it differ).
std::optional<CudnnPoolShape> cudnn_pool_shape(const PoolSpec& s, const Shape& x, const Shape& y);

}  // namespace tandem::cuda
