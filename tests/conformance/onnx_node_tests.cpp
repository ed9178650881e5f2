// ONNX's own node tests (libonnx-testdata: node, pytorch-converted, pytorch-operator)
// run through tandem's importer, passes and one device. Every test whose ops are all
// in the claimed list runs; tests needing dtypes tandem lacks or training-mode
// semantics are listed as skipped with the reason. Prints a per-op pass/fail table,
// every failure with its cause, and exits non-zero on any failure. When the device's
// backend is not usable here (cuda without a GPU) it says why and exits with 77, which
// CTest reports as skipped.
//
//   onnx_node_tests --device reference|cpu|cuda[:N] [--data DIR]... [--filter TEXT]
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "backends/device.h"
#include "backends/registry.h"
#include "ir/onnx_io.h"
#include "ir/prepare.h"
#include "tandem/error.h"

using namespace tandem;
namespace fs = std::filesystem;

namespace {

// The ops the issue lists; a test with any other op is not counted.
const std::set<std::string>& claimed_ops() {
  static const std::set<std::string> ops = [] {
    std::istringstream list(
        "Conv Relu LeakyRelu Clip Sigmoid Tanh MaxPool AveragePool GlobalAveragePool GlobalMaxPool LRN "
        "BatchNormalization Gemm MatMul Add Sub Mul Div Sum Concat Split Slice Flatten Reshape Transpose "
        "Squeeze Unsqueeze Softmax Pad Dropout Identity Constant ReduceMean ReduceSum ReduceMax");
    return std::set<std::string>(std::istream_iterator<std::string>(list), std::istream_iterator<std::string>());
  }();
  return ops;
}

// Inputs at these positions are parameters (weights, shapes, axes, pads, bounds),
// not activations: the runner makes graph inputs read only there constants.
const std::map<std::string, std::set<size_t>> kParameterSlots = {
    {"Conv", {1, 2}},        {"BatchNormalization", {1, 2, 3, 4}},
    {"Gemm", {1, 2}},        {"Clip", {1, 2}},
    {"Pad", {1, 2}},         {"Reshape", {1}},
    {"Slice", {1, 2, 3, 4}}, {"Split", {1}},
    {"Squeeze", {1}},        {"Unsqueeze", {1}},
    {"Dropout", {1, 2}},     {"ReduceSum", {1}},
    {"ReduceMean", {1}},     {"ReduceMax", {1}}};

constexpr double kRtol = 1e-3, kAtol = 1e-7;
constexpr int kSkipped = 77;  // CTest's SKIP_RETURN_CODE

struct Options {
  std::string device = "reference";
  std::vector<fs::path> data;
  std::string filter;
};

struct TestCase {
  fs::path dir;
  std::string label;          // "node/test_relu"
  std::set<std::string> ops;  // op types in the model
  std::string skip_reason;    // non-empty: skipped (with this reason)
};

// ---- reading the model's ops and deciding whether it runs ----

onnx::ModelProto read_model_proto(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  onnx::ModelProto model;
  if (!in || !model.ParseFromIstream(&in)) fail(ErrorKind::InvalidModel, "cannot parse " + file.string());
  return model;
}

// Element types tandem has no DType for (float16 and bfloat16 included: no kernels).
std::string unsupported_type(const onnx::TypeProto& type) {
  if (!type.has_tensor_type()) return "a non-tensor (sequence/optional/map) value";
  switch (type.tensor_type().elem_type()) {
    case onnx::TensorProto::FLOAT:
    case onnx::TensorProto::DOUBLE:
    case onnx::TensorProto::INT64:
    case onnx::TensorProto::INT32:
    case onnx::TensorProto::INT8:
    case onnx::TensorProto::UINT8:
    case onnx::TensorProto::BOOL:
      return "";
    default:
      break;
  }
  return "dtype " +
         onnx::TensorProto_DataType_Name(static_cast<onnx::TensorProto_DataType>(type.tensor_type().elem_type()));
}

std::string training_mode_reason(const onnx::NodeProto& node) {
  if (node.op_type() == "Dropout" && node.input_size() > 2 && !node.input(2).empty())
    return "training-mode Dropout (random)";
  if (node.op_type() == "BatchNormalization")
    for (const auto& a : node.attribute())
      if (a.name() == "training_mode" && a.i() != 0) return "training-mode BatchNormalization";
  return "";
}

std::string skip_reason(const onnx::ModelProto& model) {
  const onnx::GraphProto& g = model.graph();
  for (const auto* infos : {&g.input(), &g.output()})
    for (const auto& info : *infos)
      if (std::string why = unsupported_type(info.type()); !why.empty()) return why + " ('" + info.name() + "')";
  for (const auto& node : g.node())
    if (std::string why = training_mode_reason(node); !why.empty()) return why;
  return "";
}

std::vector<TestCase> find_tests(const Options& options, size_t& unclaimed) {
  std::vector<TestCase> tests;
  for (const fs::path& root : options.data) {
    if (!fs::is_directory(root)) fail(ErrorKind::Io, "no test data folder " + root.string());
    std::vector<fs::path> dirs;
    for (const auto& entry : fs::directory_iterator(root))
      if (fs::exists(entry.path() / "model.onnx")) dirs.push_back(entry.path());
    std::sort(dirs.begin(), dirs.end());
    for (const fs::path& dir : dirs) {
      TestCase test{dir, root.filename().string() + "/" + dir.filename().string(), {}, ""};
      if (test.label.find(options.filter) == std::string::npos) continue;
      onnx::ModelProto model = read_model_proto(dir / "model.onnx");
      for (const auto& node : model.graph().node()) test.ops.insert(node.op_type());
      if (!std::includes(claimed_ops().begin(), claimed_ops().end(), test.ops.begin(), test.ops.end())) {
        ++unclaimed;
        continue;
      }
      test.skip_reason = skip_reason(model);
      tests.push_back(std::move(test));
    }
  }
  return tests;
}

// ---- running one data set ----

std::vector<Tensor> read_numbered(const fs::path& dir, const std::string& prefix, std::vector<std::string>* names) {
  std::vector<Tensor> tensors;
  for (int i = 0;; ++i) {
    fs::path file = dir / (prefix + std::to_string(i) + ".pb");
    if (!fs::exists(file)) break;
    std::string name;
    tensors.push_back(read_onnx_tensor_file(file.string(), &name));
    if (names) names->push_back(name);
  }
  return tensors;
}

// Orders the data set's inputs like graph.inputs (by name where names match).
std::vector<Tensor> match_inputs(const Graph& graph, std::vector<Tensor> tensors,
                                 const std::vector<std::string>& names) {
  if (tensors.size() != graph.inputs.size())
    fail(ErrorKind::InvalidInput,
         std::to_string(tensors.size()) + " input files for " + std::to_string(graph.inputs.size()) + " graph inputs");
  std::vector<Tensor> ordered(tensors.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    size_t slot = i;
    for (size_t k = 0; k < graph.inputs.size(); ++k)
      if (!names[i].empty() && graph.value(graph.inputs[k]).name == names[i]) slot = k;
    ordered[slot] = std::move(tensors[i]);
  }
  return ordered;
}

bool read_only_as_parameter(const Graph& graph, int value) {
  if (std::count(graph.outputs.begin(), graph.outputs.end(), value)) return false;
  bool read = false;
  for (const Node& node : graph.nodes)
    for (size_t i = 0; i < node.inputs.size(); ++i) {
      if (node.inputs[i] != value) continue;
      auto slots = kParameterSlots.find(node.op);
      if (slots == kParameterSlots.end() || !slots->second.count(i)) return false;
      read = true;
    }
  return read;
}

// Graph inputs read only as parameters become constants; returns the inputs left.
std::vector<Tensor> freeze_parameters(Graph& graph, std::vector<Tensor> inputs) {
  std::vector<int> kept_ids;
  std::vector<Tensor> kept;
  for (size_t i = 0; i < graph.inputs.size(); ++i) {
    Value& v = graph.value(graph.inputs[i]);
    if (read_only_as_parameter(graph, graph.inputs[i])) {
      v.dtype = inputs[i].dtype();
      v.shape = inputs[i].shape();
      v.data = inputs[i];
    } else {
      kept_ids.push_back(graph.inputs[i]);
      kept.push_back(inputs[i]);
    }
  }
  graph.inputs = kept_ids;
  return kept;
}

// Host tensors staged in a device's memory (directly used on host-memory devices).
class Staging {
 public:
  explicit Staging(Device& device) : device_(device), host_(device.info().kind == DeviceKind::Host) {}
  Staging(const Staging&) = delete;
  Staging& operator=(const Staging&) = delete;
  ~Staging() {
    for (void* p : owned_) device_.release(p);
  }

  const void* input(const Tensor& t) {
    if (host_) return t.raw();
    void* p = allocate(t.nbytes());
    device_.copy_from_host(p, t.raw(), t.nbytes());
    return p;
  }
  void* output(Tensor& t) {
    if (host_) return t.raw();
    downloads_.push_back({&t, allocate(t.nbytes())});
    return downloads_.back().second;
  }
  void finish() {
    for (auto& [tensor, p] : downloads_) device_.copy_to_host(tensor->raw(), p, tensor->nbytes());
    device_.synchronize();
  }

 private:
  void* allocate(size_t bytes) { return owned_.emplace_back(device_.allocate(bytes)); }

  Device& device_;
  bool host_;
  std::vector<void*> owned_;
  std::vector<std::pair<Tensor*, void*>> downloads_;
};

size_t position(const std::vector<int>& ids, int id) {
  return static_cast<size_t>(std::find(ids.begin(), ids.end(), id) - ids.begin());
}

// Runs the whole prepared graph as one segment; results in graph output order.
std::vector<Tensor> run_graph(Device& device, const Graph& graph, const std::vector<Tensor>& inputs) {
  std::vector<Tensor> results;
  for (int id : graph.outputs) results.emplace_back(graph.value(id).dtype, graph.value(id).shape);
  Segment segment = whole_graph_segment(graph);
  if (!segment.nodes.empty()) {
    Staging staging(device);
    std::vector<const void*> in;
    std::vector<void*> out;
    for (int id : segment.inputs) in.push_back(staging.input(inputs.at(position(graph.inputs, id))));
    for (int id : segment.outputs) out.push_back(staging.output(results.at(position(graph.outputs, id))));
    device.compile(segment)->run(in, out);
    staging.finish();
  }
  for (size_t k = 0; k < graph.outputs.size(); ++k) {  // outputs that no node writes
    const Value& v = graph.value(graph.outputs[k]);
    if (v.is_constant()) results[k] = *v.data;
    if (size_t at = position(graph.inputs, graph.outputs[k]); at < graph.inputs.size()) results[k] = inputs[at];
  }
  return results;
}

// ---- comparing ----

bool is_float(DType d) { return d == DType::f32 || d == DType::f64; }

std::string compare(const Tensor& got, const Tensor& want, const std::string& what) {
  if (got.dtype() != want.dtype())
    return what + ": dtype " + dtype_name(got.dtype()) + ", expected " + dtype_name(want.dtype());
  if (got.shape() != want.shape())
    return what + ": shape " + shape_str(got.shape()) + ", expected " + shape_str(want.shape());
  if (!is_float(got.dtype())) {
    std::vector<int64_t> g = got.to_int64s(), w = want.to_int64s();
    for (size_t i = 0; i < g.size(); ++i)
      if (g[i] != w[i])
        return what + " element " + std::to_string(i) + ": got " + std::to_string(g[i]) + ", expected " +
               std::to_string(w[i]);
    return "";
  }
  auto values = [](const Tensor& t) {
    if (t.dtype() == DType::f64) return std::vector<double>(t.data<double>(), t.data<double>() + t.numel());
    return std::vector<double>(t.data<float>(), t.data<float>() + t.numel());
  };
  std::vector<double> g = values(got), w = values(want);
  for (size_t i = 0; i < g.size(); ++i) {
    const bool both_nan = std::isnan(g[i]) && std::isnan(w[i]);
    const bool same_inf = std::isinf(w[i]) && g[i] == w[i];
    if (both_nan || same_inf || std::fabs(g[i] - w[i]) <= kAtol + kRtol * std::fabs(w[i])) continue;
    std::ostringstream s;
    s << what << " element " << i << ": got " << g[i] << ", expected " << w[i];
    return s.str();
  }
  return "";
}

// The failure reason for one data set, or "" when it passes.
std::string run_data_set(const TestCase& test, const fs::path& data_set, Device& device) {
  Graph graph = import_onnx_file((test.dir / "model.onnx").string());
  std::vector<std::string> names;
  std::vector<Tensor> inputs = match_inputs(graph, read_numbered(data_set, "input_", &names), names);
  std::vector<Tensor> want = read_numbered(data_set, "output_", nullptr);
  inputs = freeze_parameters(graph, std::move(inputs));
  PrepareOptions prepare;
  for (size_t i = 0; i < graph.inputs.size(); ++i)
    prepare.input_shapes[graph.value(graph.inputs[i]).name] = inputs[i].shape();
  prepare_graph(graph, prepare);
  std::vector<Tensor> got = run_graph(device, graph, inputs);
  if (got.size() != want.size())
    return std::to_string(got.size()) + " outputs, expected " + std::to_string(want.size());
  for (size_t k = 0; k < got.size(); ++k) {
    std::string diff =
        compare(got[k], want[k], "output " + std::to_string(k) + " '" + graph.value(graph.outputs[k]).name + "'");
    if (!diff.empty()) return data_set.filename().string() + ": " + diff;
  }
  return "";
}

std::string run_test(const TestCase& test, Device& device) {
  std::vector<fs::path> data_sets;
  for (const auto& entry : fs::directory_iterator(test.dir))
    if (entry.is_directory() && entry.path().filename().string().rfind("test_data_set_", 0) == 0)
      data_sets.push_back(entry.path());
  if (data_sets.empty()) return "no test_data_set_* folder";
  std::sort(data_sets.begin(), data_sets.end());
  try {
    for (const fs::path& data_set : data_sets)
      if (std::string why = run_data_set(test, data_set, device); !why.empty()) return why;
  } catch (const Error& e) {
    return std::string(error_kind_name(e.kind())) + ": " + e.what();
  } catch (const std::exception& e) {
    return std::string("exception: ") + e.what();
  }
  return "";
}

// ---- command line and report ----

Options parse_options(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(ErrorKind::InvalidInput, arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--device")
      options.device = value();
    else if (arg == "--data")
      options.data.emplace_back(value());
    else if (arg == "--filter")
      options.filter = value();
    else
      fail(ErrorKind::InvalidInput,
           "unknown argument '" + arg +
               "'\nusage: onnx_node_tests --device reference|cpu|cuda[:N] [--data DIR]... [--filter TEXT]");
  }
  if (options.data.empty())
    for (const char* kind : {"node", "pytorch-converted", "pytorch-operator"})
      options.data.push_back(fs::path("/usr/share/libonnx-testdata/data") / kind);
  return options;
}

struct Counts {
  int pass = 0, fail = 0;
};

// The backend of `device` ("cuda" for "cuda:1") when it is built in but not usable
// here; nullopt when it is usable or unknown (create_device then says what is wrong).
std::optional<BackendStatus> unusable_backend(const std::string& device) {
  std::string backend = device.substr(0, device.find(':'));
  for (const BackendStatus& status : list_backends())
    if (status.name == backend && !status.usable) return status;
  return std::nullopt;
}

int run_all(const Options& options) {
  if (auto backend = unusable_backend(options.device)) {
    std::printf("onnx_node_tests: skipped: device '%s' is not usable here: %s\n", options.device.c_str(),
                backend->detail.c_str());
    return kSkipped;
  }
  auto device = create_device(options.device);
  size_t unclaimed = 0;
  std::vector<TestCase> tests = find_tests(options, unclaimed);
  std::map<std::string, Counts> per_op;
  Counts total;
  int skipped = 0;
  std::printf("ONNX node tests on device '%s'\n", device->name().c_str());
  for (const TestCase& test : tests) {
    if (!test.skip_reason.empty()) {
      std::printf("SKIP %s: %s\n", test.label.c_str(), test.skip_reason.c_str());
      ++skipped;
      continue;
    }
    std::string failure = run_test(test, *device);
    const bool passed = failure.empty();
    if (!passed) std::printf("FAIL %s: %s\n", test.label.c_str(), failure.c_str());
    (passed ? total.pass : total.fail)++;
    for (const std::string& op : test.ops) (passed ? per_op[op].pass : per_op[op].fail)++;
  }
  std::printf("\n%-20s %6s %6s\n", "op", "pass", "fail");
  for (const auto& [op, counts] : per_op) std::printf("%-20s %6d %6d\n", op.c_str(), counts.pass, counts.fail);
  std::printf(
      "\ntotal: %d run, %d passed, %d failed; %d skipped with a reason; %zu not claimed (ops outside the list)\n",
      total.pass + total.fail, total.pass, total.fail, skipped, unclaimed);
  if (total.pass + total.fail == 0) {
    std::printf("no test ran\n");
    return 1;
  }
  return total.fail == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run_all(parse_options(argc, argv));
  } catch (const Error& e) {
    std::fprintf(stderr, "onnx_node_tests: %s: %s\n", error_kind_name(e.kind()), e.what());
    return 2;
  }
}
