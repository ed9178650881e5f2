// ONNX import and export: round trips, onnx's checker, bad files (empty, garbage,
// every truncation, a missing initializer, an unsupported op or opset) and the legacy
// op forms of old opsets, run against numpy results written by Debian's python3.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "backends/device.h"
#include "backends/registry.h"
#include "ir/onnx_io.h"
#include "ir/prepare.h"
#include "tandem/error.h"

using namespace tandem;
namespace fs = std::filesystem;

namespace {

Tensor ramp(Shape shape, float scale) {
  Tensor t(DType::f32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = scale * static_cast<float>((i * 7) % 11 - 5);
  return t;
}

// x (N, 2, 5, 5) -> Conv 3x3 pad 1 -> Relu -> Flatten -> Gemm (4 outputs) -> y (N, 4)
Graph small_cnn() {
  Graph g;
  g.name = "small_cnn";
  int x = g.add_value("x", DType::f32, {1, 2, 5, 5});
  g.inputs = {x};
  int conv = g.add_value("conv_out"), relu = g.add_value("relu_out"), flat = g.add_value("flat"), y = g.add_value("y");
  Attributes conv_attrs;
  conv_attrs.set("pads", std::vector<int64_t>{1, 1, 1, 1});
  conv_attrs.set("kernel_shape", std::vector<int64_t>{3, 3});
  g.nodes.push_back(
      {"conv",
       "Conv",
       {x, g.add_constant("conv_weight", ramp({3, 2, 3, 3}, 0.1f)), g.add_constant("conv_bias", ramp({3}, 0.2f))},
       {conv},
       conv_attrs});
  g.nodes.push_back({"act", "Relu", {conv}, {relu}, {}});
  g.nodes.push_back({"flatten", "Flatten", {relu}, {flat}, {}});
  Attributes gemm_attrs;
  gemm_attrs.set("transB", int64_t{1});
  g.nodes.push_back(
      {"fc",
       "Gemm",
       {flat, g.add_constant("fc_weight", ramp({4, 75}, 0.01f)), g.add_constant("fc_bias", ramp({4}, 0.3f))},
       {y},
       gemm_attrs});
  g.outputs = {y};
  return g;
}

// Runs a prepared graph on the reference device; outputs in graph output order.
std::vector<Tensor> run_on_reference(const Graph& g, const std::vector<Tensor>& inputs) {
  auto device = create_device("reference");
  Segment segment = whole_graph_segment(g);
  auto executable = device->compile(segment);
  std::vector<const void*> in;
  for (int id : segment.inputs)
    for (size_t i = 0; i < g.inputs.size(); ++i)
      if (g.inputs[i] == id) in.push_back(inputs.at(i).raw());
  std::vector<Tensor> outputs;
  std::vector<void*> out;
  for (int id : g.outputs) outputs.emplace_back(g.value(id).dtype, g.value(id).shape);
  for (int id : segment.outputs)
    for (size_t i = 0; i < g.outputs.size(); ++i)
      if (g.outputs[i] == id) out.push_back(outputs[i].raw());
  executable->run(in, out);
  for (size_t i = 0; i < g.outputs.size(); ++i)
    if (g.value(g.outputs[i]).is_constant()) outputs[i] = *g.value(g.outputs[i]).data;
  return outputs;
}

void expect_close(const Tensor& got, const Tensor& want, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), want.dtype()) << what;
  std::vector<float> g = got.to_floats(), w = want.to_floats();
  for (size_t i = 0; i < g.size(); ++i)
    ASSERT_NEAR(g[i], w[i], 1e-5 + 1e-4 * std::fabs(w[i])) << what << " element " << i;
}

// Replaces the last occurrence of `from` by `to` (same length) in protobuf bytes.
std::string patch_last(std::string bytes, const std::string& from, const std::string& to) {
  size_t at = bytes.rfind(from);
  EXPECT_NE(at, std::string::npos) << from;
  EXPECT_EQ(from.size(), to.size());
  if (at != std::string::npos) bytes.replace(at, from.size(), to);
  return bytes;
}

template <class F>
Error expect_error(F&& f, ErrorKind kind) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), kind) << e.what();
    return e;
  }
  ADD_FAILURE() << "no error thrown";
  return Error(ErrorKind::Internal, "");
}

// A fresh folder under the system temp dir, removed with this object.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& name)
      : path_(fs::temp_directory_path() / ("tandem_onnx_test_" + name + "_" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

TEST(OnnxExport, RoundTripKeepsNodesWeightsAndSymbolicBatch) {
  Graph original = small_cnn();
  Graph back = import_onnx_bytes(export_onnx_bytes(original), "round trip");
  ASSERT_EQ(back.nodes.size(), original.nodes.size());
  for (size_t i = 0; i < back.nodes.size(); ++i) {
    EXPECT_EQ(back.nodes[i].op, original.nodes[i].op);
    EXPECT_EQ(back.nodes[i].name, original.nodes[i].name);
  }
  ASSERT_EQ(back.inputs.size(), 1u);
  EXPECT_EQ(back.value(back.inputs[0]).shape, (Shape{-1, 2, 5, 5}));
  EXPECT_EQ(back.value(back.outputs.at(0)).name, "y");
  const Value& weight = back.value(back.find_value("conv_weight"));
  ASSERT_TRUE(weight.is_constant());
  EXPECT_EQ(weight.data->to_floats(), original.value(original.find_value("conv_weight")).data->to_floats());
  EXPECT_EQ(back.nodes[0].attrs.get_ints("pads"), (std::vector<int64_t>{1, 1, 1, 1}));
  EXPECT_EQ(back.nodes[3].attrs.get_int("transB", 0), 1);
}

TEST(OnnxExport, RoundTripComputesTheSameAtAnyBatch) {
  Graph original = small_cnn(), back = import_onnx_bytes(export_onnx_bytes(small_cnn()), "round trip");
  PrepareOptions options;
  options.batch = 3;
  options.optimize = false;
  prepare_graph(original, options);
  prepare_graph(back, options);
  Tensor x = ramp({3, 2, 5, 5}, 0.5f);
  expect_close(run_on_reference(back, {x})[0], run_on_reference(original, {x})[0], "y");
}

TEST(OnnxExport, PassesPythonOnnxChecker) {
  ScratchDir dir("checker");
  fs::path file = dir.path() / "small.onnx";
  export_onnx_file(small_cnn(), file.string());
  std::string command =
      "/usr/bin/python3 -c \"import onnx, sys; m = onnx.load(sys.argv[1]); "
      "onnx.checker.check_model(m, full_check=True); "
      "assert m.graph.input[0].type.tensor_type.shape.dim[0].dim_param == 'N'\" " +
      file.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << "onnx.checker rejected " << file;
}

TEST(OnnxExport, RefusesFusedAttributes) {
  Graph g = small_cnn();
  g.nodes[0].attrs.set("activation", std::string("Relu"));
  Error e = expect_error([&] { export_onnx_bytes(g); }, ErrorKind::Internal);
  EXPECT_NE(std::string(e.what()).find("activation"), std::string::npos) << e.what();
}

TEST(OnnxImport, RejectsEveryTruncation) {
  const std::string bytes = export_onnx_bytes(small_cnn());
  for (size_t length = 0; length < bytes.size(); ++length) {
    try {
      import_onnx_bytes(bytes.substr(0, length), "truncated");
      ADD_FAILURE() << "a model truncated to " << length << " of " << bytes.size() << " bytes was accepted";
    } catch (const Error& e) {
      ASSERT_EQ(e.kind(), ErrorKind::InvalidModel) << length << ": " << e.what();
    }
  }
}

TEST(OnnxImport, CorruptedBytesGiveTandemErrorsOnly) {
  // Any outcome but a crash or a foreign exception: accepted, or rejected with an Error.
  const std::string bytes = export_onnx_bytes(small_cnn());
  uint64_t state = 12345;
  auto next = [&state] { return state = state * 6364136223846793005u + 1442695040888963407u; };
  for (int trial = 0; trial < 3000; ++trial) {
    std::string mutated = bytes;
    for (int flips = 1 + static_cast<int>(next() >> 62); flips > 0; --flips)
      mutated[(next() >> 33) % mutated.size()] = static_cast<char>(next() >> 56);
    try {
      Graph g = import_onnx_bytes(mutated, "mutated");
      PrepareOptions options;
      options.batch = 1;
      prepare_graph(g, options);
    } catch (const Error&) {
    } catch (const std::exception& e) {
      FAIL() << "trial " << trial << ": foreign exception " << e.what();
    }
  }
}

TEST(OnnxImport, RejectsEmptyGarbageAndMissingFiles) {
  expect_error([] { import_onnx_bytes("", "empty"); }, ErrorKind::InvalidModel);
  expect_error([] { import_onnx_bytes("this is plain text, not a protobuf model\n", "text"); },
               ErrorKind::InvalidModel);
  std::string noise(4096, '\0');
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = static_cast<char>((i * 2654435761u) >> 13);
  expect_error([&] { import_onnx_bytes(noise, "noise"); }, ErrorKind::InvalidModel);
  ScratchDir dir("empty");
  fs::path empty = dir.path() / "empty.onnx";
  std::ofstream(empty).close();
  expect_error([&] { import_onnx_file(empty.string()); }, ErrorKind::InvalidModel);
  expect_error([] { import_onnx_file("/nonexistent/model.onnx"); }, ErrorKind::Io);
}

TEST(OnnxImport, MissingInitializerNamesNodeAndValue) {
  // Initializers are written after the nodes: renaming the last "conv_weight" leaves
  // the Conv reading a value that nothing provides.
  std::string bytes = patch_last(export_onnx_bytes(small_cnn()), "conv_weight", "conv_wEight");
  Error e = expect_error([&] { import_onnx_bytes(bytes, "patched"); }, ErrorKind::InvalidModel);
  EXPECT_NE(std::string(e.what()).find("'conv'"), std::string::npos) << e.what();
  EXPECT_NE(std::string(e.what()).find("conv_weight"), std::string::npos) << e.what();
}

TEST(OnnxImport, UnsupportedOpNamesOpNodeAndOpset) {
  std::string bytes = patch_last(export_onnx_bytes(small_cnn()), "Relu", "Relx");
  Error e = expect_error([&] { import_onnx_bytes(bytes, "patched"); }, ErrorKind::Unsupported);
  for (const char* part : {"Relx", "'act'", "opset 17"})
    EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << part << " missing in: " << e.what();
}

TEST(OnnxImport, UnsupportedOpsetIsNamed) {
  // opset_import {domain: "" version: 17} is written as 0a 00 10 11.
  std::string bytes = patch_last(export_onnx_bytes(small_cnn()), std::string("\x0a\x00\x10\x11", 4),
                                 std::string("\x0a\x00\x10\x12", 4));
  Error e = expect_error([&] { import_onnx_bytes(bytes, "opset18"); }, ErrorKind::Unsupported);
  EXPECT_NE(std::string(e.what()).find("opset 18"), std::string::npos) << e.what();
}

TEST(OnnxImport, ReadsTensorFilesAndRejectsBadOnes) {
  ScratchDir dir("tensor");
  expect_error([&] { read_onnx_tensor_file((dir.path() / "missing.pb").string()); }, ErrorKind::Io);
  std::ofstream((dir.path() / "bad.pb").string()) << "\x0a\x05\x01";  // dims field cut short
  expect_error([&] { read_onnx_tensor_file((dir.path() / "bad.pb").string()); }, ErrorKind::InvalidInput);
}

// ---- legacy op forms (opsets 1 to 12), checked against numpy ----

namespace {

// Writes one folder per case: model.onnx, input_*.pb, output_*.pb (numpy results).
const char* kLegacyCases = R"PY(
import os, sys
import numpy as np
import onnx
from onnx import helper, numpy_helper, TensorProto as TP

root = sys.argv[1]
rng = np.random.default_rng(7)

def case(name, opset, nodes, inputs, outputs, feeds, results, inits=()):
    graph = helper.make_graph(nodes, name,
        [helper.make_tensor_value_info(n, TP.FLOAT, s) for n, s in inputs],
        [helper.make_tensor_value_info(n, TP.FLOAT, None) for n in outputs],
        initializer=[numpy_helper.from_array(a, n) for n, a in inits])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 3
    d = os.path.join(root, name)
    os.makedirs(d)
    onnx.save(model, os.path.join(d, "model.onnx"))
    for i, a in enumerate(feeds):
        open(os.path.join(d, "input_%d.pb" % i), "wb").write(numpy_helper.from_array(a).SerializeToString())
    for i, a in enumerate(results):
        tensor = numpy_helper.from_array(a.astype(np.float32))
        open(os.path.join(d, "output_%d.pb" % i), "wb").write(tensor.SerializeToString())

def r(*shape):
    return rng.standard_normal(shape).astype(np.float32)

a, b = r(2, 3, 4, 5), r(3, 4)
case("add_axis_broadcast", 6, [helper.make_node("Add", ["a", "b"], ["y"], broadcast=1, axis=1)],
     [("a", ["batch", 3, 4, 5]), ("b", [3, 4])], ["y"], [a, b], [a + b[:, :, None]])
x = r(2, 3, 4)
e = np.exp(x.reshape(2, 12) - x.reshape(2, 12).max(1, keepdims=True))
case("softmax_axis1_rank3", 11, [helper.make_node("Softmax", ["x"], ["y"], axis=1)],
     [("x", [2, 3, 4])], ["y"], [x], [(e / e.sum(1, keepdims=True)).reshape(2, 3, 4)])
case("softmax_default_axis_rank2", 6, [helper.make_node("Softmax", ["x"], ["y"])],
     [("x", [2, 12])], ["y"], [x.reshape(2, 12)], [e / e.sum(1, keepdims=True)])
x = r(3, 4)
case("clip_attributes", 6, [helper.make_node("Clip", ["x"], ["y"], min=-0.5, max=0.25, consumed_inputs=[0])],
     [("x", [3, 4])], ["y"], [x], [np.clip(x, -0.5, 0.25)])
x = r(1, 2, 3, 3)
case("pad_attributes", 2, [helper.make_node("Pad", ["x"], ["y"], pads=[0, 0, 1, 2, 0, 0, 2, 1], value=1.5)],
     [("x", [1, 2, 3, 3])], ["y"], [x], [np.pad(x, [(0, 0), (0, 0), (1, 2), (2, 1)], constant_values=1.5)])
x = r(4, 6)
case("slice_attributes", 9, [helper.make_node("Slice", ["x"], ["y"], starts=[1, -4], ends=[3, 100], axes=[0, 1])],
     [("x", [4, 6])], ["y"], [x], [x[1:3, -4:]])
case("split_attribute", 11, [helper.make_node("Split", ["x"], ["y0", "y1"], axis=1, split=[2, 4])],
     [("x", [4, 6])], ["y0", "y1"], [x], [x[:, :2], x[:, 2:]])
x = r(3, 1, 4)
case("squeeze_unsqueeze_axes", 11, [helper.make_node("Squeeze", ["x"], ["s"], axes=[1]),
                                    helper.make_node("Unsqueeze", ["s"], ["y"], axes=[0, 3])],
     [("x", [3, 1, 4])], ["y"], [x], [x.reshape(1, 3, 4, 1)])
x, s, bias, mean, var = r(2, 3, 4, 4), r(3), r(3), r(3), np.abs(r(3)) + 0.5
case("batchnorm_is_test", 6,
     [helper.make_node("BatchNormalization", ["x", "s", "bias", "mean", "var"], ["y"], is_test=1, epsilon=1e-3,
                       momentum=0.9, consumed_inputs=[0, 0, 0, 1, 1])],
     [("x", [2, 3, 4, 4]), ("s", [3]), ("bias", [3]), ("mean", [3]), ("var", [3])], ["y"], [x],
     [(x - mean[:, None, None]) / np.sqrt(var[:, None, None] + 1e-3) * s[:, None, None] + bias[:, None, None]],
     inits=[("s", s), ("bias", bias), ("mean", mean), ("var", var)])
x = r(2, 5)
case("dropout_is_test", 6, [helper.make_node("Dropout", ["x"], ["y"], is_test=1, ratio=0.3)],
     [("x", [2, 5])], ["y"], [x], [x])
x, w, c = r(2, 3), r(3, 4), r(4)
case("gemm_broadcast", 6, [helper.make_node("Gemm", ["x", "w", "c"], ["y"], broadcast=1, alpha=0.5)],
     [("x", [2, 3]), ("w", [3, 4]), ("c", [4])], ["y"], [x], [0.5 * x @ w + c], inits=[("w", w), ("c", c)])
p, q = r(2, 3), r(2, 2)
case("concat_default_axis", 3, [helper.make_node("Concat", ["p", "q"], ["y"])],
     [("p", [2, 3]), ("q", [2, 2])], ["y"], [p, q], [np.concatenate([p, q], 1)])
x = r(2, 6)
case("reshape_attribute", 4, [helper.make_node("Reshape", ["x"], ["y"], shape=[3, 4])],
     [("x", [2, 6])], ["y"], [x], [x.reshape(3, 4)])
x = r(1, 2, 4, 4)
case("unnamed_nodes", 11, [helper.make_node("Relu", ["x"], ["r"]), helper.make_node("Relu", ["r"], ["y"])],
     [("x", [1, 2, 4, 4])], ["y"], [x], [np.maximum(x, 0)])

# Models the importer must refuse, each around one initializer w (3, 4) read by Relu.
def bad_model(name, tensor, domain=""):
    node = helper.make_node("Relu", ["w"], ["y"], domain=domain)
    graph = helper.make_graph([node], name, [], [helper.make_tensor_value_info("y", TP.FLOAT, [3, 4])],
                              initializer=[tensor])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("com.example", 1)])
    os.makedirs(os.path.join(root, name))
    open(os.path.join(root, name, "model.onnx"), "wb").write(model.SerializeToString())
t = numpy_helper.from_array(r(3, 4), "w")
t.ClearField("raw_data")
t.data_location = TP.EXTERNAL
entry = t.external_data.add()
entry.key, entry.value = "location", "weights.bin"
bad_model("external_data", t)
t = numpy_helper.from_array(r(3, 4), "w")
t.raw_data = t.raw_data[:-4]
bad_model("short_initializer", t)
bad_model("other_domain", numpy_helper.from_array(r(3, 4), "w"), domain="com.example")

# A classifier the way torch.onnx (opset 9) writes one: weights as initializers that
# are also graph inputs, a symbolic batch, Constant nodes, unnamed nodes and the
# Shape -> Gather -> Unsqueeze -> Concat chain that feeds Reshape.
def conv2d(x, w, b, pad):
    x = np.pad(x, [(0, 0), (0, 0), (pad, pad), (pad, pad)])
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    y = np.zeros((n, o, h - kh + 1, wd - kw + 1), np.float32)
    for i in range(kh):
        for j in range(kw):
            y += np.einsum("nchw,oc->nohw", x[:, :, i:i + y.shape[2], j:j + y.shape[3]], w[:, :, i, j])
    return y + b[None, :, None, None]
x = r(2, 3, 6, 6)
w, cb, g, be, m, v = r(4, 3, 3, 3), r(4), r(4), r(4), r(4), np.abs(r(4)) + 0.5
fw, fb = r(5, 4 * 3 * 3), r(5)
y = conv2d(x, w, cb, 1)
per_channel = lambda a: a[None, :, None, None]
y = (y - per_channel(m)) / np.sqrt(per_channel(v) + 1e-5) * per_channel(g) + per_channel(be)
y = np.maximum(y, 0).reshape(2, 4, 3, 2, 3, 2).max(axis=(3, 5))
y = y.reshape(2, -1) @ fw.T + fb
idx = numpy_helper.from_array(np.array(0, np.int64))
minus_one = numpy_helper.from_array(np.array([-1], np.int64))
nodes = [
    helper.make_node("Conv", ["x", "w", "cb"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[1, 1]),
    helper.make_node("BatchNormalization", ["c", "g", "be", "m", "v"], ["bn"], epsilon=1e-5, momentum=0.9),
    helper.make_node("Relu", ["bn"], ["relu"]),
    helper.make_node("MaxPool", ["relu"], ["pool"], kernel_shape=[2, 2], strides=[2, 2]),
    helper.make_node("Shape", ["pool"], ["shape"]),
    helper.make_node("Constant", [], ["idx"], value=idx),
    helper.make_node("Gather", ["shape", "idx"], ["batch"], axis=0),
    helper.make_node("Unsqueeze", ["batch"], ["batch1"], axes=[0]),
    helper.make_node("Constant", [], ["minus_one"], value=minus_one),
    helper.make_node("Concat", ["batch1", "minus_one"], ["target"], axis=0),
    helper.make_node("Reshape", ["pool", "target"], ["flat"]),
    helper.make_node("Gemm", ["flat", "fw", "fb"], ["y"], transB=1),
]
weights = [("w", w), ("cb", cb), ("g", g), ("be", be), ("m", m), ("v", v), ("fw", fw), ("fb", fb)]
case("torch_style_classifier", 9, nodes, [("x", ["batch", 3, 6, 6])] + [(n, list(a.shape)) for n, a in weights],
     ["y"], [x], [y], inits=weights)
)PY";

std::vector<Tensor> read_numbered(const fs::path& dir, const std::string& prefix) {
  std::vector<Tensor> tensors;
  for (int i = 0; fs::exists(dir / (prefix + std::to_string(i) + ".pb")); ++i)
    tensors.push_back(read_onnx_tensor_file((dir / (prefix + std::to_string(i) + ".pb")).string()));
  return tensors;
}

bool generate_legacy_cases(const fs::path& dir) {
  fs::path script = dir / "make_cases.py";
  std::ofstream(script) << kLegacyCases;
  std::string command = "/usr/bin/python3 " + script.string() + " " + dir.string();
  EXPECT_EQ(std::system(command.c_str()), 0) << "generating legacy cases failed: " << command;
  return true;
}

// Generated once per process; removed at exit.
const fs::path& legacy_cases() {
  static ScratchDir dir("legacy");
  static bool generated = generate_legacy_cases(dir.path());
  (void)generated;
  return dir.path();
}

void run_legacy_case(const std::string& name) {
  fs::path dir = legacy_cases() / name;
  Graph g = import_onnx_file((dir / "model.onnx").string());
  std::vector<Tensor> inputs = read_numbered(dir, "input_"), want = read_numbered(dir, "output_");
  ASSERT_EQ(inputs.size(), g.inputs.size());
  PrepareOptions options;
  for (size_t i = 0; i < inputs.size(); ++i) options.input_shapes[g.value(g.inputs[i]).name] = inputs[i].shape();
  prepare_graph(g, options);
  std::vector<Tensor> got = run_on_reference(g, inputs);
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) expect_close(got[i], want[i], name + " output " + std::to_string(i));
}

}  // namespace

TEST(OnnxLegacy, AddWithBroadcastAxisGetsUnsqueeze) { run_legacy_case("add_axis_broadcast"); }
TEST(OnnxLegacy, SoftmaxCoercesTo2D) { run_legacy_case("softmax_axis1_rank3"); }
TEST(OnnxLegacy, SoftmaxDefaultAxisOnRank2) { run_legacy_case("softmax_default_axis_rank2"); }
TEST(OnnxLegacy, ClipAttributesBecomeInputs) { run_legacy_case("clip_attributes"); }
TEST(OnnxLegacy, PadAttributesBecomeInputs) { run_legacy_case("pad_attributes"); }
TEST(OnnxLegacy, SliceAttributesBecomeInputs) { run_legacy_case("slice_attributes"); }
TEST(OnnxLegacy, SplitAttributeBecomesInput) { run_legacy_case("split_attribute"); }
TEST(OnnxLegacy, SqueezeUnsqueezeAxesBecomeInputs) { run_legacy_case("squeeze_unsqueeze_axes"); }
TEST(OnnxLegacy, BatchNormIsTestAndInitializerInputs) { run_legacy_case("batchnorm_is_test"); }
TEST(OnnxLegacy, DropoutIsTest) { run_legacy_case("dropout_is_test"); }
TEST(OnnxLegacy, GemmBroadcast) { run_legacy_case("gemm_broadcast"); }
TEST(OnnxLegacy, ConcatDefaultAxis) { run_legacy_case("concat_default_axis"); }
TEST(OnnxLegacy, ReshapeShapeAttribute) { run_legacy_case("reshape_attribute"); }

TEST(OnnxImport, RefusesExternalDataShortInitializersAndOtherDomains) {
  auto import_case = [](const char* name) { import_onnx_file((legacy_cases() / name / "model.onnx").string()); };
  Error external = expect_error([&] { import_case("external_data"); }, ErrorKind::Unsupported);
  EXPECT_NE(std::string(external.what()).find("external"), std::string::npos) << external.what();
  Error short_data = expect_error([&] { import_case("short_initializer"); }, ErrorKind::InvalidModel);
  EXPECT_NE(std::string(short_data.what()).find("initializer 'w'"), std::string::npos) << short_data.what();
  Error domain = expect_error([&] { import_case("other_domain"); }, ErrorKind::Unsupported);
  EXPECT_NE(std::string(domain.what()).find("com.example"), std::string::npos) << domain.what();
}

// Needs prepare_graph to fold constants (the Shape chain) before Reshape's shape
// inference, which requires a constant target shape.
TEST(OnnxLegacy, TorchStyleClassifierWithShapeChain) { run_legacy_case("torch_style_classifier"); }

TEST(OnnxLegacy, SymbolicDimsAndUnnamedNodes) {
  Graph g = import_onnx_file((legacy_cases() / "add_axis_broadcast" / "model.onnx").string());
  EXPECT_EQ(g.value(g.inputs.at(0)).shape, (Shape{-1, 3, 4, 5}));
  Graph unnamed = import_onnx_file((legacy_cases() / "unnamed_nodes" / "model.onnx").string());
  ASSERT_EQ(unnamed.nodes.size(), 2u);
  EXPECT_EQ(unnamed.nodes[0].name, "Relu_0");
  EXPECT_EQ(unnamed.nodes[1].name, "Relu_1");
  run_legacy_case("unnamed_nodes");
}

TEST(OnnxLegacy, BatchNormInitializersListedAsInputsAreConstants) {
  Graph g = import_onnx_file((legacy_cases() / "batchnorm_is_test" / "model.onnx").string());
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.value(g.inputs[0]).name, "x");
  EXPECT_TRUE(g.value(g.find_value("var")).is_constant());
  EXPECT_FALSE(g.nodes.at(0).attrs.has("is_test"));
  EXPECT_FALSE(g.nodes.at(0).attrs.has("consumed_inputs"));
}
