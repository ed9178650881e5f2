// Every op on every usable backend other than the reference, against the reference
// device, over a grid of shapes and attributes (odd sizes, batch > 1, groups,
// depthwise, strides, pads, dilations, ceil_mode, count_include_pad, broadcasting,
// negative axes, fused activations, Gemm transposes/alpha/beta), plus small
// multi-node graphs for fusion and layout propagation. Each case builds its graph by
// hand with seeded random inputs; results must satisfy
//   max |backend - reference| <= tolerance * max(1, max |reference|)
// (tolerance 0 for ops that only move data). Multi-node cases also run split into
// two segments. Backends plug in through list_backends() with no change here.
#include <gtest/gtest.h>

#include <functional>
#include <limits>
#include <set>

#include "backends/registry.h"
#include "op_test_util.h"

using namespace tandem;
using namespace tandem::test_util;

namespace {

using I = std::vector<int64_t>;
constexpr double kFloat = 1e-4;  // accumulations in another order, approximated exp/tanh
constexpr double kExact = 0;     // data movement, max, relu

struct OpCase {
  std::string name;
  std::function<void(GraphBuilder&)> build;
  double tolerance = kFloat;
};

std::vector<OpCase>& cases() {
  static std::vector<OpCase> all;
  return all;
}

void add(const std::string& name, std::function<void(GraphBuilder&)> build, double tolerance = kFloat) {
  cases().push_back({name, std::move(build), tolerance});
}

// One node on random inputs of the given shapes (constants as given), one output.
void add_node(const std::string& name, const std::string& op, const std::vector<Shape>& inputs, Attributes a,
              double tolerance = kFloat) {
  add(name, [=](GraphBuilder& b) {
    std::vector<int> ids;
    for (size_t i = 0; i < inputs.size(); ++i) ids.push_back(b.input(std::string("x").append(std::to_string(i)), inputs[i]));
    b.output(b.node(op, ids, a));
  }, tolerance);
}

// ---- Conv ----

struct ConvSpec {
  std::string name;
  Shape x, w;
  Attributes a;
  bool bias = true;
};

void add_conv(const ConvSpec& s) {
  add("Conv_" + s.name, [s](GraphBuilder& b) {
    std::vector<int> in{b.input("x", s.x), b.weights("w", s.w, 0.5f)};
    if (s.bias) in.push_back(b.weights("b", {s.w[0]}));
    b.output(b.node("Conv", in, s.a));
  });
}

void add_conv_cases() {
  const std::vector<ConvSpec> specs = {
      {"basic_pad1", {1, 3, 7, 7}, {4, 3, 3, 3}, attrs({{"pads", I{1, 1, 1, 1}}})},
      {"batch2_odd_stride2_asym_pads", {2, 5, 9, 11}, {6, 5, 3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 0, 2, 1}}})},
      {"groups2", {1, 8, 10, 10}, {12, 4, 3, 3}, attrs({{"group", int64_t{2}}})},
      {"groups4_blocked", {2, 32, 9, 9}, {32, 8, 3, 3}, attrs({{"group", int64_t{4}}, {"pads", I{1, 1, 1, 1}}})},
      {"depthwise_stride2", {2, 16, 13, 13}, {16, 1, 3, 3},
       attrs({{"group", int64_t{16}}, {"pads", I{1, 1, 1, 1}}, {"strides", I{2, 2}}})},
      {"depthwise_odd_channels", {1, 5, 8, 8}, {5, 1, 3, 3}, attrs({{"group", int64_t{5}}, {"pads", I{1, 1, 1, 1}}})},
      {"dilation2", {1, 4, 15, 15}, {8, 4, 3, 3}, attrs({{"dilations", I{2, 2}}, {"pads", I{2, 2, 2, 2}}})},
      {"dilation_asym_stride", {2, 8, 16, 12}, {8, 8, 3, 3}, attrs({{"dilations", I{2, 1}}, {"strides", I{1, 2}}})},
      {"same_upper_even_kernel", {1, 3, 9, 9}, {4, 3, 4, 4}, attrs({{"auto_pad", std::string("SAME_UPPER")}, {"strides", I{2, 2}}})},
      {"same_lower", {1, 3, 10, 10}, {4, 3, 4, 4}, attrs({{"auto_pad", std::string("SAME_LOWER")}, {"strides", I{3, 3}}})},
      {"valid", {1, 3, 10, 10}, {4, 3, 3, 3}, attrs({{"auto_pad", std::string("VALID")}, {"strides", I{2, 2}}})},
      {"pointwise_64_to_32", {1, 64, 14, 14}, {32, 64, 1, 1}, {}},
      {"wide_32_to_64", {1, 32, 17, 17}, {64, 32, 3, 3}, attrs({{"pads", I{1, 1, 1, 1}}})},
      {"no_bias", {2, 3, 8, 8}, {5, 3, 3, 3}, {}, false},
      {"first_layer_k11_s4", {1, 3, 31, 31}, {16, 3, 11, 11}, attrs({{"strides", I{4, 4}}, {"pads", I{2, 2, 2, 2}}})},
      {"conv1d", {2, 3, 20}, {5, 3, 5}, attrs({{"strides", I{2}}, {"pads", I{1, 2}}})},
      {"conv3d", {1, 2, 6, 7, 8}, {4, 2, 3, 3, 3}, attrs({{"pads", I{1, 1, 1, 1, 1, 1}}})},
  };
  for (const ConvSpec& s : specs) add_conv(s);
  const std::vector<std::pair<std::string, Attributes>> activations = {
      {"relu", attrs({{"activation", std::string("Relu")}})},
      {"leaky_relu", attrs({{"activation", std::string("LeakyRelu")}, {"activation_alpha", 0.1f}})},
      {"clip_0_6", attrs({{"activation", std::string("Clip")}, {"activation_alpha", 0.0f}, {"activation_beta", 0.5f}})},
      {"clip_min_only", attrs({{"activation", std::string("Clip")}, {"activation_alpha", -0.2f}})},
      {"sigmoid", attrs({{"activation", std::string("Sigmoid")}})},
      {"tanh", attrs({{"activation", std::string("Tanh")}})},
  };
  for (const auto& [name, a] : activations) {
    Attributes with_pads = a;
    with_pads.set("pads", I{1, 1, 1, 1});
    add_conv({"fused_" + name, {1, 16, 9, 9}, {16, 16, 3, 3}, with_pads});
  }
}

// ---- pooling, LRN, BatchNormalization ----

void add_pool_cases() {
  auto k = [](I kernel, Attributes a = {}) {
    a.set("kernel_shape", kernel);
    return a;
  };
  add_node("MaxPool_k3_s2", "MaxPool", {{1, 8, 13, 13}}, k({3, 3}, attrs({{"strides", I{2, 2}}})), kExact);
  add_node("MaxPool_blocked_k2_s2", "MaxPool", {{2, 16, 12, 12}}, k({2, 2}, attrs({{"strides", I{2, 2}}})), kExact);
  add_node("MaxPool_pads_ceil", "MaxPool", {{2, 4, 10, 10}},
           k({3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}, {"ceil_mode", int64_t{1}}})), kExact);
  add_node("MaxPool_ceil_no_pads", "MaxPool", {{1, 3, 14, 14}}, k({3, 3}, attrs({{"strides", I{2, 2}}, {"ceil_mode", int64_t{1}}})), kExact);
  add_node("MaxPool_dilated", "MaxPool", {{1, 4, 11, 11}}, k({2, 2}, attrs({{"dilations", I{2, 2}}})), kExact);
  add_node("MaxPool_same_upper", "MaxPool", {{1, 3, 9, 9}},
           k({3, 3}, attrs({{"strides", I{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}})), kExact);
  add_node("MaxPool_1d", "MaxPool", {{2, 3, 17}}, k({3}, attrs({{"strides", I{2}}})), kExact);
  add_node("MaxPool_3d", "MaxPool", {{1, 2, 7, 8, 9}}, k({2, 2, 2}, attrs({{"strides", I{2, 2, 2}}})), kExact);
  for (int64_t order : {0, 1})
    add("MaxPool_indices_storage_order" + std::to_string(order), [=](GraphBuilder& b) {
      Attributes a = k({3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}, {"storage_order", order}}));
      auto outs = b.node_outputs("MaxPool", {b.input("x", {2, 3, 7, 8})}, a, {"y", "indices"});
      b.output(outs[0]);
      b.output(outs[1]);
    }, kExact);
  add_node("AveragePool_exclude_pad", "AveragePool", {{2, 5, 9, 9}}, k({3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}})));
  add_node("AveragePool_include_pad", "AveragePool", {{2, 5, 9, 9}},
           k({3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}, {"count_include_pad", int64_t{1}}})));
  add_node("AveragePool_ceil_exclude", "AveragePool", {{1, 4, 10, 10}}, k({3, 3}, attrs({{"strides", I{2, 2}}, {"ceil_mode", int64_t{1}}})));
  add_node("AveragePool_ceil_include_overhang", "AveragePool", {{1, 4, 10, 10}},
           k({3, 3}, attrs({{"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}, {"ceil_mode", int64_t{1}}, {"count_include_pad", int64_t{1}}})));
  add_node("AveragePool_blocked_k2", "AveragePool", {{1, 32, 8, 8}}, k({2, 2}, attrs({{"strides", I{2, 2}}})));
  add_node("AveragePool_1d", "AveragePool", {{2, 3, 11}}, k({4}, attrs({{"strides", I{3}}, {"pads", I{1, 1}}})));
  add_node("GlobalAveragePool", "GlobalAveragePool", {{2, 16, 7, 7}}, {});
  add_node("GlobalAveragePool_odd", "GlobalAveragePool", {{1, 3, 5, 6}}, {});
  add_node("GlobalAveragePool_1d", "GlobalAveragePool", {{2, 3, 9}}, {});
  add_node("GlobalMaxPool", "GlobalMaxPool", {{2, 16, 7, 7}}, {}, kExact);
  add_node("GlobalMaxPool_3d", "GlobalMaxPool", {{1, 3, 3, 4, 5}}, {}, kExact);

  auto lrn = [](int64_t size, float alpha, float bias) {
    return attrs({{"size", size}, {"alpha", alpha}, {"beta", 0.75f}, {"bias", bias}});
  };
  add_node("LRN_size5", "LRN", {{1, 16, 9, 9}}, lrn(5, 0.5f, 1.0f));
  add_node("LRN_size3_batch2", "LRN", {{2, 6, 5, 5}}, lrn(3, 0.9f, 2.0f));
  add_node("LRN_size4_even", "LRN", {{1, 7, 4, 4}}, lrn(4, 0.5f, 1.0f));
  for (const auto& [name, x] : std::vector<std::pair<std::string, Shape>>{
           {"4d", {2, 8, 5, 5}}, {"2d", {3, 6}}, {"5d", {1, 16, 3, 4, 5}}})
    add("BatchNormalization_" + name, [x = x](GraphBuilder& b) {
      Shape c{x[1]};
      int var = b.weights_between("var", c, 0.5f, 2.0f);
      b.output(b.node("BatchNormalization",
                      {b.input("x", x), b.weights("scale", c), b.weights("bias", c), b.weights("mean", c), var},
                      attrs({{"epsilon", 1e-3f}})));
    });
}

// ---- Gemm, MatMul ----

struct GemmSpec {
  std::string name;
  Shape a, b;
  std::optional<Shape> c;
  Attributes attrs;
  bool b_input = false, c_input = false;
};

void add_gemm_cases() {
  const std::vector<GemmSpec> specs = {
      {"basic", {3, 5}, {5, 4}, Shape{4}, {}},
      {"transA", {5, 3}, {5, 4}, Shape{4}, attrs({{"transA", int64_t{1}}})},
      {"transB", {3, 5}, {4, 5}, Shape{4}, attrs({{"transB", int64_t{1}}})},
      {"both_trans_alpha_beta", {5, 3}, {4, 5}, Shape{3, 4},
       attrs({{"transA", int64_t{1}}, {"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.0f}})},
      {"bias_column", {3, 5}, {5, 4}, Shape{3, 1}, {}},
      {"bias_scalar", {3, 5}, {5, 4}, Shape{}, attrs({{"beta", -1.5f}})},
      {"no_c_alpha", {2, 7}, {7, 3}, std::nullopt, attrs({{"alpha", 3.0f}})},
      {"beta0", {3, 5}, {5, 4}, Shape{4}, attrs({{"beta", 0.0f}})},
      {"b_input", {3, 5}, {5, 4}, Shape{4}, attrs({{"transB", int64_t{0}}}), true},
      {"b_input_transB_alpha", {3, 5}, {4, 5}, Shape{4}, attrs({{"transB", int64_t{1}}, {"alpha", 2.0f}}), true},
      {"c_input", {3, 5}, {5, 4}, Shape{3, 4}, {}, false, true},
      {"c_input_beta", {3, 5}, {5, 4}, Shape{4}, attrs({{"beta", 0.5f}}), false, true},
      {"fc_batch1", {1, 256}, {100, 256}, Shape{100}, attrs({{"transB", int64_t{1}}})},
      {"fc_batch4", {4, 300}, {300, 70}, Shape{70}, {}},
      {"fused_relu", {4, 16}, {16, 8}, Shape{8}, attrs({{"activation", std::string("Relu")}})},
      {"fused_leaky_relu", {4, 16}, {16, 8}, Shape{8}, attrs({{"activation", std::string("LeakyRelu")}, {"activation_alpha", 0.2f}})},
      {"fused_clip", {4, 16}, {16, 8}, Shape{8},
       attrs({{"activation", std::string("Clip")}, {"activation_alpha", -0.5f}, {"activation_beta", 0.5f}})},
      {"fused_sigmoid", {4, 16}, {16, 8}, Shape{8}, attrs({{"activation", std::string("Sigmoid")}})},
      {"fused_tanh", {4, 16}, {16, 8}, Shape{8}, attrs({{"activation", std::string("Tanh")}})},
  };
  for (const GemmSpec& s : specs)
    add("Gemm_" + s.name, [s](GraphBuilder& b) {
      std::vector<int> in{b.input("a", s.a), s.b_input ? b.input("b", s.b) : b.weights("b", s.b)};
      if (s.c) in.push_back(s.c_input ? b.input("c", *s.c) : b.weights("c", *s.c));
      b.output(b.node("Gemm", in, s.attrs));
    });

  const std::vector<std::tuple<std::string, Shape, Shape>> matmuls = {
      {"2d", {3, 4}, {4, 5}},          {"batched", {2, 3, 4}, {2, 4, 5}},   {"broadcast_b", {2, 3, 4, 5}, {5, 6}},
      {"broadcast_a", {4, 5}, {2, 5, 3}}, {"vector_left", {4}, {4, 5}},      {"vector_right", {3, 4}, {4}},
      {"batch_broadcast_both", {2, 1, 3, 4}, {1, 5, 4, 2}}, {"vector_dot", {7}, {7}},
  };
  for (const auto& [name, a, b_shape] : matmuls) add_node("MatMul_" + name, "MatMul", {a, b_shape}, {});
  add("MatMul_constant_b", [](GraphBuilder& b) { b.output(b.node("MatMul", {b.input("a", {5, 12}), b.weights("b", {12, 9})})); });
  add("MatMul_constant_b_batched", [](GraphBuilder& b) {
    b.output(b.node("MatMul", {b.input("a", {2, 5, 12}), b.weights("b", {12, 9})}));
  });
}

// ---- activations, softmax ----

void add_activation_cases() {
  for (const Shape& x : {Shape{2, 3, 4, 5}, Shape{7}}) {
    std::string suffix = "_rank" + std::to_string(x.size());
    add_node("Relu" + suffix, "Relu", {x}, {}, kExact);
    add_node("LeakyRelu" + suffix, "LeakyRelu", {x}, attrs({{"alpha", 0.2f}}));
    add_node("Sigmoid" + suffix, "Sigmoid", {x}, {});
    add_node("Tanh" + suffix, "Tanh", {x}, {});
  }
  add_node("LeakyRelu_default_alpha", "LeakyRelu", {{3, 4}}, {});
  auto clip = [](const std::string& name, std::optional<float> low, std::optional<float> high) {
    add("Clip_" + name, [=](GraphBuilder& b) {
      std::vector<int> in{b.input("x", {2, 3, 4, 5})};
      if (low || high) in.push_back(low ? b.scalar("min", *low) : kNoValue);
      if (high) in.push_back(b.scalar("max", *high));
      b.output(b.node("Clip", in));
    }, kExact);
  };
  clip("both", -0.3f, 0.4f);
  clip("min_only", -0.3f, std::nullopt);
  clip("max_only", std::nullopt, 0.25f);
  clip("unbounded", std::nullopt, std::nullopt);
  add("Clip_runtime_bounds", [](GraphBuilder& b) {
    b.output(b.node("Clip", {b.input("x", {3, 5}), b.input("min", {}, -0.5f, -0.4f), b.input("max", {}, 0.4f, 0.5f)}));
  }, kExact);
  add("Relu_blocked_after_conv", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 8, 6, 6}), b.weights("w", {16, 8, 1, 1})});
    b.output(b.node("Sigmoid", {b.node("Relu", {y})}));
  });
  add_node("Softmax_last_axis", "Softmax", {{2, 3, 10}}, {});
  add_node("Softmax_axis1", "Softmax", {{2, 5, 3, 3}}, attrs({{"axis", int64_t{1}}}));
  add_node("Softmax_axis0", "Softmax", {{4, 3}}, attrs({{"axis", int64_t{0}}}));
  add_node("Softmax_negative_axis", "Softmax", {{2, 4, 6}}, attrs({{"axis", int64_t{-2}}}));
}

// ---- elementwise with broadcasting ----

void add_binary_cases() {
  const std::vector<std::pair<std::string, std::pair<Shape, Shape>>> shapes = {
      {"same", {{2, 3, 4, 5}, {2, 3, 4, 5}}},      {"broadcast_last", {{2, 3, 4, 5}, {5}}},
      {"broadcast_channel", {{2, 3, 4, 5}, {3, 1, 1}}}, {"broadcast_scalar", {{2, 3, 4, 5}, {}}},
      {"broadcast_first", {{5}, {2, 3, 4, 5}}},     {"broadcast_both", {{3, 1}, {1, 4}}},
      {"broadcast_middle", {{2, 3, 4, 5}, {2, 1, 4, 1}}},
  };
  for (const std::string op : {"Add", "Sub", "Mul", "Div"})
    for (const auto& [name, ab] : shapes)
      add(op + "_" + name, [op = op, ab = ab](GraphBuilder& b) {
        float low = op == "Div" ? 0.5f : -1.0f;  // divisors away from zero
        b.output(b.node(op, {b.input("a", ab.first), b.input("b", ab.second, low, 2.0f)}));
      });
  add("Add_constant_bias", [](GraphBuilder& b) { b.output(b.node("Add", {b.input("x", {2, 16, 5, 5}), b.weights("c", {16, 1, 1})})); });
  add("Mul_same_input", [](GraphBuilder& b) {
    int x = b.input("x", {3, 4});
    b.output(b.node("Mul", {x, x}));
  });
  add("Add_int64", [](GraphBuilder& b) {
    int x = b.input_data("x", Tensor::from<int64_t>({2, 2}, {1, -2, 3, 4}));
    b.output(b.node("Add", {x, b.ints("c", {10, 20})}));
  }, kExact);
  add_node("Sum_three", "Sum", {{2, 3, 4}, {2, 3, 4}, {2, 3, 4}}, {});
  add_node("Sum_broadcast", "Sum", {{2, 3, 4}, {4}, {3, 1}}, {});
  add_node("Sum_single", "Sum", {{2, 3}}, {}, kExact);
}

// ---- shape and data movement ----

void add_movement_cases() {
  add_node("Concat_axis1", "Concat", {{2, 3, 4, 5}, {2, 5, 4, 5}, {2, 1, 4, 5}}, attrs({{"axis", int64_t{1}}}), kExact);
  add_node("Concat_negative_axis", "Concat", {{2, 3, 4}, {2, 3, 2}}, attrs({{"axis", int64_t{-1}}}), kExact);
  add_node("Concat_axis0", "Concat", {{1, 3}, {2, 3}}, attrs({{"axis", int64_t{0}}}), kExact);
  add("Concat_constant_input", [](GraphBuilder& b) {
    b.output(b.node("Concat", {b.input("x", {2, 3}), b.weights("c", {2, 2})}, attrs({{"axis", int64_t{1}}})));
  }, kExact);
  add("Concat_int64", [](GraphBuilder& b) {
    int x = b.input_data("x", Tensor::from<int64_t>({2}, {5, 6}));
    b.output(b.node("Concat", {x, b.ints("c", {1, 2, 3})}, attrs({{"axis", int64_t{0}}})));
  }, kExact);
  auto split = [](const std::string& name, Shape x, int64_t axis, std::optional<I> sizes, size_t outputs) {
    add("Split_" + name, [=](GraphBuilder& b) {
      std::vector<int> in{b.input("x", x)};
      if (sizes) in.push_back(b.ints("split", *sizes));
      std::vector<std::string> names;
      for (size_t i = 0; i < outputs; ++i) names.push_back(std::string("y").append(std::to_string(i)));
      for (int out : b.node_outputs("Split", in, attrs({{"axis", axis}}), names)) b.output(out);
    }, kExact);
  };
  split("equal_axis1", {2, 6, 3}, 1, std::nullopt, 3);
  split("sizes_negative_axis", {2, 3, 6}, -1, I{1, 2, 3}, 3);
  split("axis0", {4, 5}, 0, I{3, 1}, 2);
  auto slice = [](const std::string& name, Shape x, I starts, I ends, std::optional<I> axes, std::optional<I> steps) {
    add("Slice_" + name, [=](GraphBuilder& b) {
      std::vector<int> in{b.input("x", x), b.ints("starts", starts), b.ints("ends", ends)};
      if (axes || steps) in.push_back(axes ? b.ints("axes", *axes) : kNoValue);
      if (steps) in.push_back(b.ints("steps", *steps));
      b.output(b.node("Slice", in));
    }, kExact);
  };
  constexpr int64_t big = std::numeric_limits<int64_t>::max();
  slice("leading_axes", {4, 5, 6}, {1, 0}, {3, 5}, std::nullopt, std::nullopt);
  slice("axes_steps", {4, 5, 6}, {0, 1}, {4, 6}, I{0, 2}, I{2, 2});
  slice("negative_step", {4, 5, 6}, {-1}, {-big}, I{1}, I{-1});
  slice("negative_axes_clamped", {4, 5, 6}, {-3, 2}, {big, 100}, I{-1, -3}, std::nullopt);
  slice("negative_step_partial", {3, 8}, {6}, {1}, I{1}, I{-2});
  slice("empty", {3, 4}, {2}, {1}, I{1}, std::nullopt);
  add_node("Flatten_axis1", "Flatten", {{2, 3, 4, 5}}, attrs({{"axis", int64_t{1}}}), kExact);
  add_node("Flatten_axis0", "Flatten", {{2, 3, 4}}, attrs({{"axis", int64_t{0}}}), kExact);
  add_node("Flatten_negative_axis", "Flatten", {{2, 3, 4, 5}}, attrs({{"axis", int64_t{-1}}}), kExact);
  add("Reshape_zero_and_minus_one", [](GraphBuilder& b) {
    b.output(b.node("Reshape", {b.input("x", {2, 3, 4, 5}), b.ints("shape", {0, -1})}));
  }, kExact);
  add("Reshape_of_conv", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 4, 5, 5}), b.weights("w", {8, 4, 3, 3})});
    b.output(b.node("Reshape", {y, b.ints("shape", {8, 9})}));
  });
  add_node("Transpose_default", "Transpose", {{2, 3, 4}}, {}, kExact);
  add_node("Transpose_nchw_to_nhwc", "Transpose", {{2, 3, 4, 5}}, attrs({{"perm", I{0, 2, 3, 1}}}), kExact);
  add_node("Transpose_middle", "Transpose", {{3, 4, 5, 2}}, attrs({{"perm", I{0, 2, 1, 3}}}), kExact);
  add("Squeeze_axes", [](GraphBuilder& b) { b.output(b.node("Squeeze", {b.input("x", {2, 1, 3, 1}), b.ints("axes", {1, -1})})); }, kExact);
  add_node("Squeeze_all", "Squeeze", {{1, 3, 1, 2}}, {}, kExact);
  add("Unsqueeze_axes", [](GraphBuilder& b) { b.output(b.node("Unsqueeze", {b.input("x", {2, 3}), b.ints("axes", {0, -1})})); }, kExact);
  auto pad = [](const std::string& mode, I pads, std::optional<float> value) {
    add("Pad_" + mode + (value ? "_value" : "") + (pads[2] < 0 || pads[7] < 0 ? "_crop" : ""), [=](GraphBuilder& b) {
      std::vector<int> in{b.input("x", {2, 3, 4, 5}), b.ints("pads", pads)};
      if (value) in.push_back(b.scalar("value", *value));
      b.output(b.node("Pad", in, attrs({{"mode", mode}})));
    }, kExact);
  };
  pad("constant", {0, 0, 1, 2, 0, 0, 2, 1}, std::nullopt);
  pad("constant", {0, 1, 1, 2, 1, 0, 2, 1}, 0.5f);
  pad("constant", {0, 0, -1, 1, 0, 0, 1, -2}, 0.25f);
  pad("reflect", {0, 0, 2, 1, 0, 0, 1, 3}, std::nullopt);
  pad("edge", {0, 0, 2, 1, 0, 0, 1, 3}, std::nullopt);
  pad("wrap", {0, 0, 2, 1, 0, 0, 1, 3}, std::nullopt);
  add_node("Identity", "Identity", {{2, 3}}, {}, kExact);
  add_node("Dropout", "Dropout", {{2, 3}}, attrs({{"seed", int64_t{1}}}), kExact);
  add("Dropout_with_mask", [](GraphBuilder& b) {
    auto outs = b.node_outputs("Dropout", {b.input("x", {2, 3})}, {}, {"y", "mask"});
    b.output(outs[0]);
    b.output(outs[1]);
  }, kExact);
  add("Constant", [](GraphBuilder& b) {
    Attributes a;
    a.set("value", Tensor::from<float>({2, 2}, {1, 2, 3, 4}));
    b.output(b.node("Add", {b.input("x", {2, 2}), b.node("Constant", {}, a)}));
  });
  add_node("Shape", "Shape", {{2, 3, 4}}, {}, kExact);
  add_node("Shape_start_end", "Shape", {{2, 3, 4, 5}}, attrs({{"start", int64_t{1}}, {"end", int64_t{-1}}}), kExact);
  add("Gather_constant_indices", [](GraphBuilder& b) {
    b.output(b.node("Gather", {b.input("x", {5, 4, 3}), b.ints("i", {4, 0, -1})}));
  }, kExact);
  add("Gather_runtime_int64_axis1", [](GraphBuilder& b) {
    int i = b.input_data("i", Tensor::from<int64_t>({2, 2}, {0, 3, -1, 1}));
    b.output(b.node("Gather", {b.input("x", {2, 4, 3}), i}, attrs({{"axis", int64_t{1}}})));
  }, kExact);
  add("Gather_runtime_int32_last_axis", [](GraphBuilder& b) {
    int i = b.input_data("i", Tensor::from<int32_t>({3}, {2, -3, 0}));
    b.output(b.node("Gather", {b.input("x", {2, 4, 3}), i}, attrs({{"axis", int64_t{-1}}})));
  }, kExact);
  add_node("ReduceMean_spatial", "ReduceMean", {{2, 16, 5, 7}}, attrs({{"axes", I{2, 3}}, {"keepdims", int64_t{0}}}));
  add_node("ReduceMean_all", "ReduceMean", {{3, 4, 5}}, {});
  add_node("ReduceMax_last_keepdims", "ReduceMax", {{2, 3, 6}}, attrs({{"axes", I{-1}}}), kExact);
  add("ReduceSum_axes_input", [](GraphBuilder& b) {
    b.output(b.node("ReduceSum", {b.input("x", {2, 5, 3}), b.ints("axes", {1})}, attrs({{"keepdims", int64_t{0}}})));
  });
  add("ReduceMean_after_conv", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 4, 6, 6}), b.weights("w", {16, 4, 3, 3})});
    b.output(b.node("ReduceMean", {y}, attrs({{"axes", I{2, 3}}, {"keepdims", int64_t{0}}})));
  });
  add("ReduceSum_noop_empty_axes", [](GraphBuilder& b) {
    b.output(b.node("ReduceSum", {b.input("x", {3, 2, 2}), b.ints("axes", {})}, attrs({{"noop_with_empty_axes", int64_t{1}}})));
  }, kExact);
  add("Reshape_empty_tensor", [](GraphBuilder& b) {
    b.output(b.node("Reshape", {b.input("x", {0, 3, 4}), b.ints("shape", {3, 4, 0})}, attrs({{"allowzero", int64_t{1}}})));
  }, kExact);
  add_node("Cast_to_int64", "Cast", {{2, 3}}, attrs({{"to", int64_t{7}}}), kExact);
  add_node("Cast_to_float64", "Cast", {{2, 3}}, attrs({{"to", int64_t{11}}}), kExact);
}

// ---- stride-1 3x3 convolutions big enough for Winograd ----

void add_winograd_cases() {
  add_conv({"winograd_odd_sizes_batch2", {2, 8, 13, 11}, {16, 8, 3, 3}, attrs({{"pads", I{1, 1, 1, 1}}})});
  add_conv({"winograd_no_pads", {1, 16, 15, 14}, {8, 16, 3, 3}, {}, false});
  add_conv({"winograd_asymmetric_pads", {1, 8, 14, 13}, {24, 8, 3, 3}, attrs({{"pads", I{1, 0, 0, 2}}})});
  add_conv({"winograd_same_upper", {1, 8, 12, 12}, {8, 8, 3, 3}, attrs({{"auto_pad", std::string("SAME_UPPER")}})});
  const std::vector<std::pair<std::string, Attributes>> activations = {
      {"relu", attrs({{"activation", std::string("Relu")}})},
      {"leaky_relu", attrs({{"activation", std::string("LeakyRelu")}, {"activation_alpha", 0.1f}})},
      {"clip", attrs({{"activation", std::string("Clip")}, {"activation_alpha", -0.2f}, {"activation_beta", 0.3f}})},
      {"sigmoid", attrs({{"activation", std::string("Sigmoid")}})},
  };
  for (const auto& [name, a] : activations) {
    Attributes with_pads = a;
    with_pads.set("pads", I{1, 1, 1, 1});
    add_conv({"winograd_" + name, {1, 16, 12, 12}, {16, 16, 3, 3}, with_pads});
  }
  add("Graph_winograd_residual_add_relu", [](GraphBuilder& b) {
    int x = b.node("Relu", {b.input("x", {1, 16, 12, 12})});
    int c1 = b.node("Conv", {x, b.weights("w1", {16, 16, 3, 3}, 0.3f)}, attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}}));
    int c2 = b.node("Conv", {c1, b.weights("w2", {16, 16, 3, 3}, 0.3f), b.weights("b2", {16})}, attrs({{"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Clip", {b.node("Add", {c2, x}), b.scalar("lo", 0.0f), b.scalar("hi", 1.5f)}));
  });
}

// ---- nodes big enough to be split across the device's threads ----

void add_parallel_cases() {
  add_conv({"parallel_channels", {1, 16, 32, 32}, {64, 16, 3, 3}, attrs({{"pads", I{1, 1, 1, 1}}})});
  add_conv({"parallel_batch", {3, 8, 20, 20}, {24, 8, 3, 3}, attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}})});
  add_conv({"parallel_depthwise", {1, 40, 40, 40}, {40, 1, 3, 3}, attrs({{"group", int64_t{40}}, {"pads", I{1, 1, 1, 1}}})});
  add_conv({"parallel_groups3", {1, 24, 30, 30}, {36, 8, 3, 3}, attrs({{"group", int64_t{3}}, {"pads", I{1, 1, 1, 1}}})});
  add_conv({"parallel_padded_first_layer", {1, 3, 67, 67}, {20, 3, 11, 11}, attrs({{"strides", I{4, 4}}, {"pads", I{2, 2, 2, 2}}})});
  add("Gemm_parallel_columns", [](GraphBuilder& b) {
    b.output(b.node("Gemm", {b.input("a", {2, 512}), b.weights("b", {300, 512}), b.weights("c", {300})},
                    attrs({{"transB", int64_t{1}}, {"alpha", 0.5f}, {"beta", 2.0f}, {"activation", std::string("Relu")}})));
  });
  add("Gemm_parallel_columns_column_bias", [](GraphBuilder& b) {
    b.output(b.node("Gemm", {b.input("a", {3, 400}), b.weights("b", {400, 260}), b.weights("c", {3, 1})}));
  });
  add("Gemm_parallel_columns_full_bias", [](GraphBuilder& b) {
    b.output(b.node("Gemm", {b.input("a", {3, 400}), b.weights("b", {400, 260}), b.weights("c", {3, 260})}));
  });
  add_node("MaxPool_parallel", "MaxPool", {{1, 64, 56, 56}}, attrs({{"kernel_shape", I{3, 3}}, {"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}}), kExact);
  add_node("AveragePool_parallel", "AveragePool", {{2, 32, 30, 30}}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
  add("Graph_parallel_residual_concat", [](GraphBuilder& b) {
    Attributes same = attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}});
    int x = b.node("Relu", {b.input("x", {1, 32, 28, 28})});
    int c1 = b.node("Conv", {x, b.weights("w1", {32, 32, 3, 3}, 0.2f)}, same);
    int c2 = b.node("Conv", {c1, b.weights("w2", {32, 32, 3, 3}, 0.2f)}, attrs({{"pads", I{1, 1, 1, 1}}}));
    int r = b.node("Relu", {b.node("Add", {c2, x})});
    int e1 = b.node("Conv", {r, b.weights("e1", {48, 32, 1, 1}, 0.3f)}, attrs({{"activation", std::string("Relu")}}));
    int e3 = b.node("Conv", {r, b.weights("e3", {40, 32, 3, 3}, 0.2f)}, same);
    b.output(b.node("Concat", {e1, e3}, attrs({{"axis", int64_t{1}}})));
  });
}

// ---- multi-node graphs: fusion and layout propagation ----

void add_graph_cases() {
  add("Graph_conv_relu_pool_conv", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 3, 16, 16}), b.weights("w1", {16, 3, 3, 3}), b.weights("b1", {16})},
                   attrs({{"pads", I{1, 1, 1, 1}}}));
    y = b.node("MaxPool", {b.node("Relu", {y})}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{2, 2}}}));
    b.output(b.node("Conv", {y, b.weights("w2", {16, 16, 3, 3}, 0.3f), b.weights("b2", {16})}, attrs({{"pads", I{1, 1, 1, 1}}})));
  });
  // x -> c0 -> c1 -> c2; Add(c2, c0) -> Relu: c0 dies at the Add, so c2 accumulates into it.
  auto residual = [](bool downsample_first) {
    return [=](GraphBuilder& b) {
      Attributes same = attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}});
      int c0 = b.node("Conv", {b.input("x", {2, 16, 8, 8}), b.weights("w0", {16, 16, 3, 3}, 0.3f)}, same);
      int c1 = b.node("Conv", {c0, b.weights("w1", {16, 16, 3, 3}, 0.3f)}, same);
      int shortcut = c0;
      if (downsample_first) shortcut = b.node("Conv", {c0, b.weights("wd", {16, 16, 1, 1}, 0.3f)});
      int c2 = b.node("Conv", {c1, b.weights("w2", {16, 16, 3, 3}, 0.3f), b.weights("b2", {16})}, attrs({{"pads", I{1, 1, 1, 1}}}));
      if (!downsample_first) shortcut = b.node("Conv", {c0, b.weights("wd", {16, 16, 1, 1}, 0.3f)});
      b.output(b.node("Relu", {b.node("Add", {c2, shortcut})}));
    };
  };
  add("Graph_residual_add_relu", residual(false));
  add("Graph_residual_shortcut_first", residual(true));
  add("Graph_residual_identity", [](GraphBuilder& b) {
    int x = b.node("Relu", {b.input("x", {1, 8, 6, 6})});
    int c = b.node("Conv", {x, b.weights("w", {8, 8, 3, 3}, 0.3f)}, attrs({{"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Add", {x, c}));
  });
  add("Graph_concat_of_convs", [](GraphBuilder& b) {
    int x = b.input("x", {1, 8, 9, 9});
    int a = b.node("Conv", {x, b.weights("wa", {16, 8, 1, 1})}, attrs({{"activation", std::string("Relu")}}));
    int c = b.node("Conv", {x, b.weights("wc", {8, 8, 3, 3})}, attrs({{"pads", I{1, 1, 1, 1}}}));
    int p = b.node("MaxPool", {x}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Relu", {b.node("Concat", {a, c, p}, attrs({{"axis", int64_t{1}}}))}));
  });
  add("Graph_concat_plain_first_then_blocked", [](GraphBuilder& b) {
    int x = b.input("x", {1, 8, 9, 9});
    int p = b.node("MaxPool", {x}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
    int a = b.node("Conv", {x, b.weights("wa", {8, 8, 1, 1})});
    int c = b.node("Conv", {x, b.weights("wc", {5, 8, 3, 3})}, attrs({{"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Concat", {p, a, c}, attrs({{"axis", int64_t{-3}}})));
  });
  add("Graph_concat_batch2", [](GraphBuilder& b) {
    int x = b.input("x", {2, 8, 5, 5});
    int a = b.node("Conv", {x, b.weights("wa", {16, 8, 1, 1})});
    int c = b.node("Conv", {x, b.weights("wc", {8, 8, 3, 3})}, attrs({{"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Concat", {a, c}, attrs({{"axis", int64_t{1}}})));
  });
  // Channels-last producers (1x1 and 3x3 convs, a Winograd conv) write into strided
  // slices of the Concat's output at batch 2, at offsets off the 8-channel blocks; the
  // pool's output is copied in.
  add("Graph_concat_channels_last_slices", [](GraphBuilder& b) {
    int x = b.input("x", {2, 16, 12, 12});
    Attributes same = attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}});
    int a = b.node("Conv", {x, b.weights("wa", {12, 16, 1, 1}, 0.3f)}, attrs({{"activation", std::string("Relu")}}));
    int w = b.node("Conv", {x, b.weights("ww", {16, 16, 3, 3}, 0.3f), b.weights("bw", {16})}, same);
    int o = b.node("Conv", {x, b.weights("wo", {12, 16, 3, 3}, 0.3f)}, same);
    int p = b.node("MaxPool", {x}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
    int y = b.node("Concat", {a, w, o, p}, attrs({{"axis", int64_t{1}}}));
    b.output(b.node("Conv", {y, b.weights("wy", {8, 56, 1, 1}, 0.2f)}));
  });
  add("Graph_conv_pool_flatten_gemm_softmax", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {2, 3, 12, 12}), b.weights("w", {8, 3, 5, 5})}, attrs({{"activation", std::string("Relu")}}));
    y = b.node("MaxPool", {y}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{2, 2}}, {"ceil_mode", int64_t{1}}}));
    y = b.node("Flatten", {y}, attrs({{"axis", int64_t{1}}}));
    y = b.node("Gemm", {y, b.weights("fc", {10, 128}, 0.2f), b.weights("fb", {10})}, attrs({{"transB", int64_t{1}}}));
    b.output(b.node("Softmax", {y}));
  });
  // Channel counts off the 8-lane vectors: pools over channels-last inputs (AVX-512
  // convs) combine a partial vector at each position.
  add("Graph_conv_odd_channels_pools", [](GraphBuilder& b) {
    Attributes same = attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}});
    int y = b.node("Conv", {b.input("x", {2, 5, 13, 13}), b.weights("w1", {20, 5, 3, 3})}, same);
    y = b.node("MaxPool", {y}, attrs({{"kernel_shape", I{3, 3}}, {"strides", I{2, 2}}, {"ceil_mode", int64_t{1}}}));
    y = b.node("Conv", {y, b.weights("w2", {12, 20, 3, 3}, 0.3f)}, same);
    y = b.node("AveragePool", {y}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
    y = b.node("Flatten", {b.node("GlobalAveragePool", {y})}, attrs({{"axis", int64_t{1}}}));
    b.output(b.node("Gemm", {y, b.weights("fc", {6, 12}, 0.3f)}, attrs({{"transB", int64_t{1}}})));
  });
  add("Graph_blocked_value_is_also_output", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 8, 7, 7}), b.weights("w", {16, 8, 3, 3})});
    b.output(y);
    b.output(b.node("GlobalAveragePool", {b.node("Relu", {y})}));
  });
  add("Graph_lrn_bn_chain", [](GraphBuilder& b) {
    int y = b.node("Conv", {b.input("x", {1, 4, 8, 8}), b.weights("w", {16, 4, 3, 3})});
    y = b.node("LRN", {y}, attrs({{"size", int64_t{5}}, {"alpha", 0.3f}, {"beta", 0.75f}, {"bias", 1.0f}}));
    Shape c{16};
    int var = b.weights_between("var", c, 0.5f, 2.0f);
    y = b.node("BatchNormalization", {y, b.weights("s", c), b.weights("bb", c), b.weights("m", c), var});
    b.output(b.node("AveragePool", {y}, attrs({{"kernel_shape", I{3, 3}}, {"strides", I{2, 2}}, {"pads", I{1, 1, 1, 1}}})));
  });
  add("Graph_mobilenet_block", [](GraphBuilder& b) {
    Attributes relu6 = attrs({{"activation", std::string("Clip")}, {"activation_alpha", 0.0f}, {"activation_beta", 6.0f}});
    int x = b.input("x", {1, 16, 10, 10});
    int e = b.node("Conv", {x, b.weights("we", {48, 16, 1, 1}, 0.4f)}, relu6);
    Attributes dw = relu6;
    dw.set("group", int64_t{48});
    dw.set("pads", I{1, 1, 1, 1});
    int d = b.node("Conv", {e, b.weights("wd", {48, 1, 3, 3}, 0.4f)}, dw);
    int p = b.node("Conv", {d, b.weights("wp", {16, 48, 1, 1}, 0.3f)});
    b.output(b.node("Add", {x, p}));
  });
}

std::vector<OpCase>& all_cases() {
  if (cases().empty()) {
    add_conv_cases();
    add_pool_cases();
    add_gemm_cases();
    add_activation_cases();
    add_binary_cases();
    add_movement_cases();
    add_winograd_cases();
    add_parallel_cases();
    add_graph_cases();
  }
  return cases();
}

struct Built {
  Graph graph;
  std::map<int, Tensor> feeds;
};

Built build(const OpCase& c) {
  GraphBuilder b(static_cast<uint32_t>(std::hash<std::string>{}(c.name) & 0xffff));
  c.build(b);
  return {b.finish(), b.feeds};
}

std::vector<std::string> backends_under_test() {
  std::vector<std::string> names;
  for (const BackendStatus& s : list_backends())
    if (s.usable && s.name != "reference") names.push_back(s.name);
  return names;
}

void expect_close(const OpCase& c, const std::vector<Tensor>& got, const std::vector<Tensor>& want, const std::string& where) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    double bound = c.tolerance * std::max(1.0, max_abs(want[i]));
    EXPECT_LE(max_abs_diff(got[i], want[i]), bound) << where << ": output " << i << " " << shape_str(want[i].shape());
  }
}

class OpHarness : public ::testing::TestWithParam<std::tuple<std::string, size_t>> {};

TEST_P(OpHarness, MatchesReference) {
  const auto& [backend, index] = GetParam();
  const OpCase& c = all_cases()[index];
  Built built = build(c);
  auto reference = create_device("reference");
  auto device = create_device(backend);
  std::vector<Tensor> want = run_graph(*reference, built.graph, built.feeds);
  expect_close(c, run_graph(*device, built.graph, built.feeds), want, backend);
}

// Multi-node cases cut into two segments run one after the other: segment
// boundaries (dense row-major) in the middle of layout-propagating chains.
class OpHarnessSegments : public OpHarness {};

TEST_P(OpHarnessSegments, MatchesReferenceInTwoSegments) {
  const auto& [backend, index] = GetParam();
  const OpCase& c = all_cases()[index];
  Built built = build(c);
  const Graph& g = built.graph;
  auto device = create_device(backend);
  std::vector<int> first, second;
  for (size_t n = 0; n < g.nodes.size(); ++n) (n < g.nodes.size() / 2 ? first : second).push_back(static_cast<int>(n));
  std::map<int, Tensor> values = built.feeds;
  for (const auto& part : {first, second}) {
    Segment segment = make_segment(g, part);
    auto exe = device->compile(segment);
    std::vector<Tensor> outs = run_segment(*device, *exe, segment, values);
    for (size_t i = 0; i < outs.size(); ++i) values[segment.outputs[i]] = outs[i];
  }
  std::vector<Tensor> got;
  for (int id : g.outputs) got.push_back(values.at(id));
  auto reference = create_device("reference");
  expect_close(c, got, run_graph(*reference, g, built.feeds), backend + " in two segments");
}

std::vector<size_t> case_indices(size_t min_nodes) {
  std::vector<size_t> indices;
  for (size_t i = 0; i < all_cases().size(); ++i)
    if (build(all_cases()[i]).graph.nodes.size() >= min_nodes) indices.push_back(i);
  return indices;
}

std::string test_name(const ::testing::TestParamInfo<OpHarness::ParamType>& info) {
  std::string name = std::get<0>(info.param) + "_" + all_cases()[std::get<1>(info.param)].name;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(EveryOp, OpHarness,
                         ::testing::Combine(::testing::ValuesIn(backends_under_test()), ::testing::ValuesIn(case_indices(1))),
                         test_name);
INSTANTIATE_TEST_SUITE_P(MultiNode, OpHarnessSegments,
                         ::testing::Combine(::testing::ValuesIn(backends_under_test()), ::testing::ValuesIn(case_indices(2))),
                         test_name);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpHarness);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(OpHarnessSegments);

// Every op tandem implements appears in some case, and every backend under test
// claims to support it.
TEST(OpHarnessCoverage, EveryOpHasACaseAndEveryBackendSupportsIt) {
  std::vector<Built> graphs;
  for (const OpCase& c : all_cases()) graphs.push_back(build(c));
  std::set<std::string> covered;
  for (const Built& b : graphs)
    for (const Node& n : b.graph.nodes) covered.insert(n.op);
  for (const std::string& op : supported_op_types()) EXPECT_TRUE(covered.count(op)) << "no harness case runs " << op;
  for (const std::string& backend : backends_under_test()) {
    auto device = create_device(backend);
    for (const Built& b : graphs)
      for (const Node& n : b.graph.nodes) EXPECT_TRUE(device->supports(n, b.graph)) << backend << " does not support " << describe(n);
  }
}

}  // namespace
