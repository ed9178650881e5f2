// Helpers shared by the neural-network ops: input/output checks that name the node,
// sliding-window geometry (kernel, strides, dilations, pads, auto_pad, ceil_mode ->
// output sizes) for Conv and the pools, and a double-accumulating matrix product
// used by Gemm and MatMul.
#pragma once
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "ops/op.h"
#include "tandem/error.h"

namespace tandem {

// ---- node checks (each throws Error(InvalidModel | Unsupported) naming the node) ----

// node.inputs.size() in [min, max]; the first `min` inputs present.
void expect_input_count(const Node& node, size_t min, size_t max);
// node.outputs.size() in [min, max]; output 0 present.
void expect_output_count(const Node& node, size_t min, size_t max);
// Input i, which must be present.
const Value& required_input(const Node& node, const Graph& graph, size_t i);
void expect_dtype(const Node& node, const Value& value, DType want);
void expect_rank_between(const Node& node, const Value& value, size_t min, size_t max);
// Sets shape and dtype of output i when it is present.
void set_output(const Node& node, Graph& graph, size_t i, DType dtype, Shape shape);
// Fails with "<op 'name'>: <cause>".
[[noreturn]] void fail_node(ErrorKind kind, const Node& node, const std::string& cause);
// A value for error messages: "'x' (1, 3, 224, 224)".
std::string value_str(const Value& value);
// Attribute getters that name the node when an attribute has the wrong type.
int64_t int_attr(const Node& node, const std::string& name, int64_t fallback);
float float_attr(const Node& node, const std::string& name, float fallback);
std::string string_attr(const Node& node, const std::string& name, const std::string& fallback);
std::vector<int64_t> ints_attr(const Node& node, const std::string& name, const std::vector<int64_t>& fallback = {});
// axis in [-rank, rank) -> [0, rank); fails otherwise.
size_t normalize_axis(const Node& node, int64_t axis, size_t rank);

// ---- sliding windows (Conv, MaxPool, AveragePool) ----

// One entry per spatial dimension.
struct WindowGeometry {
  std::vector<int64_t> input;       // input spatial sizes
  std::vector<int64_t> kernel;
  std::vector<int64_t> strides;
  std::vector<int64_t> dilations;
  std::vector<int64_t> pads_begin;  // resolved (auto_pad applied)
  std::vector<int64_t> pads_end;
  std::vector<int64_t> output;      // output spatial sizes
  size_t rank() const { return input.size(); }
  int64_t kernel_elements() const;
  int64_t output_elements() const;
};

struct WindowOptions {
  bool allow_ceil_mode = false;     // pools read "ceil_mode"
  bool allow_dilations = true;
  bool pads_below_kernel = false;   // pools: every pad smaller than the kernel
};

// Reads strides, dilations, pads, auto_pad (and ceil_mode) from the node, checks
// them against `kernel` and the input spatial sizes, and computes the output sizes.
// ceil_mode follows ONNX/PyTorch: a last window must start inside the input or the
// left padding. As in ONNX's spec and reference, it changes nothing under auto_pad
// (the SAME and VALID formulas give the same sizes either way).
WindowGeometry window_geometry(const Node& node, const std::vector<int64_t>& input_spatial,
                               const std::vector<int64_t>& kernel, const WindowOptions& options);

// The geometry padded to exactly three spatial dims with leading size-1 dims
// (kernel 1, stride 1, no pad), so kernels need only one loop nest for 1-D..3-D.
struct Window3d {
  std::array<int64_t, 3> input, output, kernel, strides, dilations, pads_begin, pads_end;
  int64_t input_elements() const { return input[0] * input[1] * input[2]; }
  int64_t output_elements() const { return output[0] * output[1] * output[2]; }
};
Window3d to_3d(const WindowGeometry& geometry);

// Spatial dims of a (N, C, D1..Dk) shape.
std::vector<int64_t> spatial_dims(const Shape& shape);

// ---- dense products ----

// A strided read-only matrix view: element (r, c) at data[r * row_stride + c * col_stride].
struct MatrixView {
  const float* data = nullptr;
  int64_t row_stride = 0, col_stride = 0;
  float at(int64_t r, int64_t c) const { return data[r * row_stride + c * col_stride]; }
};

// out (M, N), row-major, += a (M, K) x b (K, N), each dot product summed in double.
void multiply_add(const MatrixView& a, const MatrixView& b, int64_t m, int64_t n, int64_t k,
                  double* out);

}  // namespace tandem
