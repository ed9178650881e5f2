// The choice of a cuDNN convolution algorithm: a measured search
// (cudnnFindConvolutionForwardAlgorithmEx on buffers it allocates itself) run once per
// shape signature at compile time and cached in the CudaContext, keeping the fastest
// algorithm whose workspace fits the device's workspace limit and whose math type
// the context's precision setting allows (FMA only in strict float32).
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "backends/cuda/cudnn_util.h"

namespace tandem::cuda {

// The convolution to search for: its descriptors (math type set by the search) and
// the shapes of x: (N, C, spatial...), w: (M, C/group, kernel...) and
// y: (N, M, out...) that size the search's buffers.
struct ConvProblem {
  const TensorDescriptor* x = nullptr;
  const FilterDescriptor* w = nullptr;
  const ConvolutionDescriptor* conv = nullptr;
  const TensorDescriptor* y = nullptr;
  Shape x_shape, w_shape, y_shape;
};

// Names everything an algorithm choice depends on, e.g.
// "x(1, 3, 224, 224) w(64, 3, 7, 7) pad(3, 3) stride(2, 2) dilation(1, 1) group 1 math 3".
std::string conv_signature(const ConvProblem& problem, const std::vector<int>& pads, const std::vector<int>& strides,
                           const std::vector<int>& dilations, int group, cudnnMathType_t math);

// The algorithm to run `problem` with, from the context's cache or a search; the
// caller sets choice.math on the convolution descriptor before running it. Nullopt
// when no algorithm runs within the workspace limit in the allowed math.
std::optional<ConvChoice> choose_conv_algorithm(CudaContext& context, const ConvProblem& problem,
                                                const std::string& signature, const std::string& where);

}  // namespace tandem::cuda
