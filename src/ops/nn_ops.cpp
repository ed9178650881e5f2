// The neural-network ops in the op table: convolution, pooling, normalisation,
// dense products, activations and softmax. Each OpDef lives in its own file.
#include "ops/op_lists.h"

namespace tandem {

extern const OpDef kConvOp;              // conv.cpp
extern const OpDef kMaxPoolOp;           // pool.cpp
extern const OpDef kAveragePoolOp;
extern const OpDef kGlobalAveragePoolOp;
extern const OpDef kGlobalMaxPoolOp;
extern const OpDef kLrnOp;               // lrn.cpp
extern const OpDef kBatchNormOp;         // batchnorm.cpp
extern const OpDef kGemmOp;              // gemm.cpp
extern const OpDef kMatMulOp;            // matmul.cpp
extern const OpDef kSoftmaxOp;           // softmax.cpp
extern const OpDef kReluOp;              // activation.cpp
extern const OpDef kLeakyReluOp;
extern const OpDef kClipOp;
extern const OpDef kSigmoidOp;
extern const OpDef kTanhOp;

void append_nn_ops(std::vector<const OpDef*>& defs) {
  for (const OpDef* def : {&kConvOp, &kMaxPoolOp, &kAveragePoolOp, &kGlobalAveragePoolOp, &kGlobalMaxPoolOp, &kLrnOp,
                           &kBatchNormOp, &kGemmOp, &kMatMulOp, &kSoftmaxOp, &kReluOp, &kLeakyReluOp, &kClipOp, &kSigmoidOp,
                           &kTanhOp})
    defs.push_back(def);
}

}  // namespace tandem
