// MatMul (numpy semantics: batched, broadcasting batch dims, 1-D operands promoted)
// on oneDNN matmul; a constant 2-D B is reordered once into oneDNN's preferred layout.
// Following activations are fused as post-ops.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

// a: (..., M, K), b: (..., K, N) as equal-rank oneDNN dims and the output's dims.
struct MatMulDims {
  Shape a, b, y;
};

MatMulDims matmul_dims(const Shape& a_shape, const Shape& b_shape) {
  Shape a = a_shape.size() == 1 ? Shape{1, a_shape[0]} : a_shape;
  Shape b = b_shape.size() == 1 ? Shape{b_shape[0], 1} : b_shape;
  size_t rank = std::max(a.size(), b.size());
  MatMulDims d{pad_rank(a, rank), pad_rank(b, rank), Shape(rank)};
  for (size_t i = 0; i + 2 < rank; ++i) d.y[i] = std::max(d.a[i], d.b[i]);
  d.y[rank - 2] = d.a[rank - 2];
  d.y[rank - 1] = d.b[rank - 1];
  return d;
}

}  // namespace

void lower_matmul(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  const Value& a = g.value(node.inputs[0]);
  const Value& b = g.value(node.inputs[1]);
  if (a.dtype != DType::f32 || num_elements(g.output(node, 0).shape) == 0) return lower_reference(c, node);
  MatMulDims d = matmul_dims(a.shape, b.shape);
  if (d.y.size() > DNNL_MAX_NDIMS) return lower_reference(c, node);
  bool prepared = b.is_constant() && d.b.size() == 2;
  memory::desc b_md = plain_md(d.b);
  std::vector<FusedTail> tail = fusable_tail(c, node.outputs[0], false);
  auto make = [&](size_t count) {
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(make_post_ops(std::nullopt, tail, count));
    dnnl::matmul::desc desc(plain_md(d.a), prepared ? any_md(dnnl_dims(d.b)) : b_md, plain_md(d.y));
    return dnnl::matmul::primitive_desc(desc, attr, c.engine());
  };
  dnnl::matmul::primitive_desc pd;
  size_t fused = create_with_tail(c, tail, make, pd);
  TensorRef weights = prepared ? c.prepare(*b.data, b_md, pd.weights_desc()) : with_md(c.plain(node.inputs[1]), b_md);
  TensorRef dst = c.output(tail_result(g, node.outputs[0], tail, fused), plain_md(g.output(node, 0).shape));
  c.push(pd, {{DNNL_ARG_SRC, with_md(c.plain(node.inputs[0]), plain_md(d.a))},
              {DNNL_ARG_WEIGHTS, weights},
              {DNNL_ARG_DST, with_md(dst, plain_md(d.y))}});
}

}  // namespace tandem::cpu
