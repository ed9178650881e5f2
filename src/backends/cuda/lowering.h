// Lowerings: one function per op (or op family) that turns a node into steps
// through the SegmentCompiler. cudnn_*.cpp use cuDNN, cublas_*.cpp cuBLAS, own_*.cpp
// the backend's own kernels (kernels/*.cu), host_fallback.cpp the op's reference
// kernel on the host for rare dtypes and attribute values.
#pragma once
#include <optional>
#include <string_view>

#include "backends/cuda/kernels/kernels.h"
#include "backends/cuda/segment_compiler.h"

namespace tandem::cuda {

using Lowering = void (*)(SegmentCompiler& c, const Node& node);

// The lowering of `op`; the host fallback for any other op tandem knows; nullptr for
// unknown ops.
Lowering find_lowering(std::string_view op);

// cuDNN and cuBLAS
void lower_conv(SegmentCompiler& c, const Node& node);           // cudnn_conv.cpp
void lower_pool(SegmentCompiler& c, const Node& node);           // cudnn_pool.cpp (MaxPool, AveragePool)
void lower_lrn(SegmentCompiler& c, const Node& node);            // cudnn_lrn.cpp
void lower_softmax(SegmentCompiler& c, const Node& node);        // cudnn_softmax.cpp
void lower_gemm(SegmentCompiler& c, const Node& node);           // cublas_gemm.cpp
void lower_matmul(SegmentCompiler& c, const Node& node);         // cublas_matmul.cpp
// own kernels: arithmetic
void lower_activation(SegmentCompiler& c, const Node& node);     // own_elementwise.cpp (Relu, LeakyRelu, Clip, Sigmoid, Tanh)
void lower_binary(SegmentCompiler& c, const Node& node);         // own_elementwise.cpp (Add, Sub, Mul, Div)
void lower_sum(SegmentCompiler& c, const Node& node);            // own_elementwise.cpp
void lower_cast(SegmentCompiler& c, const Node& node);           // own_elementwise.cpp
void lower_batchnorm(SegmentCompiler& c, const Node& node);      // own_normalize.cpp
void lower_global_pool(SegmentCompiler& c, const Node& node);    // own_reduce.cpp (GlobalAveragePool, GlobalMaxPool)
void lower_reduce(SegmentCompiler& c, const Node& node);         // own_reduce.cpp (ReduceMean, ReduceSum, ReduceMax)
// own kernels: data movement
void lower_concat(SegmentCompiler& c, const Node& node);         // own_movement.cpp
void lower_split(SegmentCompiler& c, const Node& node);          // own_movement.cpp
void lower_slice(SegmentCompiler& c, const Node& node);          // own_movement.cpp
void lower_transpose(SegmentCompiler& c, const Node& node);      // own_movement.cpp
void lower_pad(SegmentCompiler& c, const Node& node);            // own_pad.cpp
void lower_gather(SegmentCompiler& c, const Node& node);         // own_gather.cpp
// Activations absorbed by the node before them (own_elementwise.cpp):
// the activation `node` computes when it is a float32 Relu, LeakyRelu, Clip with
// constant bounds, Sigmoid or Tanh; nullopt otherwise.
std::optional<kernels::ActivationParams> standalone_activation(const Node& node, const Graph& graph);
// When the only reader of `result` (the value the node being lowered writes) is such
// an activation later in the segment, fuses it, `result` becomes the activation's
// output, and returns it; otherwise returns Activation::None.
kernels::ActivationParams fuse_tail_activation(SegmentCompiler& c, int& result);
// no kernel at all
void lower_view(SegmentCompiler& c, const Node& node);           // own_view.cpp (Reshape, Flatten, ...)
void lower_host_fallback(SegmentCompiler& c, const Node& node);  // host_fallback.cpp

}  // namespace tandem::cuda
