// The cuda backend beyond op results (those are in op_harness_test.cpp, which runs
// every op on cuda once a GPU is present): how it is listed and why it is unusable on
// machines without a GPU (these tests always run), and with a GPU: device info and
// transfer model, memory round trips, asynchronous copies ordered by events across
// lanes, out-of-memory errors that leave the device working, CUDA graph replay and
// re-capture with the same and with other buffers, runs without graphs, per-node
// times, TF32 accuracy and whole zoo models through Session against the cpu device.
// Tests that need a GPU are skipped with list_backends()' reason when there is none.
#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "backends/registry.h"
#include "op_test_util.h"
#include "tandem/error.h"
#include "tandem/session.h"

using namespace tandem;
using namespace tandem::test_util;

namespace {

using I = std::vector<int64_t>;

BackendStatus cuda_status() {
  for (const BackendStatus& s : list_backends())
    if (s.name == "cuda") return s;
  return {};
}

// ---- without a GPU (or built without CUDA): listed, and unusable with a reason ----

TEST(CudaBackend, IsListedWithADetail) {
  BackendStatus cuda = cuda_status();
  ASSERT_EQ(cuda.name, "cuda") << "list_backends() must always list cuda, built or not";
  EXPECT_FALSE(cuda.detail.empty());
  if (cuda.usable) {
    EXPECT_TRUE(cuda.built) << "a usable backend must be built";
  }
}

TEST(CudaBackend, UnusableDeviceIsInvalidInputSayingWhy) {
  BackendStatus cuda = cuda_status();
  if (cuda.usable) GTEST_SKIP() << "cuda is usable here (" << cuda.detail << ")";
  for (const std::string name : {"cuda", "cuda:0", "cuda:3"}) {
    try {
      create_device(name);
      FAIL() << "create_device(\"" << name << "\") succeeded although cuda is not usable";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
      EXPECT_NE(std::string(e.what()).find(name), std::string::npos) << "must name the device: " << e.what();
      EXPECT_NE(std::string(e.what()).find(cuda.detail), std::string::npos)
          << "must say why (\"" << cuda.detail << "\"): " << e.what();
    }
  }
}

TEST(CudaBackend, MalformedIndexIsInvalidInput) {
  for (const std::string name : {"cuda:", "cuda:x", "cuda:-1"}) {
    try {
      create_device(name);
      FAIL() << "create_device(\"" << name << "\") accepted a malformed name";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << name << ": " << e.what();
    }
  }
}

TEST(CudaBackend, SessionOnUnusableDeviceIsInvalidInput) {
  if (cuda_status().usable) GTEST_SKIP() << "cuda is usable here";
  try {
    Session::open("lenet5", SessionOptions{.device = "cuda"});
    FAIL() << "a session opened on an unusable cuda device";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
  }
}

// ---- with a GPU ----

// Device memory released when the test leaves scope (also on a failed assertion).
class DeviceBuffer {
 public:
  DeviceBuffer(Device& device, size_t bytes) : device_(device), ptr_(device.allocate(bytes)), bytes_(bytes) {}
  ~DeviceBuffer() { device_.release(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  Device& device_;
  void* ptr_;
  size_t bytes_;
};

// Pinned host memory from Device::allocate_host, released on scope exit.
class HostStaging {
 public:
  HostStaging(Device& device, size_t bytes) : device_(device), ptr_(device.allocate_host(bytes)) {}
  ~HostStaging() { device_.release_host(ptr_); }
  HostStaging(const HostStaging&) = delete;
  HostStaging& operator=(const HostStaging&) = delete;
  float* floats() const { return static_cast<float*>(ptr_); }

 private:
  Device& device_;
  void* ptr_;
};

// Skips the test, with list_backends()' reason, when no GPU is usable.
class CudaDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    BackendStatus cuda = cuda_status();
    if (!cuda.usable) GTEST_SKIP() << "cuda not usable: " << cuda.detail;
    device = create_device("cuda");
  }

  std::unique_ptr<Device> device;
};

// x: (2, 8, 12, 12) -> Conv 3x3 pad 1 (16) -> Relu -> MaxPool 2x2 -> Conv 3x3 pad 1 (16)
//   -> Add(pooled) -> Relu -> GlobalAveragePool -> Flatten -> Gemm transB -> y: (2, 10)
Graph conv_gemm_graph(GraphBuilder& b) {
  Attributes pad = attrs({{"pads", I{1, 1, 1, 1}}});
  int x = b.input("x", {2, 8, 12, 12});
  int c1 = b.node("Conv", {x, b.weights("w1", {16, 8, 3, 3}, 0.3f), b.weights("b1", {16}, 0.1f)}, pad);
  int p = b.node("MaxPool", {b.node("Relu", {c1})}, attrs({{"kernel_shape", I{2, 2}}, {"strides", I{2, 2}}}));
  int c2 = b.node("Conv", {p, b.weights("w2", {16, 16, 3, 3}, 0.2f), b.weights("b2", {16}, 0.1f)}, pad);
  int r = b.node("Relu", {b.node("Add", {c2, p})});
  int f = b.node("Flatten", {b.node("GlobalAveragePool", {r})});
  b.output(b.node("Gemm", {f, b.weights("wf", {10, 16}, 0.5f), b.weights("bf", {10}, 0.1f)},
                  attrs({{"transB", int64_t{1}}})));
  return b.finish();
}

double relative_error(const Tensor& got, const Tensor& want) {
  return max_abs_diff(got, want) / std::max(1.0, max_abs(want));
}

bool bitwise_equal(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

void upload(Device& device, const DeviceBuffer& dst, const Tensor& t) {
  ASSERT_EQ(dst.bytes(), t.nbytes());
  device.copy_from_host(dst.get(), t.raw(), t.nbytes());
}

// Waits for the queued work, then copies `src` into a new tensor of `shape`.
Tensor download(Device& device, const DeviceBuffer& src, DType dtype, const Shape& shape) {
  Tensor t(dtype, shape);
  device.synchronize();
  device.copy_to_host(t.raw(), src.get(), t.nbytes());
  device.synchronize();
  return t;
}

// One compiled single-input, single-output segment with two buffer sets.
struct CompiledGraph {
  CompiledGraph(Device& device, const Graph& g)
      : graph(g),
        segment(whole_graph_segment(graph)),
        exe(device.compile(segment)),
        in_a(device, bytes_of(segment.inputs.at(0))),
        out_a(device, bytes_of(segment.outputs.at(0))),
        in_b(device, bytes_of(segment.inputs.at(0))),
        out_b(device, bytes_of(segment.outputs.at(0))) {}

  size_t bytes_of(int value) const {
    const Value& v = graph.value(value);
    return static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype);
  }
  const Value& output() const { return graph.value(segment.outputs.at(0)); }

  Graph graph;
  Segment segment;
  std::unique_ptr<Executable> exe;
  DeviceBuffer in_a, out_a, in_b, out_b;
};

// Runs `c` on (in, out) and returns the output.
Tensor run_on(Device& device, CompiledGraph& c, const DeviceBuffer& in, const DeviceBuffer& out) {
  c.exe->run({in.get()}, {out.get()});
  return download(device, out, c.output().dtype, c.output().shape);
}

TEST_F(CudaDevice, InfoDescribesAnAsynchronousGpu) {
  const DeviceInfo& info = device->info();
  EXPECT_EQ(info.kind, DeviceKind::Gpu);
  EXPECT_EQ(info.name.rfind("cuda", 0), 0u) << info.name;
  EXPECT_FALSE(info.description.empty());
  EXPECT_TRUE(info.transfer.async);
  EXPECT_GE(info.transfer.copy_engines, 1);
  EXPECT_FALSE(info.transfer.streams.empty());
  EXPECT_EQ(create_device("cuda:0")->name(), "cuda:0");
}

TEST_F(CudaDevice, NonexistentOrdinalIsInvalidInput) {
  try {
    create_device("cuda:999");
    FAIL() << "cuda:999 was created";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput) << e.what();
  }
}

TEST_F(CudaDevice, CopiesRoundTrip) {
  std::mt19937 rng(3);
  Tensor x = random_tensor({1000, 257}, rng);
  DeviceBuffer d(*device, x.nbytes());
  upload(*device, d, x);
  Tensor back = download(*device, d, x.dtype(), x.shape());
  EXPECT_TRUE(bitwise_equal(back, x));
}

// Copy in on ToDevice, compute waits for it, copy out on ToHost waits for compute;
// the buffers are large enough that a missing wait reads stale or partial data, and
// every iteration feeds new values through the same pinned and device buffers.
TEST_F(CudaDevice, AsyncCopiesAreOrderedByEvents) {
  GraphBuilder b;
  b.output(b.node("Relu", {b.input("x", {8, 1024, 1024})}));  // 32 MiB each way
  Graph g = b.finish();
  CompiledGraph c(*device, g);
  const size_t bytes = c.bytes_of(g.inputs[0]);
  const size_t count = bytes / sizeof(float);
  HostStaging host_in(*device, bytes), host_out(*device, bytes);
  std::mt19937 rng(5);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  for (int iteration = 0; iteration < 3; ++iteration) {
    for (size_t i = 0; i < count; ++i) host_in.floats()[i] = uniform(rng);
    device->copy_from_host_async(c.in_a.get(), host_in.floats(), bytes, Lane::ToDevice);
    device->wait_for(device->record(Lane::ToDevice), Lane::Compute);
    c.exe->run({c.in_a.get()}, {c.out_a.get()});
    device->wait_for(device->record(Lane::Compute), Lane::ToHost);
    device->copy_to_host_async(host_out.floats(), c.out_a.get(), bytes, Lane::ToHost);
    std::shared_ptr<DeviceEvent> copied_out = device->record(Lane::ToHost);
    copied_out->wait();
    EXPECT_TRUE(copied_out->done());
    size_t wrong = 0;
    for (size_t i = 0; i < count; ++i) wrong += host_out.floats()[i] != std::max(host_in.floats()[i], 0.0f);
    EXPECT_EQ(wrong, 0u) << "iteration " << iteration << ": elements out of order";
  }
}

TEST_F(CudaDevice, ImpossibleAllocationIsADeviceErrorAndTheDeviceStillWorks) {
  try {
    void* p = device->allocate(size_t{1} << 50);
    device->release(p);
    FAIL() << "allocated 1 PiB";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::Device) << e.what();
    std::string message = e.what();
    EXPECT_NE(message.find(device->name()), std::string::npos) << "must name the device: " << message;
    EXPECT_NE(message.find("memory"), std::string::npos) << "must say it is about memory: " << message;
  }
  GraphBuilder b;
  Graph g = conv_gemm_graph(b);
  auto reference = create_device("reference");
  Tensor want = run_graph(*reference, g, b.feeds)[0];
  EXPECT_LE(relative_error(run_graph(*device, g, b.feeds)[0], want), 1e-4);
}

// Runs each of two buffer sets often enough to go through every stage of the graph
// policy (eager runs, capture, replay), changing the input's contents under the same
// pointers in between: every result must be the same bits as the first run's.
TEST_F(CudaDevice, RepeatedRunsOnSameAndOtherBuffersAreIdentical) {
  GraphBuilder b;
  Graph g = conv_gemm_graph(b);
  CompiledGraph c(*device, g);
  auto reference = create_device("reference");
  std::mt19937 rng(9);
  const int x_id = g.inputs[0];
  Tensor x1 = b.feeds.at(x_id), x2 = random_tensor(g.value(x_id).shape, rng);
  Tensor want1 = run_graph(*reference, g, {{x_id, x1}})[0];
  Tensor want2 = run_graph(*reference, g, {{x_id, x2}})[0];

  upload(*device, c.in_a, x1);
  Tensor y1 = run_on(*device, c, c.in_a, c.out_a);
  EXPECT_LE(relative_error(y1, want1), 1e-4);
  EXPECT_TRUE(bitwise_equal(run_on(*device, c, c.in_a, c.out_a), y1)) << "second run on the same buffers";

  upload(*device, c.in_b, x2);
  Tensor y2 = run_on(*device, c, c.in_b, c.out_b);
  EXPECT_LE(relative_error(y2, want2), 1e-4) << "other buffers";
  EXPECT_FALSE(bitwise_equal(y1, y2)) << "other input, same output: the run used stale buffers";

  upload(*device, c.in_a, x2);
  EXPECT_TRUE(bitwise_equal(run_on(*device, c, c.in_a, c.out_a), y2)) << "first buffers, new contents";
  EXPECT_TRUE(bitwise_equal(run_on(*device, c, c.in_b, c.out_b), y2)) << "back to the second buffers";
  upload(*device, c.in_b, x1);
  for (int run = 0; run < 2; ++run)
    EXPECT_TRUE(bitwise_equal(run_on(*device, c, c.in_b, c.out_b), y1)) << "second buffers, new contents, run " << run;
}

TEST_F(CudaDevice, RunsWithoutGraphsGiveTheSameResults) {
  GraphBuilder b;
  Graph g = conv_gemm_graph(b);
  DeviceOptions no_graphs;
  no_graphs.graphs = false;
  auto plain = create_device("cuda", no_graphs);
  CompiledGraph with(*device, g), without(*plain, g);
  Tensor x = b.feeds.at(g.inputs[0]);
  upload(*device, with.in_a, x);
  upload(*plain, without.in_a, x);
  Tensor y_graphs;
  for (int run = 0; run < 3; ++run) y_graphs = run_on(*device, with, with.in_a, with.out_a);  // through capture and replay
  Tensor y_plain = run_on(*plain, without, without.in_a, without.out_a);
  EXPECT_LE(relative_error(y_plain, y_graphs), 1e-4) << "each device searches its own convolution algorithms";
  EXPECT_TRUE(bitwise_equal(run_on(*plain, without, without.in_a, without.out_a), y_plain));
  upload(*plain, without.in_b, x);
  EXPECT_TRUE(bitwise_equal(run_on(*plain, without, without.in_b, without.out_b), y_plain));
}

TEST_F(CudaDevice, TimesEveryNode) {
  GraphBuilder b;
  Graph g = conv_gemm_graph(b);
  Segment segment = whole_graph_segment(g);
  auto exe = device->compile(segment);
  for (int run = 0; run < 2; ++run) {
    std::vector<NodeTime> times;
    run_segment(*device, *exe, segment, b.feeds, &times);
    ASSERT_EQ(times.size(), segment.nodes.size()) << "run " << run;
    double total = 0;
    for (size_t i = 0; i < times.size(); ++i) {
      EXPECT_EQ(times[i].node, segment.nodes[i]);
      EXPECT_GE(times[i].microseconds, 0);
      total += times[i].microseconds;
    }
    EXPECT_GT(total, 0) << "run " << run;
  }
  // Timing must not disturb the results of later untimed runs.
  auto reference = create_device("reference");
  Tensor want = run_graph(*reference, g, b.feeds)[0];
  EXPECT_LE(relative_error(run_segment(*device, *exe, segment, b.feeds)[0], want), 1e-4);
}

TEST_F(CudaDevice, Tf32StaysCloseToTheReference) {
  GraphBuilder b;
  Graph g = conv_gemm_graph(b);
  DeviceOptions tf32;
  tf32.tf32 = true;
  auto fast = create_device("cuda", tf32);
  auto reference = create_device("reference");
  Tensor want = run_graph(*reference, g, b.feeds)[0];
  EXPECT_LE(relative_error(run_graph(*fast, g, b.feeds)[0], want), 3e-3);
}

// A zoo model through Session on cuda (default, without graphs, with TF32) and on cpu.
void expect_session_matches_cpu(const std::string& model, int64_t batch) {
  SessionOptions on_cpu{.device = "cpu", .batch = batch};
  Session cpu = Session::open(model, on_cpu);
  std::mt19937 rng(17);
  Tensor x = random_tensor(cpu.inputs().at(0).shape, rng);
  Tensor want = cpu.run({x}).at(0);
  struct Variant {
    std::string name;
    bool tf32, graphs;
    double tolerance;
  };
  for (const Variant& v : {Variant{"strict", false, true, 1e-4}, Variant{"no graphs", false, false, 1e-4},
                           Variant{"tf32", true, true, 3e-3}}) {
    SessionOptions on_gpu{.device = "cuda", .batch = batch, .tf32 = v.tf32, .cuda_graphs = v.graphs};
    Session gpu = Session::open(model, on_gpu);
    EXPECT_EQ(gpu.device_name().rfind("cuda", 0), 0u) << gpu.device_name();
    for (int run = 0; run < 3; ++run)  // through capture and replay where graphs are on
      EXPECT_LE(relative_error(gpu.run({x}).at(0), want), v.tolerance) << model << " " << v.name << " run " << run;
  }
}

TEST_F(CudaDevice, SessionLenet5MatchesCpu) { expect_session_matches_cpu("lenet5", 3); }

TEST_F(CudaDevice, SessionResnet18MatchesCpu) { expect_session_matches_cpu("resnet18", 2); }

TEST_F(CudaDevice, SessionAlexnetLrnMatchesCpu) { expect_session_matches_cpu("alexnet_lrn", 1); }

}  // namespace
