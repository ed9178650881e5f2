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

std::optional<std::vector<FusedPostOp>> fused_post_ops(const Node& node, const std::vector<FusedTail>& tail,
                                                       size_t& used) {
  std::vector<FusedPostOp> ops;
  if (std::optional<Eltwise> own = eltwise_of(fused_activation(node))) {
    std::optional<FusedPostOp> op = post_op(*own);
    if (!op) return std::nullopt;
    ops.push_back(*op);
  }
  for (used = 0; used < tail.size(); ++used) {
    std::optional<FusedPostOp> op =
        tail[used].eltwise ? post_op(*tail[used].eltwise) : FusedPostOp{FusedPostOp::AddResidual, 0, 0};
    if (!op) break;
    ops.push_back(*op);
  }
  return ops;
}

}  // namespace tandem::cpu
