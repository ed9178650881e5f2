// One-layer graphs for the layer study (design.md, method items 2 and 4): a single
// Conv (dense, grouped or depthwise), MaxPool, AveragePool, LRN, BatchNormalization
// or Gemm (FC) node with seeded
// random weights, described by a LayerSpec; the named parameters a study varies; and
// the default grids (`tandem sweep`) and search ranges (`tandem crossover`).
//
// The layers, exactly:
//   conv     Conv (N, C_in, H, W) -> (N, C_out, H', W'), square kernel k, stride s
//            (1 by default: H' = H), pad k/2, with bias; no activation (nothing is
//            fused into it); `groups` g (1 by default) splits the channels: C_in and
//            C_out divisible by g
//   dwconv   depthwise Conv (N, C, H, W) -> (N, C, H', W'): groups = C, weights
//            (C, 1, k, k), stride s (1 by default), pad k/2, with bias (MobileNet's
//            3x3 layers)
//   maxpool  MaxPool, window k (3 by default), stride s (2 by default), pad k/2,
//            on (N, C, H, W); s = 1 keeps the size (GoogLeNet's 3x3 pools)
//   avgpool  AveragePool, same geometry, padding not counted
//   lrn      LRN across channels, size 5, on (N, C, H, W)
//   bn       BatchNormalization (inference) on (N, C, H, W), the only node, so no
//            pass can fold it away (the graph is never optimised)
//   fc       Gemm (N, F_in) x (F_out, F_in)^T + bias -> (N, F_out)
//   concat   Concat along channels of `branches` (2 by default) convs reading
//            (N, C, H, W), with bias, 1x1 and 3x3 in turn (pad 1), of unequal widths
//            as in GoogLeNet's inception blocks (concat_branch_channels); SqueezeNet's
//            fire blocks join a 1x1 and a 3x3 conv too. The Concat is the layer; the
//            branches are its context (on the cpu backend a branch that runs Winograd
//            writes straight into the Concat's output)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tandem {

enum class LayerKind { Conv, DwConv, MaxPool, AvgPool, Lrn, BatchNorm, Fc, Concat };

struct LayerSpec {
  LayerKind kind = LayerKind::Conv;
  int64_t batch = 1;          // N
  int64_t in_channels = 64;   // conv: C_in; pool, LRN, BN: C; fc: F_in
  int64_t out_channels = 64;  // conv: C_out; fc: F_out; unused otherwise
  int64_t size = 28;          // H = W; unused by fc
  int64_t kernel = 3;         // conv and pooling window; unused otherwise
  int64_t groups = 1;         // conv only (dwconv: always C)
  int64_t stride = 0;         // 0: the layer's default, 1 for convs, 2 for pooling
  int64_t branches = 2;       // concat only: convs concatenated
  // MB read through the caches before each timed run (profile/cache_stream.h): the
  // rest of a model between two runs of the layer. 0: the layer alone, its weights
  // left in cache by its previous run (the grid); sampled layers draw it.
  int64_t streamed_mb = 0;
  // Channels of the graph input that the context conv before the layer reads
  // (build_layer_in_context): how much else that conv reads while it writes the
  // layer's input, so how much of the input is still cached (an expand conv reads 1/6
  // of what it writes, a reduce conv 4x). 0: C_in, the grid; sampled layers draw it.
  int64_t context_channels = 0;
};

// The channels the context conv before the layer reads: context_channels, else C_in.
int64_t context_channels_of(const LayerSpec& spec);
// Whether build_layer_in_context puts convs around the layer (all but BN and FC).
bool layer_has_context(LayerKind kind);
// The kernel of the context conv that writes the layer's input: 3x3 before pooling
// and LRN, 1x1 before convs.
int64_t context_conv_kernel(LayerKind kind);

// The spec's stride with the default filled in; 1 for layers without a window.
int64_t stride_of(const LayerSpec& spec);

// Output channels of concat's branch `branch`: C, 2C, C/2, C/2, then again, rounded down
// to a multiple of 8 (at least 8).
constexpr int64_t kConcatBranchStep = 8;
int64_t concat_branch_channels(const LayerSpec& spec, int64_t branch);
// C of the layer's output: C_out for conv and fc, the branches' sum for concat, C for
// the layers that keep the channels.
int64_t layer_output_channels(const LayerSpec& spec);

// "conv", "dwconv", "maxpool", "avgpool", "lrn", "bn", "fc", "concat".
std::string layer_name(LayerKind kind);
// Parses a comma-separated list of layer names; "pool" means maxpool and avgpool,
// "all" every layer. Throws Error(InvalidInput) naming an unknown layer.
std::vector<LayerKind> parse_layers(const std::string& list);
// The spec with the study's fixed defaults for this layer kind.
LayerSpec default_spec(LayerKind kind);

// Parameters a study can vary, by name:
//   batch     N
//   channels  C (conv: C_in = C_out)
//   c_in      conv C_in            c_out  conv C_out
//   size      H = W                kernel conv / pooling window
//   groups    conv groups          stride conv and pooling stride
//   f_in      fc F_in              f_out  fc F_out
//   branches  concat's convs
// The names that apply to a layer kind, in the order a sweep visits them.
std::vector<std::string> swept_params(LayerKind kind);
// Sets parameter `param` of `spec` to `value`; throws Error(InvalidInput) when the
// parameter does not apply to the layer or the value is out of range.
void set_param(LayerSpec& spec, const std::string& param, int64_t value);
// The value of `param` in `spec`.
int64_t get_param(const LayerSpec& spec, const std::string& param);

// The parameters that describe this layer, as (name, value) in a fixed order:
// conv: batch, c_in, c_out, size, kernel, then groups when not 1; dwconv: batch,
// channels, size, kernel; pooling: batch, channels, size, kernel; conv, dwconv and
// pooling then stride when not the default; lrn/bn: batch, channels, size; fc: batch,
// f_in, f_out; concat: batch, channels, size, branches; every layer then streamed_mb
// when not 0. (Defaults are left out so that the labels of layers swept before
// groups and stride existed, which key profile runs, stay the same.)
std::vector<std::pair<std::string, int64_t>> layer_params(const LayerSpec& spec);
// "batch=1,c_in=64,c_out=64,size=28,kernel=3": the layer's parameters in one token.
std::string params_label(const LayerSpec& spec);

// The one-node graph of `spec` (concat: its branches and the Concat), shapes
// inferred, weights from `seed`. Its input is "input" and its output "output". Throws
// Error(InvalidInput) when conv's groups do not divide C_in and C_out.
Graph build_layer_graph(const LayerSpec& spec, uint64_t seed = 1);

// The layer as it sits inside a model, for conv, dwconv, pooling and LRN: a conv
// "before" (C_in -> C_in, stride 1, with bias) writes its input and a 1x1 conv
// "after" (C_out -> C_out) reads its output, so that a device keeps around the layer
// the layout its convolutions choose, as it does in a zoo model, instead of
// converting from and to the plain layout of a graph's boundary. "before" is what
// usually writes such a layer's input in the zoo models: 3x3 for pooling and LRN, 1x1 for convs (MobileNet's depthwise layers, bottlenecks). It
// matters: on the cpu backend a pool reading what a 1x1 conv just wrote took about
// twice as long as one reading a 3x3 conv's output. BN and FC are left alone (the same graph
// as build_layer_graph): a conv before BN would absorb it when the graph is
// optimised, and an FC layer reads a flattened or FC output in models. The layer's
// node keeps the name layer_name(kind).
Graph build_layer_in_context(const LayerSpec& spec, uint64_t seed = 1);

// The values a sweep visits for `param` of this layer (the others at their defaults);
// `quick` keeps a few spread-out values.
std::vector<int64_t> sweep_grid(LayerKind kind, const std::string& param, bool quick);

// The crossed grid of a layer kind: channels x size (the quick grid's three values
// each), at stride 1 and 2 for convs and pooling, and at kernel 1 and 3 for conv; FC:
// f_in x f_out. Shapes a model combines (many channels on a small map, a stride-1
// pool) that varying one parameter at a time never reaches.
std::vector<LayerSpec> crossed_specs(LayerKind kind);

// Range [lo, hi] a crossover search explores for `param` of this layer. groups are
// not searched (most values do not divide the channels): Error(InvalidInput).
struct ParamRange {
  int64_t lo = 1, hi = 1;
};
ParamRange crossover_range(LayerKind kind, const std::string& param);
// The (layer, parameter) pairs `tandem crossover` studies for this layer kind.
std::vector<std::string> crossover_params(LayerKind kind);

}  // namespace tandem
