// Per-node and whole-run latency of one model on one device at one batch and load.
#include "profile/node_profiler.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <random>
#include <sstream>

#include "ir/prepare.h"
#include "ir/zoo/zoo.h"
#include "ops/op.h"
#include "predict/features.h"
#include "profile/cpu_load.h"
#include "profile/load_generator.h"
#include "tandem/error.h"

namespace tandem {

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

size_t value_bytes(const Value& v) { return static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype); }

// Seeded uniform [-1, 1) floats; other dtypes zero (valid indices, neutral flags).
std::vector<std::byte> random_contents(const Value& v, uint64_t seed) {
  std::vector<std::byte> bytes(value_bytes(v));
  if (v.dtype != DType::f32) return bytes;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  float* p = reinterpret_cast<float*>(bytes.data());
  for (size_t i = 0; i < bytes.size() / sizeof(float); ++i) p[i] = uniform(rng);
  return bytes;
}

std::string attribute_text(const AttributeValue& value) {
  std::ostringstream out;
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, Tensor>) {
          out << "tensor" << shape_str(v.shape());
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>> || std::is_same_v<T, std::vector<float>> ||
                             std::is_same_v<T, std::vector<std::string>>) {
          for (size_t i = 0; i < v.size(); ++i) out << (i ? "," : "") << v[i];
        } else {
          out << v;
        }
      },
      value);
  return out.str();
}

}  // namespace

std::string node_signature(const Node& node, const Graph& graph) {
  std::string s = op_label(node);
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const Value* in = graph.input(node, i);
    s += ' ';
    s += in ? shape_str(in->shape) : std::string("-");
  }
  for (const auto& [name, value] : node.attrs.all())
    if (name != "activation") s += " " + name + "=" + attribute_text(value);
  return s;
}

std::string model_key(const std::string& model) {
  if (find_zoo_model(model)) return model;
  return std::filesystem::path(model).stem().string();
}

double graph_flops(const Graph& graph) {
  double flops = 0;
  for (const Node& node : graph.nodes) flops += node_cost(node, graph).flops;
  return flops;
}

NodeProfiler::NodeProfiler(const Graph& loaded, std::string model, Device& device, int64_t batch)
    : graph_(loaded), model_(std::move(model)), device_(device), batch_(batch) {
  PrepareOptions prepare;
  prepare.batch = batch;
  prepare_graph(graph_, prepare);
  segment_ = whole_graph_segment(graph_);
  executable_ = device_.compile(segment_);
  allocate_boundary(segment_, inputs_, outputs_);
  device_.synchronize();
}

void NodeProfiler::allocate_boundary(const Segment& segment, std::vector<void*>& inputs, std::vector<void*>& outputs) {
  uint64_t seed = 1;
  for (int id : segment.inputs) {
    std::vector<std::byte> contents = random_contents(graph_.value(id), seed++);
    inputs.push_back(device_.allocate(contents.size()));
    device_.copy_from_host(inputs.back(), contents.data(), contents.size());
  }
  for (int id : segment.outputs) outputs.push_back(device_.allocate(value_bytes(graph_.value(id))));
}

NodeProfiler::~NodeProfiler() {
  for (void* p : inputs_) device_.release(p);
  for (void* p : outputs_) device_.release(p);
}

void NodeProfiler::run_whole(std::vector<NodeTime>* times) {
  std::vector<const void*> in(inputs_.begin(), inputs_.end());
  executable_->run(in, outputs_, times);
  device_.synchronize();
}

double NodeProfiler::time_alone(int n, int runs) {
  Segment alone = make_segment(graph_, {n});
  std::unique_ptr<Executable> executable;
  try {
    executable = device_.compile(alone);
  } catch (const Error&) {
    return 0;
  }
  std::vector<void*> inputs, outputs;
  allocate_boundary(alone, inputs, outputs);
  std::vector<const void*> in(inputs.begin(), inputs.end());
  std::vector<double> samples;
  for (int r = 0; r <= runs; ++r) {
    Clock::time_point start = Clock::now();
    executable->run(in, outputs);
    device_.synchronize();
    if (r > 0) samples.push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
  }
  for (void* p : inputs) device_.release(p);
  for (void* p : outputs) device_.release(p);
  return spread_of(samples).median;
}

ProfileRun NodeProfiler::measure(double load, const MeasureOptions& options) {
  BackgroundLoad background(load);
  for (int i = 0; i < options.warmup; ++i) run_whole(nullptr);
  CpuLoadMeter meter;
  std::vector<std::vector<double>> node_us(graph_.nodes.size());
  std::vector<double> total_us;
  std::vector<NodeTime> times;
  Clock::time_point start = Clock::now();
  while ((static_cast<int>(total_us.size()) < options.repeats || seconds_since(start) < options.min_seconds) &&
         static_cast<int>(total_us.size()) < std::max(options.repeats, options.max_repeats)) {
    times.clear();
    run_whole(&times);
    for (const NodeTime& t : times) node_us.at(static_cast<size_t>(t.node)).push_back(t.microseconds);
    Clock::time_point run_start = Clock::now();
    run_whole(nullptr);
    total_us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - run_start).count());
  }
  ProfileRun run = summarise(node_us, total_us, background.share());
  for (size_t k = 0; k < run.nodes.size() && options.isolated_runs > 0; ++k)
    if (!run.nodes[k].fused && run.nodes[k].us.median > 0 && !graph_.nodes[static_cast<size_t>(segment_.nodes[k])].outputs.empty())
      run.nodes[k].isolated_us = time_alone(segment_.nodes[k], options.isolated_runs);
  run.load = load;
  run.measured_load = meter.busy_share().value_or(-1.0);
  run.warmup = options.warmup;
  return run;
}

ProfileRun NodeProfiler::summarise(const std::vector<std::vector<double>>& node_us,
                                   const std::vector<double>& total_us, double injected_share) const {
  ProfileRun run;
  run.model = model_;
  run.device = device_.name();
  run.batch = batch_;
  run.repeats = static_cast<int>(total_us.size());
  run.total_us = spread_of(total_us);
  for (int n : segment_.nodes) {
    const Node& node = graph_.nodes[static_cast<size_t>(n)];
    const std::vector<double>& samples = node_us[static_cast<size_t>(n)];
    NodeSample sample;
    sample.name = node.name;
    sample.signature = node_signature(node, graph_);
    sample.us = spread_of(samples);
    sample.fused = std::all_of(samples.begin(), samples.end(), [](double us) { return us == 0; });
    sample.features = node_features(node, graph_);
    sample.features.threads = device_.info().threads;
    sample.features.load = injected_share;
    run.nodes.push_back(std::move(sample));
  }
  return run;
}

}  // namespace tandem
