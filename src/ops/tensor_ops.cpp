// The tensor (elementwise, shape and data movement) ops in the op table. Each file
// under src/ops/ that defines tensor ops appends them through one function below.
#include "ops/op_lists.h"

namespace tandem {

void append_elementwise_ops(std::vector<const OpDef*>& defs);  // elementwise.cpp
void append_concat_ops(std::vector<const OpDef*>& defs);       // concat.cpp
void append_split_ops(std::vector<const OpDef*>& defs);        // split.cpp
void append_slice_ops(std::vector<const OpDef*>& defs);        // slice.cpp
void append_reshape_ops(std::vector<const OpDef*>& defs);      // reshape.cpp
void append_transpose_ops(std::vector<const OpDef*>& defs);    // transpose.cpp
void append_pad_ops(std::vector<const OpDef*>& defs);          // pad.cpp
void append_passthrough_ops(std::vector<const OpDef*>& defs);  // passthrough.cpp
void append_constant_ops(std::vector<const OpDef*>& defs);     // constant.cpp
void append_shape_ops(std::vector<const OpDef*>& defs);        // shape_ops.cpp
void append_reduce_ops(std::vector<const OpDef*>& defs);       // reduce.cpp

void append_tensor_ops(std::vector<const OpDef*>& defs) {
  append_elementwise_ops(defs);
  append_concat_ops(defs);
  append_split_ops(defs);
  append_slice_ops(defs);
  append_reshape_ops(defs);
  append_transpose_ops(defs);
  append_pad_ops(defs);
  append_passthrough_ops(defs);
  append_constant_ops(defs);
  append_shape_ops(defs);
  append_reduce_ops(defs);
}

}  // namespace tandem
