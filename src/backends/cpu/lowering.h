// Lowerings: one function per op (or op family) that turns a node into cpu steps
// through the SegmentCompiler. dnnl_*.cpp use oneDNN primitives, kernels_*.cpp own
// kernels, reference_fallback.cpp the op's reference kernel for rare cases.
#pragma once
#include <string_view>

#include "backends/cpu/segment_compiler.h"

namespace tandem::cpu {

// The lowering of `op`: its own when the cpu backend has one, else the op's reference
// kernel (lower_reference) for any op tandem knows; nullptr for unknown ops.
Lowering find_lowering(std::string_view op);

void lower_conv(SegmentCompiler& c, const Node& node);             // dnnl_conv.cpp
// A stride-1 3x3 Conv by Winograd when it pays off; false (nothing done) otherwise.
bool lower_winograd_conv(SegmentCompiler& c, const Node& node);    // winograd_conv.cpp
// A depthwise Conv (group = channels, a multiple of 8) on the own kernel; false
// (nothing done) for other convolutions.
bool lower_depthwise_conv(SegmentCompiler& c, const Node& node);   // depthwise_conv.cpp
void lower_pool(SegmentCompiler& c, const Node& node);             // kernels_pool.cpp
void lower_eltwise(SegmentCompiler& c, const Node& node);          // dnnl_eltwise.cpp
void lower_binary(SegmentCompiler& c, const Node& node);           // dnnl_binary.cpp
void lower_sum(SegmentCompiler& c, const Node& node);              // dnnl_binary.cpp
void lower_gemm(SegmentCompiler& c, const Node& node);             // dnnl_gemm.cpp
void lower_matmul(SegmentCompiler& c, const Node& node);           // dnnl_matmul.cpp
void lower_softmax(SegmentCompiler& c, const Node& node);          // dnnl_softmax.cpp
// Softmax of src (plain, (outer, len, inner), inner > 1) along len into dst (plain,
// may share src's buffer), on the own kernel.
void push_softmax_across_rows(SegmentCompiler& c, const TensorRef& src, const TensorRef& dst, int64_t outer,
                              int64_t len, int64_t inner);  // kernels_softmax.cpp
void lower_lrn(SegmentCompiler& c, const Node& node);              // kernels_lrn.cpp
void lower_batchnorm(SegmentCompiler& c, const Node& node);        // kernels_batchnorm.cpp
void lower_concat(SegmentCompiler& c, const Node& node);           // dnnl_concat.cpp
void lower_reduce(SegmentCompiler& c, const Node& node);           // dnnl_reduce.cpp
void lower_view(SegmentCompiler& c, const Node& node);             // kernels_view.cpp
void lower_folded(SegmentCompiler& c, const Node& node);           // kernels_view.cpp
void lower_empty(SegmentCompiler& c, const Node& node);            // kernels_view.cpp
void lower_slice(SegmentCompiler& c, const Node& node);            // kernels_copy.cpp
void lower_split(SegmentCompiler& c, const Node& node);            // kernels_copy.cpp
void lower_transpose(SegmentCompiler& c, const Node& node);        // kernels_copy.cpp
void lower_pad(SegmentCompiler& c, const Node& node);              // kernels_pad.cpp
void lower_gather(SegmentCompiler& c, const Node& node);           // kernels_gather.cpp
void lower_maxpool_indices(SegmentCompiler& c, const Node& node);  // kernels_maxpool.cpp
void lower_reference(SegmentCompiler& c, const Node& node);        // reference_fallback.cpp

}  // namespace tandem::cpu
