// The plan of the Conv lowering (cudnn_conv.cpp) as plain data: the geometry cuDNN
// runs (1-D lifted to 2-D, symmetric pads for cuDNN with the excess of asymmetric
// pads applied by padding the input first) and the epilogue (bias, fused activation,
// and a following residual Add and activation node absorbed into the convolution).
// Free of CUDA types so that host tests can check it against the reference Conv.
#pragma once
#include <optional>
#include <vector>

#include "ir/graph.h"
#include "ops/activation.h"
#include "tandem/tensor.h"

namespace tandem::cuda {

class SegmentCompiler;

// The convolution as cuDNN runs it, spatial dims lifted to at least two.
struct ConvGeometry {
  Shape source;     // the node's input: (N, C, spatial...)
  Shape x;          // what cuDNN reads: source with the pad excess added
  Shape pad_begin;  // per axis of source: the excess padded before it (0 on N and C)
  Shape w;          // (M, C/group, kernel...)
  Shape y;          // (N, M, out...)
  std::vector<int> pads, strides, dilations;  // per spatial dim; pads symmetric
  int group = 1;
  bool needs_padding() const { return x != source; }
  int64_t out_channels() const { return y[1]; }
  int64_t spatial_outputs() const { return num_elements(Shape(y.begin() + 2, y.end())); }
};

// x: (N, C, D...), w: (M, C/group, K...), y: (N, M, O...) of a Conv node (its pads,
// auto_pad, strides, dilations and group). Nullopt when cuDNN's int parameters cannot
// hold the problem.
std::optional<ConvGeometry> conv_geometry(const Node& node, const Shape& x, const Shape& w, const Shape& y);

// What follows the convolution, and the value that ends up holding it.
struct ConvEpilogue {
  bool bias = false;
  int residual = kNoValue;  // the fused Add's other operand
  Activation activation;    // applied last
  int result = kNoValue;    // the value the lowering writes
  std::vector<int> fused;   // graph indices of the nodes absorbed
};

// The Conv node's bias and fused activation; for a Conv without its own activation
// whose output feeds only an Add with an already computed float operand of the same
// shape (no broadcasting), that residual Add, and then an activation node reading
// only the Add's result (its parameters known at compile time), both fused away.
ConvEpilogue conv_epilogue(const SegmentCompiler& c, const Node& node);

}  // namespace tandem::cuda
