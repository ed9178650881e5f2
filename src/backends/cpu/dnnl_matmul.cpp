// MatMul (numpy semantics: batched, broadcasting batch dims, 1-D operands promoted)
// on oneDNN matmul; a constant 2-D B is reordered once into oneDNN's preferred layout.
// Following activations are fused as post-ops. Split across the device's threads
// along the output's first dim (batch, or rows of a 2-D product): on the 2-core
// AVX-512 VM, (512, 1024) by (1024, 1024) went from 5.95-6.11 ms on one thread to
// 2.98-2.99 ms (`build/bench/cpu_ops_bench --benchmark_filter=MatMul
// --benchmark_repetitions=3`, two runs each, 5795399 against 882b584, 2026-12-07).
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

// Dims [first, last) of `t` (dense row-major with `dims`) along dim 0: a dense view
// into the same buffer. A dim 0 of 1 (a broadcast operand) is kept whole.
TensorRef outer_slice(const TensorRef& t, const Shape& dims, int64_t first, int64_t last) {
  if (dims[0] == 1) return with_md(t, plain_md(dims));
  Shape part = dims;
  part[0] = last - first;
  TensorRef slice = with_md(t, plain_md(part));
  slice.offset += static_cast<size_t>(first * (num_elements(dims) / dims[0])) * sizeof(float);
  return slice;
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
  auto make_for = [&](const Shape& a_dims, const Shape& b_dims, const Shape& y_dims, size_t count) {
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(make_post_ops(std::nullopt, tail, count));
    const memory::desc weights = prepared ? any_md(dnnl_dims(b_dims)) : plain_md(b_dims);
    dnnl::matmul::desc desc(plain_md(a_dims), weights, plain_md(y_dims));
    return dnnl::matmul::primitive_desc(desc, attr, c.engine());
  };
  dnnl::matmul::primitive_desc pd;
  size_t fused = create_with_tail(c, tail, [&](size_t count) { return make_for(d.a, d.b, d.y, count); }, pd);
  const TensorRef src = c.plain(node.inputs[0]), b_held = prepared ? TensorRef() : c.plain(node.inputs[1]);
  const TensorRef dst = c.output(tail_result(g, node.outputs[0], tail, fused), plain_md(g.output(node, 0).shape));
  // Parts along the output's dim 0 (the batch, or A's rows when 2-D), when A is not
  // broadcast along it: each with its slice of A, Y and, unless broadcast, B.
  const int64_t outer = d.y[0], parts = d.a[0] == outer ? std::min<int64_t>(c.tasks(), outer) : 1;
  std::vector<SegmentCompiler::Part> all;
  std::optional<TensorRef> weights;  // the prepared constant B, per distinct layout
  for (int64_t p = 0; p < parts; ++p) {
    const int64_t first = outer * p / parts, last = outer * (p + 1) / parts;
    const bool batch_split = d.y.size() > 2;  // 2-D: B is whole for every row range
    Shape a_dims = d.a, b_dims = d.b, y_dims = d.y;
    a_dims[0] = y_dims[0] = last - first;
    if (batch_split && d.b[0] != 1) b_dims[0] = last - first;
    dnnl::matmul::primitive_desc part_pd = parts == 1 ? pd : make_for(a_dims, b_dims, y_dims, fused);
    if (prepared && (!weights || weights->md != part_pd.weights_desc()))
      weights = c.prepare(*b.data, b_md, part_pd.weights_desc());
    all.push_back({part_pd,
                   {{DNNL_ARG_SRC, outer_slice(src, d.a, first, last)},
                    {DNNL_ARG_WEIGHTS, prepared ? *weights
                                                : (batch_split ? outer_slice(b_held, d.b, first, last)
                                                               : with_md(b_held, b_md))},
                    {DNNL_ARG_DST, outer_slice(dst, d.y, first, last)}}});
  }
  c.push_parallel(all);
}

}  // namespace tandem::cpu
