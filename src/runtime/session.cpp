// Session: load + prepare a model once, compile it for one device, run it many
// times with host tensors in and out. On a GPU the inputs go through page-locked
// staging buffers with queued copies on the compute lane, so a run is one queue of
// copy in, the compiled segment, copy out, and a single wait. The "auto" device
// instead plans the model across several devices (auto_planner.h) and runs the plan
// through an AutoRunner, which re-plans on drift.
#include "tandem/session.h"

#include <algorithm>
#include <cstring>
#include <mutex>

#include "backends/registry.h"
#include "ir/prepare.h"
#include "ops/op.h"
#include "runtime/auto_planner.h"
#include "runtime/graph_io.h"
#include "runtime/auto_runner.h"

namespace tandem {

struct Session::Impl {
  Graph graph;
  std::unique_ptr<Device> device;
  Segment segment;
  std::unique_ptr<Executable> executable;
  std::vector<TensorSpec> inputs, outputs;
  // Only for non-host devices: device buffers and pinned host staging per boundary value.
  std::vector<void*> device_inputs, device_outputs;
  std::vector<void*> staged_inputs, staged_outputs;
  // Only for the auto device: the plan's runner (the fields above stay empty).
  std::unique_ptr<AutoRunner> auto_runner;
  std::string auto_name;
  // One run at a time: the executable's arena, the staging buffers and the runner's
  // drift state are the session's own, so concurrent callers queue here.
  std::mutex running;

  ~Impl() {
    if (!device) return;
    for (void* p : device_inputs) device->release(p);
    for (void* p : device_outputs) device->release(p);
    for (void* p : staged_inputs) device->release_host(p);
    for (void* p : staged_outputs) device->release_host(p);
  }
};

Session::Session(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;
Session::~Session() = default;

static DeviceOptions device_options_of(const SessionOptions& options) {
  DeviceOptions device_options;
  device_options.threads = options.threads;
  device_options.cores = options.cores;
  device_options.tf32 = options.tf32;
  device_options.graphs = options.cuda_graphs;
  return device_options;
}

static std::string join(const std::vector<std::string>& names) {
  std::string joined;
  for (const std::string& name : names) joined += (joined.empty() ? "" : ",") + name;
  return joined;
}

// Plans once, then runs through an AutoRunner, which re-plans when measured times
// drift from the plan's predictions.
static void open_auto(Session::Impl& impl, const Graph& loaded, const std::string& model,
                      const SessionOptions& options) {
  AutoOptions auto_options;
  auto_options.devices = options.devices;
  auto_options.profile_path = options.profile;
  auto_options.batch = batch_of(impl.graph);
  auto_options.device = device_options_of(options);
  auto_options.measure.repeats = options.profile_repeats;
  auto_options.measure.min_seconds = options.profile_seconds;
  auto_options.place.strategy = options.strategy;
  AutoPlan planned = plan_auto(loaded, impl.graph, model, auto_options);
  impl.auto_name = "auto(" + join(planned.devices) + ")";
  ReplanOptions replan;
  replan.enabled = options.replan;
  replan.drift.threshold = options.drift_threshold;
  impl.auto_runner = std::make_unique<AutoRunner>(impl.graph, std::move(planned), auto_options, replan);
  impl.inputs = impl.auto_runner->inputs();
  impl.outputs = impl.auto_runner->outputs();
}

static void open_on_device(Session::Impl& impl, const std::string& device, const SessionOptions& options) {
  DeviceOptions device_options = device_options_of(options);
  impl.device = create_device(device, device_options);
  impl.segment = whole_graph_segment(impl.graph);
  impl.executable = impl.device->compile(impl.segment);
  for (int id : impl.graph.inputs) impl.inputs.push_back(spec_of(impl.graph.value(id)));
  for (int id : impl.graph.outputs) impl.outputs.push_back(spec_of(impl.graph.value(id)));
  if (impl.device->info().kind != DeviceKind::Host) {
    for (int id : impl.segment.inputs) {
      impl.device_inputs.push_back(impl.device->allocate(value_bytes(impl.graph.value(id))));
      impl.staged_inputs.push_back(impl.device->allocate_host(value_bytes(impl.graph.value(id))));
    }
    for (int id : impl.segment.outputs) {
      impl.device_outputs.push_back(impl.device->allocate(value_bytes(impl.graph.value(id))));
      impl.staged_outputs.push_back(impl.device->allocate_host(value_bytes(impl.graph.value(id))));
    }
  }
}

Session Session::open(const std::string& model, const SessionOptions& options) {
  auto impl = std::make_unique<Impl>();
  Graph loaded = load_model(model);
  impl->graph = loaded;
  PrepareOptions prepare;
  prepare.batch = options.batch;
  prepare.optimize = options.optimize;
  prepare_graph(impl->graph, prepare);
  if (options.device == "auto") {
    open_auto(*impl, loaded, model, options);
    return Session(std::move(impl));
  }
  open_on_device(*impl, options.device, options);
  return Session(std::move(impl));
}

const std::vector<TensorSpec>& Session::inputs() const { return impl_->inputs; }
const std::vector<TensorSpec>& Session::outputs() const { return impl_->outputs; }
int Session::replans() const {
  if (!impl_->auto_runner) return 0;
  std::lock_guard<std::mutex> lock(impl_->running);
  return static_cast<int>(impl_->auto_runner->replans().size());
}

const std::string& Session::device_name() const {
  return impl_->auto_name.empty() ? impl_->device->name() : impl_->auto_name;
}

static std::vector<Tensor> execute(Session::Impl& s, const std::vector<Tensor>& inputs, std::vector<NodeTime>* times) {
  check_inputs(s.inputs, inputs);
  const Graph& g = s.graph;
  std::vector<Tensor> results;
  for (int id : g.outputs) results.emplace_back(g.value(id).dtype, g.value(id).shape);
  std::vector<const void*> in;
  std::vector<void*> out;
  bind_whole_graph(g, s.segment, inputs, results, in, out);
  copy_unexecuted_outputs(g, inputs, results);
  if (s.device->info().kind == DeviceKind::Host) {
    s.executable->run(in, out, times);
    return results;
  }
  for (size_t i = 0; i < in.size(); ++i) {
    size_t bytes = value_bytes(g.value(s.segment.inputs[i]));
    std::memcpy(s.staged_inputs[i], in[i], bytes);
    s.device->copy_from_host_async(s.device_inputs[i], s.staged_inputs[i], bytes, Lane::Compute);
  }
  std::vector<const void*> dev_in(s.device_inputs.begin(), s.device_inputs.end());
  s.executable->run(dev_in, s.device_outputs, times);
  for (size_t i = 0; i < out.size(); ++i)
    s.device->copy_to_host_async(s.staged_outputs[i], s.device_outputs[i], value_bytes(g.value(s.segment.outputs[i])),
                                 Lane::Compute);
  s.device->record(Lane::Compute)->wait();
  for (size_t i = 0; i < out.size(); ++i)
    std::memcpy(out[i], s.staged_outputs[i], value_bytes(g.value(s.segment.outputs[i])));
  return results;
}

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) {
  std::lock_guard<std::mutex> lock(impl_->running);
  if (impl_->auto_runner) return impl_->auto_runner->run(inputs);
  return execute(*impl_, inputs, nullptr);
}

std::vector<Tensor> Session::run_profiled(const std::vector<Tensor>& inputs, std::vector<LayerTime>& layers) {
  if (impl_->auto_runner)
    fail(ErrorKind::Unsupported, "per-layer times are not available on the auto device (" + impl_->auto_name + ")");
  std::vector<NodeTime> times;
  std::vector<Tensor> results;
  {
    std::lock_guard<std::mutex> lock(impl_->running);
    results = execute(*impl_, inputs, &times);
  }
  layers.clear();
  for (const NodeTime& t : times) {
    const Node& node = impl_->graph.nodes.at(static_cast<size_t>(t.node));
    Shape shape = node.outputs.empty() ? Shape{} : impl_->graph.value(node.outputs[0]).shape;
    layers.push_back({node.name, op_label(node), shape, node_cost(node, impl_->graph).flops, t.microseconds});
  }
  return results;
}

}  // namespace tandem
