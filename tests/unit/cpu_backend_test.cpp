// The cpu backend beyond op results (those are in op_harness_test.cpp): device names,
// description and threads, per-node times with fused nodes at 0 µs, planned memory
// reuse, re-binding caller buffers between runs, independent instances, empty tensors,
// and errors that name the device, op and node (or the value too large for memory).
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <stdexcept>
#include <thread>

#include "backends/cpu/cpu_device.h"
#include "backends/cpu/thread_pool.h"
#include "backends/registry.h"
#include "op_test_util.h"
#include "tandem/error.h"

using namespace tandem;
using namespace tandem::test_util;

namespace {

using I = std::vector<int64_t>;

// Every output of `g` on the cpu device with each thread count against the reference,
// within `tolerance` relative to the largest reference value (at least 1).
void expect_cpu_matches_reference(const Graph& g, const std::map<int, Tensor>& feeds, std::vector<int> thread_counts,
                                  double tolerance, const std::string& label = "") {
  std::vector<Tensor> want = run_graph(*create_device("reference"), g, feeds);
  for (int threads : thread_counts) {
    std::vector<Tensor> got = run_graph(*create_device("cpu", DeviceOptions{threads}), g, feeds);
    for (size_t i = 0; i < want.size(); ++i)
      EXPECT_LE(max_abs_diff(got[i], want[i]), tolerance * std::max(1.0, max_abs(want[i])))
          << label << threads << " threads, output " << i;
  }
}

// Runs `check` once per vector path of the backend's own kernels (TANDEM_CPU_MAX_ISA
// generic, avx2, avx512; a cap above this CPU's best runs its best), with the cap's
// name for labels.
void for_each_kernel_isa(const std::function<void(const std::string&)>& check) {
  for (const char* isa : {"generic", "avx2", "avx512"}) {
    SCOPED_TRACE(isa);
    ::setenv("TANDEM_CPU_MAX_ISA", isa, 1);
    check(std::string(isa) + ", ");
  }
  ::unsetenv("TANDEM_CPU_MAX_ISA");
}

// r = Relu(x) -> Conv -> Relu -> Conv -> Add(r) -> Relu: the second Relu, the Add
// (r dies there) and the last Relu fuse into the Convs.
Graph residual_block(GraphBuilder& b, int64_t channels = 16) {
  int r = b.node("Relu", {b.input("x", {1, channels, 8, 8})});
  Attributes pad = attrs({{"pads", I{1, 1, 1, 1}}});
  int c1 = b.node("Conv", {r, b.weights("w1", {channels, channels, 3, 3}, 0.3f)}, pad);
  int c2 = b.node("Conv", {b.node("Relu", {c1}), b.weights("w2", {channels, channels, 3, 3}, 0.3f)}, pad);
  b.output(b.node("Relu", {b.node("Add", {c2, r})}));
  return b.finish();
}

TEST(CpuDevice, NamesDescriptionAndThreads) {
  auto cpu = create_device("cpu", DeviceOptions{3});
  EXPECT_EQ(cpu->name(), "cpu");
  EXPECT_EQ(cpu->info().kind, DeviceKind::Host);
  EXPECT_EQ(cpu->info().threads, 3);
  EXPECT_EQ(cpu->info().description, cpu_model_name());
  EXPECT_FALSE(cpu_model_name().empty());
  EXPECT_EQ(create_device("cpu:2")->name(), "cpu:2");
  EXPECT_GE(create_device("cpu:0")->info().threads, 1);
  EXPECT_THROW(create_device("cpu", DeviceOptions{-1}), Error);
}

TEST(CpuDevice, TimesEveryNodeAndFusedNodesReportZero) {
  GraphBuilder b;
  Graph g = residual_block(b);
  auto cpu = create_device("cpu");
  Segment segment = whole_graph_segment(g);
  auto exe = cpu->compile(segment);
  std::vector<NodeTime> times;
  run_segment(*cpu, *exe, segment, b.feeds, &times);
  ASSERT_EQ(times.size(), g.nodes.size());
  for (size_t i = 0; i < times.size(); ++i) {
    const Node& node = g.nodes[static_cast<size_t>(times[i].node)];
    EXPECT_EQ(times[i].node, segment.nodes[i]);
    if (node.op == "Conv") {
      EXPECT_GT(times[i].microseconds, 0) << describe(node);
    }
    bool fusable = node.op == "Add" || (node.op == "Relu" && i > 0);
    if (fusable) {
      EXPECT_EQ(times[i].microseconds, 0) << describe(node) << " should be fused";
    }
  }
}

TEST(CpuDevice, ResidualFusionMatchesReference) {
  GraphBuilder b;
  Graph g = residual_block(b);
  auto cpu = create_device("cpu");
  auto reference = create_device("reference");
  std::vector<Tensor> want = run_graph(*reference, g, b.feeds);
  std::vector<Tensor> got = run_graph(*cpu, g, b.feeds);
  EXPECT_LE(max_abs_diff(got[0], want[0]), 1e-4 * std::max(1.0, max_abs(want[0])));
}

// A batch of 0 (a model input with a zero dimension) has nothing to compute: every
// node's output is empty and the run returns an empty result, as on the reference.
TEST(CpuDevice, EmptyBatchRunsAndGivesAnEmptyResult) {
  GraphBuilder b;
  Attributes pad = attrs({{"pads", I{1, 1, 1, 1}}});
  int conv = b.node("Conv", {b.input("x", {0, 8, 8, 8}), b.weights("w", {16, 8, 3, 3}, 0.3f)}, pad);
  int pool = b.node("MaxPool", {b.node("Relu", {conv})}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{2, 2}}}));
  b.output(b.node("GlobalAveragePool", {pool}));
  Graph g = b.finish();
  for (const char* name : {"cpu", "cpu:1"}) {
    std::vector<Tensor> got = run_graph(*create_device(name), g, b.feeds);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].shape(), (Shape{0, 16, 1, 1})) << name;
  }
}

// Empty inputs with outputs that are not empty run through the reference kernel:
// a product over K = 0 is all zeros, and a Concat takes nothing from an empty slice.
TEST(CpuDevice, EmptyInputsWithFullOutputsMatchReference) {
  GraphBuilder b;
  int x = b.input("x", {1, 8, 4, 4});
  int empty = b.node("Slice", {x, b.ints("starts", {8}), b.ints("ends", {8}), b.ints("axes", {1})});
  b.output(b.node("Concat", {b.node("Relu", {x}), empty}, attrs({{"axis", int64_t{1}}})));
  int a = b.node("Slice", {b.input("a", {3, 5}), b.ints("a0", {0}), b.ints("a1", {0}), b.ints("a2", {1})});
  b.output(b.node("MatMul", {a, b.weights("k", {0, 4})}));
  Graph g = b.finish();
  std::vector<Tensor> want = run_graph(*create_device("reference"), g, b.feeds);
  std::vector<Tensor> got = run_graph(*create_device("cpu"), g, b.feeds);
  ASSERT_EQ(got[0].shape(), (Shape{1, 8, 4, 4}));
  EXPECT_EQ(max_abs_diff(got[0], want[0]), 0.0);
  ASSERT_EQ(got[1].shape(), (Shape{3, 4}));
  EXPECT_EQ(max_abs_diff(got[1], want[1]), 0.0);
  EXPECT_EQ(max_abs(got[1]), 0.0);
}

// A value larger than the host's memory is refused by name before any kernel is
// prepared (oneDNN spent minutes preparing a convolution over 30 TB).
TEST(CpuDevice, ValueLargerThanMemoryIsADeviceErrorNamingIt) {
  GraphBuilder b;
  int huge = b.graph.add_value("huge", DType::f32, {1, 1 << 20, 1 << 20, 1 << 10});  // no feed: 4 PB
  b.graph.inputs.push_back(huge);
  b.output(b.node("Relu", {huge}));
  Graph g = b.finish();
  try {
    create_device("cpu")->compile(whole_graph_segment(g));
    FAIL() << "compiled a 4 PB value";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Device);
    EXPECT_NE(std::string(e.what()).find("value 'huge'"), std::string::npos) << e.what();
  }
}

// The own kernels reading 8-channel vectors (pooling, Winograd) in both layouts,
// whichever this machine's convolutions prefer, on each vector path: x plain ->
// MaxPool (reordered to the layout) -> Winograd conv + Add(pooled) -> AveragePool ->
// GlobalMaxPool.
TEST(CpuDevice, VectorKernelsMatchReferenceInBothLayouts) {
  for (const char* layout : {"blocked8", "channels-last"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    GraphBuilder b;
    int p = b.node("MaxPool", {b.input("x", {2, 16, 26, 26})}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{2, 2}}}));
    int c = b.node("Conv", {p, b.weights("w", {16, 16, 3, 3}, 0.3f), b.weights("b", {16})},
                   attrs({{"pads", I{1, 1, 1, 1}}, {"activation", std::string("Relu")}}));
    int a = b.node("AveragePool", {b.node("Add", {c, p})}, attrs({{"kernel_shape", I{3, 3}}, {"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("GlobalMaxPool", {a}));
    Graph g = b.finish();
    for_each_kernel_isa([&](const std::string& isa) {
      expect_cpu_matches_reference(g, b.feeds, {2}, 1e-4, isa + layout + ", ");
    });
  }
  ::setenv("TANDEM_CPU_VECTOR_LAYOUT", "sideways", 1);
  GraphBuilder b;
  b.output(b.node("MaxPool", {b.input("x", {1, 8, 4, 4})}, attrs({{"kernel_shape", I{2, 2}}})));
  Graph g = b.finish();
  EXPECT_THROW(create_device("cpu")->compile(whole_graph_segment(g)), Error);
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// Global pools with fewer rows than threads (one per image) split their channels across
// the threads in the channels-last layout: 100 channels are 12 whole vectors and 4
// lanes, cut unevenly by 3 and 5 threads; batch 2 on 5 threads splits each image.
TEST(CpuDevice, GlobalPoolsSplitChannelsAcrossThreadsMatchReference) {
  ::setenv("TANDEM_CPU_VECTOR_LAYOUT", "channels-last", 1);
  for (int64_t batch : {1, 2}) {
    GraphBuilder b;
    int x = b.input("x", {batch, 100, 20, 20});
    b.output(b.node("GlobalAveragePool", {x}));
    b.output(b.node("GlobalMaxPool", {x}));
    expect_cpu_matches_reference(b.finish(), b.feeds, {2, 3, 5}, 1e-5, "batch " + std::to_string(batch) + ", ");
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// LRN in each layout it is held in: after a pool (the vector layouts; 13 channels pad
// blocked8's second block), on a graph input (plain), with even and odd windows,
// powers other than 0.75, spatial ranks 1 and 3, a window far wider than the
// channels, on one and on three threads, on each vector path.
TEST(CpuDevice, LrnInEveryLayoutMatchesReference) {
  auto lrn = [](int64_t size, float beta) {
    return attrs({{"size", size}, {"alpha", 0.4f}, {"beta", beta}, {"bias", 1.5f}});
  };
  for (const char* layout : {"blocked8", "channels-last"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    GraphBuilder b;
    int x = b.input("x", {2, 13, 30, 31});
    int pooled = b.node("MaxPool", {x}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{1, 1}}}));
    b.output(b.node("LRN", {pooled}, lrn(5, 0.75f)));
    b.output(b.node("LRN", {x}, lrn(4, 0.6f)));
    b.output(b.node("LRN", {b.input("x3", {3, 20, 50})}, lrn(3, 1.0f)));
    b.output(b.node("LRN", {b.input("x5", {1, 9, 4, 5, 6})}, lrn(1, 0.75f)));
    b.output(b.node("LRN", {b.input("x6", {1, 9, 4, 5})}, lrn(int64_t{1} << 40, 0.75f)));  // window >> C
    Graph g = b.finish();
    for_each_kernel_isa([&](const std::string& isa) {
      expect_cpu_matches_reference(g, b.feeds, {1, 3}, 1e-5, isa + layout + ", ");
    });
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// BatchNormalization that is not folded into a conv, in each layout it is held in:
// after a pool (vector layouts; 13 channels pad blocked8's second block, in place as
// the pool's output dies), on a graph input (plain, also rank 2, kept for a second
// reader), with constant and runtime parameters, on one and on three threads.
TEST(CpuDevice, BatchNormInEveryLayoutMatchesReference) {
  auto params = [](GraphBuilder& b, const std::string& name, int64_t channels) {
    std::vector<int> p;
    for (const char* part : {"scale", "bias", "mean"}) p.push_back(b.weights(name + part, {channels}, 0.5f));
    p.push_back(b.weights_between(name + "var", {channels}, 0.1f, 2.0f));
    return p;
  };
  for (const char* layout : {"blocked8", "channels-last"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    GraphBuilder b;
    int x = b.input("x", {2, 13, 30, 31});
    int pooled = b.node("MaxPool", {x}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{1, 1}}}));
    std::vector<int> p = params(b, "a", 13);
    b.output(b.node("BatchNormalization", {pooled, p[0], p[1], p[2], p[3]}, attrs({{"epsilon", 1e-3f}})));
    b.output(b.node("BatchNormalization", {x, p[0], p[1], p[2], p[3]}));
    b.output(b.node("Relu", {x}));
    int runtime_scale = b.input("scale", {13});
    b.output(b.node("BatchNormalization", {b.node("Relu", {x}), runtime_scale, p[1], p[2], p[3]}));
    std::vector<int> q = params(b, "b", 20);
    b.output(b.node("BatchNormalization", {b.input("x2", {3, 20}), q[0], q[1], q[2], q[3]}));
    expect_cpu_matches_reference(b.finish(), b.feeds, {1, 3}, 1e-5, std::string(layout) + ", ");
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// Concat copies shared by the threads. Concats that are not in place (inputs read
// elsewhere too) run as one concat per slice of images: 5 images on 2 and 3 threads,
// inputs held plain (graph inputs) or in the vector layouts (pool outputs, 12 and 13
// channels), and a rank-2 concat. In-place Concats whose inputs were written
// elsewhere (pools; the Concat feeds a Relu) copy them by images, or by rows at
// batch 1.
TEST(CpuDevice, ConcatCopiesSplitAcrossThreadsMatchReference) {
  for (const char* layout : {"blocked8", "channels-last"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    for (int64_t batch : {1, 5}) {
      GraphBuilder b;
      int x = b.input("x", {batch, 12, 30, 30}), z = b.input("z", {batch, 13, 30, 30});
      b.output(b.node("Concat", {x, z}, attrs({{"axis", int64_t{1}}})));
      auto pool = [&](int v, int64_t k) { return b.node("MaxPool", {v}, attrs({{"kernel_shape", I{k, k}}})); };
      int px = pool(x, 2), pz = pool(z, 2);
      b.output(b.node("Concat", {px, pz, px}, attrs({{"axis", int64_t{1}}})));
      b.output(b.node("Relu", {pz}));
      b.output(b.node("Relu", {b.node("Concat", {pool(x, 3), pool(z, 3)}, attrs({{"axis", int64_t{1}}}))}));
      b.output(b.node("Concat", {b.input("f", {batch, 700}), b.input("g", {batch, 300})}, attrs({{"axis", int64_t{-1}}})));
      expect_cpu_matches_reference(b.finish(), b.feeds, {2, 3}, 0.0,
                                   std::string(layout) + ", batch " + std::to_string(batch) + ", ");
    }
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// Gemms with 4 to 24 rows and constant weights run on the small-batch kernel: row
// counts off the groups of 4 and 8, odd N (last groups of 1 or 2 columns), K off
// multiples of 8 and 16 and below 16, transB, alpha and beta, C per column or scalar,
// fused and standalone activations; with a full (M, N) C, or 25 rows, they stay on
// oneDNN. 1 and 3 threads, on every vector path this CPU has (TANDEM_CPU_MAX_ISA).
TEST(CpuDevice, SmallBatchGemmsMatchReference) {
  struct Case {
    int64_t m, k, n;
    bool trans_b;
    float alpha, beta;
    Shape c;  // {} : no C
    const char* activation;
  };
  const std::vector<Case> cases = {
      {4, 64, 10, false, 1.0f, 1.0f, {10}, "Relu"},   {5, 37, 9, true, 0.5f, 2.0f, {1, 9}, ""},
      {7, 100, 31, false, 1.0f, 1.0f, {}, "Clip"},    {13, 16, 2, true, 1.5f, 0.5f, {1}, "Relu"},
      {16, 300, 33, false, 1.0f, 1.0f, {16, 33}, ""}, {17, 50, 11, false, 1.0f, 1.0f, {11}, "Relu"},
      {21, 9, 8, true, 1.0f, 1.0f, {8}, ""},          {24, 130, 7, false, 1.0f, 1.0f, {}, "Relu"},
      {25, 50, 11, false, 1.0f, 1.0f, {11}, "Relu"},
  };
  for_each_kernel_isa([&](const std::string&) {
    for (const Case& k : cases) {
      SCOPED_TRACE("m " + std::to_string(k.m) + " k " + std::to_string(k.k) + " n " + std::to_string(k.n));
      GraphBuilder b;
      std::vector<int> inputs = {b.input("a", {k.m, k.k}),
                                 b.weights("w", k.trans_b ? Shape{k.n, k.k} : Shape{k.k, k.n})};
      if (!k.c.empty()) inputs.push_back(b.weights("c", k.c));
      int y = b.node("Gemm", inputs, attrs({{"transB", int64_t{k.trans_b}}, {"alpha", k.alpha}, {"beta", k.beta}}));
      if (std::string(k.activation) == "Clip")
        y = b.node("Clip", {y, b.scalar("lo", -0.2f), b.scalar("hi", 0.3f)});
      else if (*k.activation)
        y = b.node(k.activation, {y});
      b.output(y);
      expect_cpu_matches_reference(b.finish(), b.feeds, {1, 3}, 1e-4);
    }
  });
}

// A TANDEM_CPU_MAX_ISA this backend does not know is an error naming the variable.
TEST(CpuDevice, UnknownMaxIsaIsAnError) {
  ::setenv("TANDEM_CPU_MAX_ISA", "sse9", 1);
  GraphBuilder b;
  b.output(b.node("Gemm", {b.input("a", {8, 32}), b.weights("w", {32, 6})}));
  Graph g = b.finish();
  try {
    create_device("cpu")->compile(whole_graph_segment(g));
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("TANDEM_CPU_MAX_ISA is 'sse9'"), std::string::npos) << e.what();
  }
  ::unsetenv("TANDEM_CPU_MAX_ISA");
}

// Element-wise steps large enough to split across the threads run in flat ranges:
// standalone activations and same-shape binary ops in the plain layout and after a
// conv (vector layouts; 13 channels pad blocked8, which is not split), a broadcasting
// Add (not split), and Softmax over rows before its axis (axis 1 and the last; axis 0
// has one row). 1, 2 and 3 threads.
TEST(CpuDevice, ElementwiseAndSoftmaxSplitAcrossThreadsMatchReference) {
  for (const char* layout : {"blocked8", "channels-last"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    GraphBuilder b;
    int x = b.input("x", {3, 13, 41, 29});
    int y = b.input("y", {3, 13, 41, 29});
    b.output(b.node("Sigmoid", {x}));
    b.output(b.node("Relu", {b.node("Mul", {x, y})}));
    b.output(b.node("Add", {x, b.input("row", {29})}));
    int conv = b.node("Conv", {x, b.weights("w", {13, 13, 3, 3}, 0.2f)}, attrs({{"pads", I{1, 1, 1, 1}}}));
    b.output(b.node("Tanh", {conv}));
    b.output(b.node("Sub", {conv, b.node("Sigmoid", {conv})}));
    b.output(b.node("Softmax", {x}, attrs({{"axis", int64_t{1}}})));
    b.output(b.node("Softmax", {y}, attrs({{"axis", int64_t{-1}}})));
    b.output(b.node("Softmax", {b.input("z", {70, 1000})}, attrs({{"axis", int64_t{0}}})));
    expect_cpu_matches_reference(b.finish(), b.feeds, {1, 2, 3}, 1e-5, std::string(layout) + ", ");
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// MatMuls large enough to split run in parts along the output's first dim: rows of a
// 2-D product (B from another input, or constant and prepared per part's layout), the
// batch of a batched one (B per batch item, or broadcast), with a fused Relu; an A
// broadcast along the batch stays whole. 1, 2 and 3 threads.
TEST(CpuDevice, MatMulsSplitAcrossThreadsMatchReference) {
  GraphBuilder b;
  b.output(b.node("Relu", {b.node("MatMul", {b.input("a", {257, 300}), b.input("b", {300, 200})})}));
  b.output(b.node("MatMul", {b.input("a2", {91, 300}), b.weights("w", {300, 130}, 0.1f)}));
  b.output(b.node("MatMul", {b.input("a3", {7, 50, 40}), b.input("b3", {7, 40, 30})}));
  b.output(b.node("MatMul", {b.input("a4", {7, 50, 40}), b.input("b4", {40, 30})}));
  b.output(b.node("MatMul", {b.input("a5", {50, 40}), b.input("b5", {7, 40, 30})}));
  expect_cpu_matches_reference(b.finish(), b.feeds, {1, 2, 3}, 1e-4);
}

// Copies large enough to split their rows across the threads: a Transpose to
// channels last, a Slice with steps, a Split along the channels, a reflecting Pad
// (one side cropped), Gathers with constant and runtime indices. 1, 2 and 3 threads.
TEST(CpuDevice, CopiesSplitAcrossThreadsMatchReference) {
  GraphBuilder b;
  int x = b.input("x", {3, 13, 41, 29});
  b.output(b.node("Transpose", {x}, attrs({{"perm", I{0, 2, 3, 1}}})));
  b.output(b.node("Slice", {x, b.ints("starts", {0, 1, 0, 2}), b.ints("ends", {3, 12, 41, 29}),
                            b.ints("axes", {0, 1, 2, 3}), b.ints("steps", {1, 2, 1, 3})}));
  for (int piece : b.node_outputs("Split", {x, b.ints("split", {5, 8})}, attrs({{"axis", int64_t{1}}}), {"p", "q"}))
    b.output(piece);
  b.output(b.node("Pad", {x, b.ints("pads", {0, 1, 2, 3, 0, 2, -1, 1})}, attrs({{"mode", std::string("reflect")}})));
  b.output(b.node("Gather", {x, b.ints("rows", {12, 0, 5, 5, -1})}, attrs({{"axis", int64_t{1}}})));
  int picks = b.input_data("picks", Tensor::from<int64_t>({2, 3}, {40, 0, -2, 7, 7, 1}));
  b.output(b.node("Gather", {x, picks}, attrs({{"axis", int64_t{2}}})));
  expect_cpu_matches_reference(b.finish(), b.feeds, {1, 2, 3}, 0.0);
}

// Depthwise convolutions, in channels last (the own kernel: 16 lanes with AVX-512 when
// C is a multiple of 16, else 8 lanes; oneDNN without AVX2) and blocked by 8 (oneDNN),
// on each vector path: 3x3 and 5x5 (unrolled) and other sizes (general path), strides,
// asymmetric pads, dilations, a filter wider than the input, fused Relu, Clip (its
// lower bound above 0), LeakyRelu and residual Add, no bias, an output that is a
// Concat's slice, C not a multiple of 8 (oneDNN), batch 1 and 2, 1 and 3 threads.
TEST(CpuDevice, DepthwiseConvsMatchReference) {
  struct Case {
    int64_t channels, h, w;
    I kernel, pads, strides, dilations;
  };
  const std::vector<Case> cases = {
      {16, 13, 11, {3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}}, {24, 12, 15, {3, 3}, {0, 1, 1, 0}, {2, 2}, {1, 1}},
      {32, 9, 9, {5, 5}, {2, 2, 2, 2}, {1, 1}, {1, 1}},   {8, 10, 13, {3, 5}, {1, 2, 2, 1}, {1, 2}, {2, 2}},
      {16, 5, 5, {7, 7}, {3, 3, 3, 3}, {1, 1}, {1, 1}},   {12, 8, 8, {3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}},
  };
  for (const char* layout : {"channels-last", "blocked8"}) {
    ::setenv("TANDEM_CPU_VECTOR_LAYOUT", layout, 1);
    for (int64_t batch : {1, 2})
      for (const Case& k : cases) {
        SCOPED_TRACE(std::string(layout) + " batch " + std::to_string(batch) + " C " + std::to_string(k.channels) +
                     " kernel " + std::to_string(k.kernel[0]) + "x" + std::to_string(k.kernel[1]));
        GraphBuilder b;
        const int64_t c = k.channels;
        int x = b.input("x", {batch, c, k.h, k.w});
        auto depthwise = [&](const std::string& name, int input, bool bias) {
          std::vector<int> in = {input, b.weights(name + "w", {c, 1, k.kernel[0], k.kernel[1]}, 0.5f)};
          if (bias) in.push_back(b.weights(name + "b", {c}));
          return b.node("Conv", in, attrs({{"group", c}, {"kernel_shape", k.kernel}, {"pads", k.pads},
                                           {"strides", k.strides}, {"dilations", k.dilations}}));
        };
        int relu6 = b.node("Clip", {depthwise("a", x, true), b.scalar("lo", 0.1f), b.scalar("hi", 0.6f)});
        b.output(relu6);
        b.output(b.node("LeakyRelu", {depthwise("l", x, false)}, attrs({{"alpha", 0.2f}})));
        int other = b.node("Relu", {depthwise("r", x, true)});
        b.output(b.node("Concat", {other, depthwise("s", x, true)}, attrs({{"axis", int64_t{1}}})));
        auto same_size = [&](const std::string& name, int input) {  // 3x3, pads 1
          return b.node("Conv", {input, b.weights(name, {c, 1, 3, 3}, 0.5f)}, attrs({{"group", c}, {"pads", I{1, 1, 1, 1}}}));
        };
        int r = b.node("Sigmoid", {x});
        int block = same_size("s2", same_size("s1", r));
        b.output(b.node("Relu", {b.node("Add", {block, r})}));  // the last reader of r: fused as a residual
        Graph g = b.finish();
        for_each_kernel_isa([&](const std::string& isa) {
          expect_cpu_matches_reference(g, b.feeds, {1, 3}, 1e-5, isa);
        });
      }
  }
  ::unsetenv("TANDEM_CPU_VECTOR_LAYOUT");
}

// Batch-1 convolutions large enough to split across threads: by output channels, or
// (channels last, oneDNN's AVX-512 layout) by output rows, each part with its own
// padding at the top and bottom; strides, dilations, groups, odd sizes and a fused
// residual Add. 3 threads on 37 output rows give uneven parts.
TEST(CpuDevice, ConvsSplitAcrossThreadsMatchReference) {
  struct Case {
    I w, pads, strides, dilations;
    int64_t group;
  };
  const std::vector<Case> cases = {
      {{12, 12, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}, 1},  // 12 channels: not Winograd
      {{16, 12, 3, 3}, {1, 1, 2, 2}, {2, 2}, {1, 1}, 1},
      {{16, 12, 5, 5}, {4, 4, 4, 4}, {1, 1}, {2, 2}, 1},
      {{16, 12, 7, 7}, {3, 3, 3, 3}, {2, 2}, {1, 1}, 1},
      {{24, 12, 1, 1}, {0, 0, 0, 0}, {1, 1}, {1, 1}, 1},
      {{16, 12, 1, 1}, {0, 0, 0, 0}, {2, 2}, {1, 1}, 1},
      {{16, 3, 3, 3}, {1, 1, 1, 1}, {1, 1}, {1, 1}, 4},
  };
  for (const Case& k : cases) {
    SCOPED_TRACE(shape_str(k.w) + " stride " + std::to_string(k.strides[0]) + " group " + std::to_string(k.group));
    GraphBuilder b;
    int x = b.input("x", {1, 12, 37, 37});
    Attributes a = attrs({{"pads", k.pads}, {"strides", k.strides}, {"dilations", k.dilations}, {"group", k.group}});
    int c = b.node("Conv", {x, b.weights("w", k.w, 0.3f), b.weights("b", {k.w[0]})}, a);
    int residual = b.node("Conv", {x, b.weights("r", {k.w[0], 12, 1, 1}, 0.3f)}, attrs({{"strides", k.strides}}));
    b.output(b.node("Relu", {b.node("Add", {c, residual})}));
    Graph g = b.finish();
    std::vector<Tensor> want = run_graph(*create_device("reference"), g, b.feeds);
    for (int threads : {2, 3}) {
      std::vector<Tensor> got = run_graph(*create_device("cpu", DeviceOptions{threads}), g, b.feeds);
      EXPECT_LE(max_abs_diff(got[0], want[0]), 1e-4 * std::max(1.0, max_abs(want[0]))) << threads << " threads";
    }
  }
}

// A chain of `layers` 3x3 convs (8 channels, 32x32): compiled workspace in bytes.
size_t chain_workspace(int layers) {
  GraphBuilder b;
  int y = b.input("x", {1, 8, 32, 32});
  for (int i = 0; i < layers; ++i) {
    std::string weights = "w";
    weights += std::to_string(i);  // not "w" + ...: GCC 12 warns falsely (-Wrestrict) there
    y = b.node("Conv", {y, b.weights(weights, {8, 8, 3, 3}, 0.3f)}, attrs({{"pads", I{1, 1, 1, 1}}}));
  }
  b.output(y);
  Graph g = b.finish();
  return create_device("cpu")->compile(whole_graph_segment(g))->workspace_bytes();
}

TEST(CpuDevice, IntermediatesShareTheArena) {
  // Eight more layers add their weights, not their activations and scratch.
  size_t activation = 8 * 32 * 32 * sizeof(float);
  EXPECT_LT(chain_workspace(16) - chain_workspace(8), 8 * activation / 2) << "dead intermediates must be reused";
}

TEST(CpuDevice, RebindsCallerBuffersOnEveryRun) {
  GraphBuilder b;
  Graph g = residual_block(b, 8);
  auto cpu = create_device("cpu");
  auto reference = create_device("reference");
  Segment segment = whole_graph_segment(g);
  auto exe = cpu->compile(segment);
  std::mt19937 rng(11);
  for (int run = 0; run < 3; ++run) {
    std::map<int, Tensor> feeds{{g.inputs[0], random_tensor(g.value(g.inputs[0]).shape, rng)}};
    std::vector<Tensor> got = run_segment(*cpu, *exe, segment, feeds);
    std::vector<Tensor> want = run_graph(*reference, g, feeds);
    EXPECT_LE(max_abs_diff(got[0], want[0]), 1e-4 * std::max(1.0, max_abs(want[0]))) << "run " << run;
  }
}

TEST(CpuDevice, IndependentInstancesWithOwnThreadCounts) {
  GraphBuilder b;
  Graph g = residual_block(b, 32);
  auto one = create_device("cpu:0", DeviceOptions{1});
  auto two = create_device("cpu:1", DeviceOptions{2});
  std::vector<Tensor> a = run_graph(*one, g, b.feeds);
  std::vector<Tensor> c = run_graph(*two, g, b.feeds);
  EXPECT_LE(max_abs_diff(a[0], c[0]), 1e-5 * std::max(1.0, max_abs(a[0])));
}

TEST(CpuThreadPool, RunsEveryTaskExactlyOncePerRun) {
  for (int threads : {1, 2, 4}) {
    cpu::ThreadPool pool(threads);
    EXPECT_EQ(pool.threads(), threads);
    for (int run = 0; run < 2000; ++run) {
      int count = 1 + run % 7;
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      pool.run(count, [&](int i) { hits[static_cast<size_t>(i)].fetch_add(1); });
      for (int i = 0; i < count; ++i) ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << threads << " threads, run " << run;
    }
  }
}

TEST(CpuThreadPool, FinishesWhenWorkersAreSlowToWake) {
  cpu::ThreadPool pool(3);
  std::atomic<int> sum{0};
  for (int run = 0; run < 50; ++run) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));  // workers go to sleep
    pool.run(5, [&](int i) { sum.fetch_add(i); });
  }
  EXPECT_EQ(sum.load(), 50 * 10);
}

TEST(CpuThreadPool, RethrowsATaskExceptionOnTheCaller) {
  cpu::ThreadPool pool(2);
  for (int failing = 0; failing < 4; ++failing) {
    std::atomic<int> ran{0};
    EXPECT_THROW(pool.run(4, [&](int i) {
      ran.fetch_add(1);
      if (i == failing) throw std::runtime_error("task failed");
    }), std::runtime_error);
    EXPECT_EQ(ran.load(), 4);
  }
  std::atomic<int> after{0};
  pool.run(3, [&](int) { after.fetch_add(1); });
  EXPECT_EQ(after.load(), 3);
}

TEST(CpuDevice, UnknownOpIsUnsupportedNamingTheNode) {
  GraphBuilder b;
  int x = b.input("x", {2, 2});
  b.output(b.node("Relu", {x}));
  Graph g = b.finish();
  g.nodes[0].op = "Frobnicate";
  auto cpu = create_device("cpu");
  EXPECT_FALSE(cpu->supports(g.nodes[0], g));
  try {
    cpu->compile(whole_graph_segment(g));
    FAIL() << "compile accepted an unknown op";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Unsupported);
    EXPECT_NE(std::string(e.what()).find(g.nodes[0].name), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("cpu"), std::string::npos) << e.what();
  }
}

TEST(CpuDevice, WrongBufferCountIsAnError) {
  GraphBuilder b;
  b.output(b.node("Relu", {b.input("x", {2, 2})}));
  Graph g = b.finish();
  auto exe = create_device("cpu")->compile(whole_graph_segment(g));
  float out[4];
  EXPECT_THROW(exe->run({}, {out}), Error);
}

TEST(CpuDevice, GatherOutOfRangeRuntimeIndexIsInvalidInput) {
  GraphBuilder b;
  int i = b.input_data("i", Tensor::from<int64_t>({1}, {0}));
  b.output(b.node("Gather", {b.input("x", {3, 2}), i}));
  Graph g = b.finish();
  auto cpu = create_device("cpu");
  std::map<int, Tensor> feeds = b.feeds;
  feeds[i] = Tensor::from<int64_t>({1}, {7});
  try {
    run_graph(*cpu, g, feeds);
    FAIL() << "an out-of-range index was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find("Gather"), std::string::npos) << e.what();
  }
}

}  // namespace
