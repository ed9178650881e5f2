// Shared checks, parameter reading and strided copies for the tensor ops.
#include "ops/tensor_util.h"

#include <algorithm>
#include <cstring>

namespace tandem {

void expect_same_dtype(const Node& node, const Graph& graph, size_t first, size_t last) {
  DType want = required_input(node, graph, first).dtype;
  for (size_t i = first + 1; i < last; ++i) {
    const Value* v = graph.input(node, i);
    if (v && v->dtype != want)
      fail_node(ErrorKind::InvalidModel, node,
                "input '" + v->name + "' is " + dtype_name(v->dtype) + ", expected " + dtype_name(want) +
                    " like input " + std::to_string(first));
  }
}

std::optional<std::vector<int64_t>> constant_ints(const Node& node, const Graph& graph, size_t i) {
  const Value* v = graph.input(node, i);
  if (!v) return std::nullopt;
  if (!v->is_constant())
    fail_node(ErrorKind::Unsupported, node,
              "input '" + v->name + "' must be a constant (it sets the output shape), but it is computed at run time");
  if (!is_integer_dtype(v->dtype))
    fail_node(ErrorKind::InvalidModel, node, "input '" + v->name + "' must hold integers, not " + dtype_name(v->dtype));
  return v->data->to_int64s();
}

std::optional<std::vector<int64_t>> tensor_ints(const std::vector<Tensor>& inputs, size_t i) {
  if (i >= inputs.size() || inputs[i].empty()) return std::nullopt;
  return inputs[i].to_int64s();
}

std::vector<size_t> normalize_axes(const Node& node, const std::vector<int64_t>& axes, size_t rank) {
  std::vector<size_t> out;
  for (int64_t axis : axes) {
    size_t a = normalize_axis(node, axis, rank);
    if (std::find(out.begin(), out.end(), a) != out.end())
      fail_node(ErrorKind::InvalidModel, node, "axis " + std::to_string(axis) + " is repeated");
    out.push_back(a);
  }
  return out;
}

bool is_integer_dtype(DType dtype) {
  return dtype == DType::i64 || dtype == DType::i32 || dtype == DType::i8 || dtype == DType::u8;
}

std::string ints_str(const std::vector<int64_t>& values) {
  std::string s = "[";
  for (size_t i = 0; i < values.size(); ++i) s += (i ? ", " : "") + std::to_string(values[i]);
  return s + "]";
}

double no_flops(const Node&, const Graph&) { return 0; }

void copy_tensor_data(const Tensor& from, Tensor& to) {
  if (from.nbytes() != to.nbytes())
    fail(ErrorKind::Internal,
         "copy of " + std::to_string(from.nbytes()) + " bytes into " + std::to_string(to.nbytes()));
  if (from.raw() != to.raw() && from.nbytes() > 0) std::memcpy(to.raw(), from.raw(), from.nbytes());
}

void copy_first_input(const Node&, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  copy_tensor_data(inputs[0], outputs[0]);
}

// Drops size-1 dims and merges neighbours that are contiguous in the source, so that
// the innermost loop is as long as possible.
static void collapse_view(Shape& shape, std::vector<int64_t>& strides) {
  Shape dims;
  std::vector<int64_t> steps;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 1) continue;
    if (!dims.empty() && steps.back() == strides[i] * shape[i]) {
      dims.back() *= shape[i];
      steps.back() = strides[i];
    } else {
      dims.push_back(shape[i]);
      steps.push_back(strides[i]);
    }
  }
  if (dims.empty()) {
    dims.push_back(1);
    steps.push_back(1);
  }
  shape = std::move(dims);
  strides = std::move(steps);
}

void copy_strided(const void* src, const Shape& shape, const std::vector<int64_t>& src_strides, void* dst,
                  size_t elem_size) {
  if (num_elements(shape) == 0) return;
  Shape dims = shape;
  std::vector<int64_t> strides = src_strides;
  collapse_view(dims, strides);
  const size_t outer_rank = dims.size() - 1;
  const int64_t row = dims.back(), row_stride = strides.back();
  const int64_t rows = num_elements(dims) / row;
  with_element_bits(elem_size, [&](auto element) {
    using E = decltype(element);
    const E* in = static_cast<const E*>(src);
    E* out = static_cast<E*>(dst);
    std::vector<int64_t> index(outer_rank, 0);
    int64_t offset = 0;
    for (int64_t r = 0; r < rows; ++r, out += row) {
      const E* from = in + offset;
      if (row_stride == 1) {
        std::memcpy(out, from, static_cast<size_t>(row) * sizeof(E));
      } else {
        for (int64_t j = 0; j < row; ++j) out[j] = from[j * row_stride];
      }
      for (size_t d = outer_rank; d-- > 0;) {  // odometer over the outer dims
        offset += strides[d];
        if (++index[d] < dims[d]) break;
        offset -= strides[d] * dims[d];
        index[d] = 0;
      }
    }
  });
}

}  // namespace tandem
