// MatMul with numpy semantics: a 1-D first operand is a row (its M dim dropped from
// the result), a 1-D second operand a column (its N dim dropped); leading batch dims
// broadcast. The reference sums each output in double.
#include <algorithm>

#include "ops/nn_util.h"
#include "tandem/error.h"

namespace tandem {
namespace {

// a: (batch_a..., M, K), b: (batch_b..., K, N) -> y: (broadcast batch..., M, N)
struct MatMulShapes {
  Shape batch, batch_a, batch_b;
  int64_t m, n, k;
  Shape output;
};

Shape broadcast_batch(const Node& node, const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank, 1);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      fail_node(ErrorKind::InvalidModel, node, "batch dims " + shape_str(a) + " and " + shape_str(b) + " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

MatMulShapes matmul_shapes(const Node& node, const Shape& a, const Shape& b) {
  if (a.empty() || b.empty()) fail_node(ErrorKind::InvalidModel, node, "operands must have rank 1 or more");
  MatMulShapes s;
  s.m = a.size() == 1 ? 1 : a[a.size() - 2];
  s.k = a.back();
  int64_t k_of_b = b.size() == 1 ? b[0] : b[b.size() - 2];
  s.n = b.size() == 1 ? 1 : b.back();
  if (k_of_b != s.k) fail_node(ErrorKind::InvalidModel, node, "inner dimensions of " + shape_str(a) + " and " + shape_str(b) + " differ");
  s.batch_a.assign(a.begin(), a.end() - std::min<long>(2, long(a.size())));
  s.batch_b.assign(b.begin(), b.end() - std::min<long>(2, long(b.size())));
  s.batch = broadcast_batch(node, s.batch_a, s.batch_b);
  s.output = s.batch;
  if (a.size() > 1) s.output.push_back(s.m);
  if (b.size() > 1) s.output.push_back(s.n);
  return s;
}

void infer_matmul(const Node& node, Graph& graph) {
  expect_input_count(node, 2, 2);
  expect_output_count(node, 1, 1);
  const Value& a = required_input(node, graph, 0);
  const Value& b = required_input(node, graph, 1);
  expect_dtype(node, a, DType::f32);
  expect_dtype(node, b, DType::f32);
  set_output(node, graph, 0, DType::f32, matmul_shapes(node, a.shape, b.shape).output);
}

double matmul_flops(const Node& node, const Graph& graph) {
  MatMulShapes s = matmul_shapes(node, graph.value(node.inputs[0]).shape, graph.value(node.inputs[1]).shape);
  return 2 * double(num_elements(s.batch)) * double(s.m) * double(s.n) * double(s.k);
}

// For each flat index into the broadcast batch: the element offset of that batch's
// matrix in an operand with batch dims `operand` (right-aligned, size-1 dims repeat).
std::vector<int64_t> batch_offsets(const Shape& batch, const Shape& operand, int64_t matrix_size) {
  size_t lead = batch.size() - operand.size();
  std::vector<int64_t> stride(batch.size(), 0);
  int64_t step = matrix_size;
  for (size_t i = batch.size(); i-- > lead;) {
    stride[i] = operand[i - lead] == 1 ? 0 : step;
    step *= operand[i - lead];
  }
  std::vector<int64_t> offsets(static_cast<size_t>(num_elements(batch)));
  std::vector<int64_t> index(batch.size(), 0);
  for (int64_t& offset : offsets) {
    offset = 0;
    for (size_t i = 0; i < batch.size(); ++i) offset += index[i] * stride[i];
    for (size_t i = batch.size(); i-- > 0;) {  // next index, last dim fastest
      if (++index[i] < batch[i]) break;
      index[i] = 0;
    }
  }
  return offsets;
}

void run_matmul(const Node& node, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  MatMulShapes s = matmul_shapes(node, inputs[0].shape(), inputs[1].shape());
  std::vector<int64_t> a_offsets = batch_offsets(s.batch, s.batch_a, s.m * s.k);
  std::vector<int64_t> b_offsets = batch_offsets(s.batch, s.batch_b, s.k * s.n);
  std::vector<double> product(static_cast<size_t>(s.m * s.n));
  float* y = outputs[0].data<float>();
  for (size_t i = 0; i < a_offsets.size(); ++i) {
    std::fill(product.begin(), product.end(), 0.0);
    MatrixView a{inputs[0].data<float>() + a_offsets[i], s.k, 1};
    MatrixView b{inputs[1].data<float>() + b_offsets[i], s.n, 1};
    multiply_add(a, b, s.m, s.n, s.k, product.data());
    float* y_matrix = y + int64_t(i) * s.m * s.n;
    for (size_t j = 0; j < product.size(); ++j) y_matrix[j] = static_cast<float>(product[j]);
  }
}

}  // namespace

extern const OpDef kMatMulOp{.type = "MatMul", .since_opset = 1, .infer = infer_matmul, .reference = run_matmul, .flops = matmul_flops};

}  // namespace tandem
