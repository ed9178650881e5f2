// Gemm on oneDNN matmul: Y = alpha * op(A) op(B) + beta * C. Transposes are strided
// descriptors; a constant B is reordered once into oneDNN's preferred layout with
// alpha folded in; a constant C becomes the bias beta * C (broadcast by its shape);
// the fused activation and following activations are post-ops. A non-constant B with
// alpha != 1, or a non-constant C with beta != 1, runs the reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"

namespace tandem::cpu {

namespace {

struct GemmSpec {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
};

GemmSpec gemm_spec(const Node& node, const Graph& g) {
  GemmSpec s;
  s.trans_a = node.attrs.get_int("transA", 0) != 0;
  s.trans_b = node.attrs.get_int("transB", 0) != 0;
  s.alpha = node.attrs.get_float("alpha", 1.0f);
  s.beta = node.attrs.get_float("beta", 1.0f);
  const Shape& a = g.value(node.inputs[0]).shape;
  s.m = s.trans_a ? a[1] : a[0];
  s.k = s.trans_a ? a[0] : a[1];
  s.n = g.output(node, 0).shape[1];
  return s;
}

// beta * C as a bias of shape (1 or M, 1 or N).
Tensor scaled_bias(const Tensor& c_data, float beta) {
  Tensor bias(DType::f32, pad_rank(c_data.shape(), 2));
  const float* src = c_data.data<float>();
  float* dst = bias.data<float>();
  for (int64_t i = 0; i < bias.numel(); ++i) dst[i] = beta * src[i];
  return bias;
}

}  // namespace

void lower_gemm(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  GemmSpec s = gemm_spec(node, g);
  const Value& b = g.value(node.inputs[1]);
  const Value* bias_value = s.beta != 0 ? g.input(node, 2) : nullptr;
  bool b_constant = b.is_constant();
  if ((!b_constant && s.alpha != 1) || (bias_value && !bias_value->is_constant() && s.beta != 1))
    return lower_reference(c, node);

  memory::desc src_md = strided_md({s.m, s.k}, s.trans_a ? memory::dims{1, s.m} : memory::dims{s.k, 1});
  memory::desc b_md = strided_md({s.k, s.n}, s.trans_b ? memory::dims{1, s.k} : memory::dims{s.n, 1});
  memory::desc bias_md = bias_value ? plain_md(pad_rank(bias_value->shape, 2)) : memory::desc();
  memory::desc dst_md = plain_md({s.m, s.n});
  std::optional<Eltwise> own = eltwise_of(fused_activation(node));
  std::vector<FusedTail> tail = fusable_tail(c, node.outputs[0], false);
  auto make = [&](size_t count) {
    dnnl::primitive_attr attr = base_attr();
    attr.set_post_ops(make_post_ops(own, tail, count));
    dnnl::matmul::desc desc(src_md, b_constant ? any_md({s.k, s.n}) : b_md, bias_md, dst_md);
    return dnnl::matmul::primitive_desc(desc, attr, c.engine());
  };
  dnnl::matmul::primitive_desc pd;
  size_t fused = create_with_tail(c, tail, make, pd);

  std::vector<std::pair<int, TensorRef>> args{{DNNL_ARG_SRC, with_md(c.plain(node.inputs[0]), src_md)}};
  if (b_constant) {
    dnnl::primitive_attr scale;
    if (s.alpha != 1) scale.set_output_scales(0, {s.alpha});
    args.emplace_back(DNNL_ARG_WEIGHTS, c.prepare(*b.data, b_md, pd.weights_desc(), scale));
  } else {
    args.emplace_back(DNNL_ARG_WEIGHTS, with_md(c.plain(node.inputs[1]), b_md));
  }
  if (bias_value)
    args.emplace_back(DNNL_ARG_BIAS, with_md(bias_value->is_constant() ? c.constant(scaled_bias(*bias_value->data, s.beta))
                                                                        : c.plain(node.inputs[2]),
                                             bias_md));
  args.emplace_back(DNNL_ARG_DST, c.output(tail_result(g, node.outputs[0], tail, fused), dst_md));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
