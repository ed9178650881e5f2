// Shared pieces of the tensor ops: dtype checks, integer parameter inputs (Slice
// starts, Reshape shape, ...) read from the graph (shape inference) or from tensors
// (reference kernels), axis lists and dtype-agnostic element copies (data movement
// works by element size only). Node checks and attribute getters come from nn_util.h.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ops/nn_util.h"  // node checks and attribute getters shared with the nn ops
#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {

// Fails InvalidModel naming the node unless every present input in [first, last) has
// the dtype of input `first`.
void expect_same_dtype(const Node& node, const Graph& graph, size_t first, size_t last);

// An integer parameter input as int64s: nullopt when absent. Fails Unsupported when
// it is not a constant and InvalidModel when it does not hold integers.
std::optional<std::vector<int64_t>> constant_ints(const Node& node, const Graph& graph, size_t i);
// The same parameter in a reference kernel: nullopt when the input is absent (empty).
std::optional<std::vector<int64_t>> tensor_ints(const std::vector<Tensor>& inputs, size_t i);

// Normalises a list of axes (see normalize_axis) and fails on duplicates.
std::vector<size_t> normalize_axes(const Node& node, const std::vector<int64_t>& axes, size_t rank);

bool is_integer_dtype(DType dtype);

// "[1, -1, 4]": parameter lists in error messages (shape_str shows negatives as ?).
std::string ints_str(const std::vector<int64_t>& values);

// FLOPs of a pure data-movement op.
double no_flops(const Node& node, const Graph& graph);

// Copies the bytes of `from` into `to` (same element count); a no-op when they alias.
void copy_tensor_data(const Tensor& from, Tensor& to);
// The reference kernel of ops whose output holds the first input's bytes unchanged
// (Reshape, Flatten, Squeeze, Unsqueeze, Identity).
void copy_first_input(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);

// Calls f(U{}) with an unsigned integer type U of `elem_size` bytes (1, 2, 4 or 8), so
// that data movement compiles to typed loads and stores for any dtype.
template <class F>
void with_element_bits(size_t elem_size, F&& f) {
  switch (elem_size) {
    case 1: f(uint8_t{}); return;
    case 2: f(uint16_t{}); return;
    case 4: f(uint32_t{}); return;
    case 8: f(uint64_t{}); return;
  }
  fail(ErrorKind::Internal, "no element type of " + std::to_string(elem_size) + " bytes");
}

// dst (dense, `shape`) = the view of src with `src_strides` (in elements) and that shape.
// Used by Slice (strides times steps) and Transpose (permuted strides).
void copy_strided(const void* src, const Shape& shape, const std::vector<int64_t>& src_strides, void* dst,
                  size_t elem_size);

}  // namespace tandem
