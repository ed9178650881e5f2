// The two halves of the op table: neural-network ops (conv, pooling, normalisation,
// dense, activations, softmax) and tensor ops (elementwise, shape and data movement).
#pragma once
#include <vector>

#include "ops/op.h"

namespace tandem {

void append_nn_ops(std::vector<const OpDef*>& defs);      // ops/nn_ops.cpp
void append_tensor_ops(std::vector<const OpDef*>& defs);  // ops/tensor_ops.cpp

}  // namespace tandem
