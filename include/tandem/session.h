// The public entry point: open a model (ONNX file or zoo name) on a device once,
// then run it many times. Expected failures throw tandem::Error.
#pragma once
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tandem/error.h"
#include "tandem/tensor.h"

namespace tandem {

struct SessionOptions {
  std::string device = "cpu";  // "cpu", "reference", "cpu:1", "cuda", "cuda:1", ..., "auto"
  int threads = 0;             // 0: all cores
  // CPU devices by name ("cpu", "cpu:1") pinned to cores of their own, e.g.
  // {{"cpu:0", {0}}, {"cpu:1", {1}}}; a device not named runs unpinned.
  std::map<std::string, std::vector<int>> cores = {};
  int64_t batch = 0;           // 0: the model's own batch size
  bool optimize = true;        // run the graph passes (fold BN, fuse activations...)
  bool tf32 = false;           // cuda: allow TF32 tensor-core math (default strict float32)
  bool cuda_graphs = true;     // cuda: capture the compiled model once and replay it
  // device "auto": the model is planned once across these devices (unusable ones are
  // dropped) from a profile cache, measuring only what the cache lacks, and each run
  // executes that plan.
  std::vector<std::string> devices{"cpu", "cuda"};
  std::string profile = "";     // the cache file; "": $TANDEM_CACHE or ~/.cache/tandem/profile.json
  std::string strategy = "auto";  // placement: auto, dp, heft, brute-force or single:<device>
  int profile_repeats = 10;     // at least this many timed runs per missing measurement...
  double profile_seconds = 1.0;  // ...and at least this many seconds of them
  // device "auto": re-plan between requests when a device's measured times stay more
  // than drift_threshold (0.25: 25%) off the plan's predictions for 3 runs in a row.
  bool replan = true;
  double drift_threshold = 0.25;
};

struct TensorSpec {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;
};

struct LayerTime {
  std::string node;
  std::string op;
  Shape output_shape;
  double flops = 0;
  double microseconds = 0;  // 0 when fused into the layer before
};

class Session {
 public:
  static Session open(const std::string& model, const SessionOptions& options = {});
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  ~Session();

  const std::vector<TensorSpec>& inputs() const;
  const std::vector<TensorSpec>& outputs() const;
  const std::string& device_name() const;  // "auto(cpu,cuda)" for the auto device
  int replans() const;                     // auto device: times re-planned so far (0 otherwise)

  // Inputs in the order of inputs(); shapes and dtypes must match exactly. run and
  // run_profiled may be called from several threads: a session runs one request at a
  // time and the others wait their turn (open one session per thread to run requests
  // side by side).
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Same, also timing every layer. Throws Unsupported on the auto device.
  std::vector<Tensor> run_profiled(const std::vector<Tensor>& inputs, std::vector<LayerTime>& layers);

  struct Impl;

 private:
  explicit Session(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace tandem
