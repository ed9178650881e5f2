// Vector layouts and fused steps of the own convolution kernels (vector_conv.h).
#include "backends/cpu/vector_conv.h"

#include <limits>

namespace tandem::cpu {

namespace {

constexpr float kInfinity = std::numeric_limits<float>::infinity();

std::optional<FusedPostOp> post_op(const Eltwise& e) {
  if (e.algorithm == dnnl::algorithm::eltwise_relu)
    return e.alpha == 0 ? FusedPostOp{FusedPostOp::Clamp, 0, kInfinity} : FusedPostOp{FusedPostOp::LeakyRelu, e.alpha, 0};
  if (e.algorithm == dnnl::algorithm::eltwise_clip) return FusedPostOp{FusedPostOp::Clamp, e.alpha, e.beta};
  return std::nullopt;
}

}  // namespace

VectorStrides blocked8_strides(int64_t channels, int64_t h, int64_t w) {
  return {channels * h * w, h * w * kVectorLanes, w * kVectorLanes, kVectorLanes};
}

VectorStrides channels_last_strides(const dnnl::memory::desc& md) {
  const auto& strides = md.data.format_desc.blocking.strides;
  return {strides[0], kVectorLanes, strides[2], strides[3]};
}

std::optional<FusedSteps> fuse_post_ops(SegmentCompiler& c, const Node& node) {
  FusedSteps steps;
  if (std::optional<Eltwise> own = eltwise_of(fused_activation(node))) {
    std::optional<FusedPostOp> op = post_op(*own);
    if (!op) return std::nullopt;
    steps.ops.push_back(*op);
  }
  const std::vector<FusedTail> tail = fusable_tail(c, node.outputs[0], true);
  size_t used = 0;
  for (; used < tail.size(); ++used) {
    std::optional<FusedPostOp> op =
        tail[used].eltwise ? post_op(*tail[used].eltwise) : FusedPostOp{FusedPostOp::AddResidual, 0, 0};
    if (!op) break;
    steps.ops.push_back(*op);
    c.fuse(tail[used].node);
    if (tail[used].residual >= 0) steps.residual = tail[used];
  }
  steps.result = tail_result(c.graph(), node.outputs[0], tail, used);
  return steps;
}

}  // namespace tandem::cpu
