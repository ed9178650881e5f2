// Gemm on oneDNN matmul: Y = alpha * op(A) op(B) + beta * C. Transposes are strided
// descriptors; a constant B is reordered once into oneDNN's preferred layout with
// alpha folded in; a constant C becomes the bias beta * C (broadcast by its shape);
// the fused activation and following activations are post-ops. With a constant B
// the output columns are split into parts run in parallel on the device's threads.
// With a few rows (small_batch_fc.h: 4 to 16, or 24 with AVX-512) and a constant B it
// runs on an own kernel.
// A non-constant B with alpha != 1, or a non-constant C with beta != 1, runs the
// reference kernel.
#include "backends/cpu/dnnl_common.h"
#include "backends/cpu/lowering.h"
#include "backends/cpu/small_batch_fc.h"

namespace tandem::cpu {

namespace {

using MatMulPd = dnnl::matmul::primitive_desc;
constexpr int64_t kColumnAlign = 8;
// Up to this many rows (batch), a constant B is stored transposed, one output's
// weights contiguous: oneDNN's matrix-vector path streams it measurably faster than
// the layout it picks itself (18-50 GB/s against 13-46 GB/s on AlexNet's layers).
// From 4 rows that path slows down and oneDNN's own layout is faster: on the 2-core
// AVX-512 development VM, `tandem run alexnet --batch N --layers` (2026-12-07) gave
// fc6, fc7 and fc8 8.5, 4.0, 0.92 ms at batch 4 and 13.5, 5.8, 1.37 ms at batch 8 with
// the transposed layout up to 8 rows (commit 10d42f1), against 8.3, 4.0, 0.68 ms and
// 11.0, 5.4, 1.03 ms with this limit (commit 61e25b0). Up to 3 rows the transposed
// layout stays near its batch-1 time: fc6 5.0-5.2 ms at batch 3 against 4.6 ms at
// batch 1 (10d42f1). From 4 rows small_batch_fc.h takes over.
constexpr int64_t kMatrixVectorRows = 3;

struct GemmSpec {
  int64_t m = 0, n = 0, k = 0;
  bool trans_a = false, trans_b = false;
  float alpha = 1, beta = 1;
  std::optional<Eltwise> own;
  std::vector<FusedTail> tail;
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
  s.own = eltwise_of(fused_activation(node));
  return s;
}

// oneDNN 2.6's fast matmul takes only a (1, N) bias; any other broadcast of it is
// added by a binary post-op instead (the matmul's own bias would run a slow kernel).
bool bias_is_row(const memory::desc& bias, const memory::desc& dst) {
  return bias.is_zero() || (bias.dims()[0] == 1 && bias.dims()[1] == dst.dims()[1]);
}

int bias_arg(const memory::desc& bias, const memory::desc& dst) {
  return bias_is_row(bias, dst) ? DNNL_ARG_BIAS : (DNNL_ARG_ATTR_MULTIPLE_POST_OP(0) | DNNL_ARG_SRC_1);
}

// The layout a constant B (K, N) is prepared in.
memory::desc constant_b_md(const GemmSpec& s, int64_t n) {
  return s.m <= kMatrixVectorRows ? memory::desc({s.k, n}, memory::data_type::f32, memory::format_tag::ba)
                                  : any_md({s.k, n});
}

MatMulPd matmul_pd(SegmentCompiler& c, const GemmSpec& s, size_t fused, const memory::desc& src,
                   const memory::desc& weights, const memory::desc& bias, const memory::desc& dst) {
  dnnl::post_ops bias_op;
  if (!bias_is_row(bias, dst)) bias_op.append_binary(dnnl::algorithm::binary_add, bias);
  dnnl::primitive_attr attr = base_attr();
  attr.set_post_ops(make_post_ops(s.own, s.tail, fused, bias_op));
  memory::desc row_bias = bias_is_row(bias, dst) ? bias : memory::desc();
  return MatMulPd(dnnl::matmul::desc(src, weights, row_bias, dst), attr, c.engine());
}

// beta * C as a bias of shape (1, 1), (1, N) or (M, N): a column (M, 1) is widened,
// as oneDNN adds it only with a slow kernel.
Tensor scaled_bias(const Tensor& c_data, float beta, int64_t n) {
  Shape shape = pad_rank(c_data.shape(), 2);
  bool column = shape[0] > 1 && shape[1] == 1;
  Tensor bias(DType::f32, {shape[0], column ? n : shape[1]});
  const float* src = c_data.data<float>();
  float* dst = bias.data<float>();
  for (int64_t i = 0; i < bias.numel(); ++i) dst[i] = beta * src[column ? i / n : i];
  return bias;
}

// Columns [n0, n1) of a (rows, N) matrix stored with element strides (row, col), as a
// plain (rows, n1 - n0) tensor; a broadcast column (N = 1) is kept whole.
Tensor columns(const float* data, int64_t rows, int64_t row_stride, int64_t col_stride, int64_t n0, int64_t n1) {
  Tensor part(DType::f32, {rows, n1 - n0});
  float* dst = part.data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = n0; j < n1; ++j) *dst++ = data[r * row_stride + j * col_stride];
  return part;
}

dnnl::primitive_attr alpha_scale(float alpha) {
  dnnl::primitive_attr attr;
  if (alpha != 1) attr.set_output_scales(0, {alpha});
  return attr;
}

// The Gemm with a constant B as parallel parts over output columns: each with its
// columns of alpha * op(B), of the bias and of Y.
std::optional<std::vector<SegmentCompiler::Part>> column_parts(SegmentCompiler& c, const GemmSpec& s, size_t fused,
                                                                const Tensor& b, const std::optional<Tensor>& bias,
                                                                const TensorRef& src, const TensorRef& dst) {
  int64_t blocks = s.n / kColumnAlign, parts = std::min<int64_t>(c.tasks(), blocks);
  if (parts < 2 || (bias && bias->dim(0) != 1)) return std::nullopt;
  std::vector<SegmentCompiler::Part> all;
  for (int64_t i = 0; i < parts; ++i) {
    int64_t n0 = blocks * i / parts * kColumnAlign, n1 = i + 1 == parts ? s.n : blocks * (i + 1) / parts * kColumnAlign;
    Tensor weights = columns(b.data<float>(), s.k, s.trans_b ? 1 : s.n, s.trans_b ? s.k : 1, n0, n1);
    TensorRef part_dst = dst;
    part_dst.offset += static_cast<size_t>(n0) * sizeof(float);
    part_dst.md = strided_md({s.m, n1 - n0}, {s.n, 1});
    std::optional<TensorRef> part_bias;
    if (bias) part_bias = c.constant(bias->dim(1) == 1 ? *bias : columns(bias->data<float>(), 1, s.n, 1, n0, n1));
    MatMulPd pd = matmul_pd(c, s, fused, src.md, constant_b_md(s, n1 - n0), part_bias ? part_bias->md : memory::desc(),
                            part_dst.md);
    if (is_reference_impl(pd)) return std::nullopt;
    std::vector<std::pair<int, TensorRef>> args{
        {DNNL_ARG_SRC, src},
        {DNNL_ARG_WEIGHTS, c.prepare(weights, plain_md(weights.shape()), pd.weights_desc(), alpha_scale(s.alpha))},
        {DNNL_ARG_DST, part_dst}};
    if (part_bias) args.emplace_back(bias_arg(part_bias->md, part_dst.md), *part_bias);
    all.push_back({pd, std::move(args)});
  }
  return all;
}

// The Gemm as a small-batch fully connected layer (small_batch_fc.h) when it is one:
// a constant B, A not transposed, rows in range, no C or a C broadcast along rows.
std::optional<SmallBatchFc> small_batch_fc(const GemmSpec& s, const Node& node, const Value& b,
                                           const std::optional<Tensor>& bias, bool has_c) {
  if (!b.is_constant() || s.trans_a || s.m < kSmallBatchFcMinRows || s.m > small_batch_fc_max_rows()) return std::nullopt;
  if (has_c && (!bias || bias->dim(0) != 1)) return std::nullopt;
  SmallBatchFc fc;
  fc.geometry = {s.m, s.n, s.k, fused_activation(node)};
  // W (N, K): element (j, i) is B[i, j], at i * N + j in B (K, N) or j * K + i in B^T.
  fc.weights = s.trans_b ? columns(b.data->data<float>(), s.n, s.k, 1, 0, s.k)
                         : columns(b.data->data<float>(), s.n, 1, s.n, 0, s.k);
  float* w = fc.weights.data<float>();
  for (int64_t i = 0; i < fc.weights.numel(); ++i) w[i] *= s.alpha;
  if (bias) {
    fc.bias = Tensor(DType::f32, {s.n});
    for (int64_t j = 0; j < s.n; ++j) fc.bias->data<float>()[j] = bias->data<float>()[bias->dim(1) == 1 ? 0 : j];
  }
  return fc;
}

}  // namespace

void lower_gemm(SegmentCompiler& c, const Node& node) {
  const Graph& g = c.graph();
  GemmSpec s = gemm_spec(node, g);
  const Value& b = g.value(node.inputs[1]);
  const Value* c_value = s.beta != 0 ? g.input(node, 2) : nullptr;
  if ((!b.is_constant() && s.alpha != 1) || (c_value && !c_value->is_constant() && s.beta != 1))
    return lower_reference(c, node);
  s.tail = fusable_tail(c, node.outputs[0], false);

  memory::desc src_md = strided_md({s.m, s.k}, s.trans_a ? memory::dims{1, s.m} : memory::dims{s.k, 1});
  memory::desc b_md = strided_md({s.k, s.n}, s.trans_b ? memory::dims{1, s.k} : memory::dims{s.n, 1});
  std::optional<Tensor> bias;
  if (c_value && c_value->is_constant()) bias = scaled_bias(*c_value->data, s.beta, s.n);
  if (std::optional<SmallBatchFc> fc = small_batch_fc(s, node, b, bias, c_value != nullptr))
    return push_small_batch_fc(c, *fc, c.plain(node.inputs[0]), c.output_plain(node.outputs[0]));
  memory::desc bias_md = bias ? plain_md(bias->shape()) : c_value ? plain_md(pad_rank(c_value->shape, 2)) : memory::desc();
  memory::desc dst_md = plain_md({s.m, s.n});
  memory::desc weights_md = b.is_constant() ? constant_b_md(s, s.n) : b_md;
  MatMulPd pd;
  size_t fused = create_with_tail(c, s.tail, [&](size_t n) { return matmul_pd(c, s, n, src_md, weights_md, bias_md, dst_md); }, pd);

  TensorRef src = with_md(c.plain(node.inputs[0]), src_md);
  TensorRef dst = c.output(tail_result(g, node.outputs[0], s.tail, fused), dst_md);
  if (b.is_constant() && (!c_value || bias))
    if (auto parts = column_parts(c, s, fused, *b.data, bias, src, dst)) return c.push_parallel(*parts);

  std::vector<std::pair<int, TensorRef>> args{{DNNL_ARG_SRC, src}, {DNNL_ARG_DST, dst}};
  args.emplace_back(DNNL_ARG_WEIGHTS, b.is_constant() ? c.prepare(*b.data, b_md, pd.weights_desc(), alpha_scale(s.alpha))
                                                      : with_md(c.plain(node.inputs[1]), b_md));
  if (c_value)
    args.emplace_back(bias_arg(bias_md, dst_md), with_md(bias ? c.constant(*bias) : c.plain(node.inputs[2]), bias_md));
  c.push(pd, std::move(args));
}

}  // namespace tandem::cpu
