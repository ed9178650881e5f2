// Per-node and whole-run latency of one model on one device at one batch and load.
#include "profile/node_profiler.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <numeric>
#include <set>
#include <sstream>

#include "core/clock.h"
#include "ir/prepare.h"
#include "ir/zoo/zoo.h"
#include "ops/op.h"
#include "predict/features.h"
#include "profile/cache_stream.h"
#include "profile/cpu_load.h"
#include "profile/load_generator.h"
#include "profile/quiet_runs.h"
#include "profile/whole_run.h"
#include "tandem/error.h"

namespace tandem {

namespace {

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
  whole_ = std::make_unique<WholeRun>(graph_, device_);
}

NodeProfiler::~NodeProfiler() = default;

// Groups of segment_ positions to cut apart: each node that costs something with the
// fused nodes after it (their work is in its time).
std::vector<std::vector<int>> NodeProfiler::cut_groups(const ProfileRun& run) const {
  std::vector<std::vector<int>> groups;
  for (size_t k = 0; k < run.nodes.size(); ++k) {
    const Node& node = graph_.nodes[static_cast<size_t>(whole_->segment().nodes[k])];
    if (!groups.empty() && run.nodes[k].fused) groups.back().push_back(whole_->segment().nodes[k]);
    else if (!node.outputs.empty()) groups.push_back({whole_->segment().nodes[k]});
  }
  return groups;
}

std::vector<double> NodeProfiler::time_cut_apart(const std::vector<std::vector<int>>& groups, int runs) {
  std::vector<Segment> segments;
  std::vector<std::unique_ptr<Executable>> executables;
  std::map<int, size_t> last_use;  // value -> last group reading it (or producing it, if unread)
  for (const std::vector<int>& nodes : groups) {
    segments.push_back(make_segment(graph_, nodes));
    try {
      executables.push_back(device_.compile(segments.back()));
    } catch (const Error&) {
      executables.push_back(nullptr);  // left out: its values keep their seeded contents
    }
    for (int v : segments.back().inputs) last_use[v] = segments.size() - 1;
    for (int v : segments.back().outputs) last_use.emplace(v, segments.size() - 1);
  }
  // Seeded contents, made once, for the values read before any compiled group writes
  // them (graph inputs, outputs of groups left out); every other value is written by
  // its producer before it is read.
  std::map<int, std::vector<std::byte>> seeded;
  std::set<int> written;
  uint64_t seed = 1;
  for (size_t g = 0; g < segments.size(); ++g) {
    for (int v : segments[g].inputs)
      if (!written.count(v) && !seeded.count(v)) seeded.emplace(v, random_contents(graph_.value(v), seed++));
    if (executables[g]) written.insert(segments[g].outputs.begin(), segments[g].outputs.end());
  }
  std::vector<std::vector<double>> samples(groups.size());
  for (int r = 0; r <= runs; ++r) {
    std::map<int, void*> buffers;  // value -> device memory, freed after its last use
    auto buffer = [&](int v) {
      auto [it, fresh] = buffers.emplace(v, nullptr);
      if (fresh) {
        it->second = device_.allocate(value_bytes(graph_.value(v)));
        if (auto contents = seeded.find(v); contents != seeded.end())
          device_.copy_from_host(it->second, contents->second.data(), contents->second.size());
      }
      return it->second;
    };
    for (size_t g = 0; g < segments.size(); ++g) {
      std::vector<const void*> in;
      std::vector<void*> out;
      for (int v : segments[g].inputs) in.push_back(buffer(v));
      for (int v : segments[g].outputs) out.push_back(buffer(v));
      device_.synchronize();
      Clock::time_point start = Clock::now();
      if (executables[g]) {
        executables[g]->run(in, out);
        device_.synchronize();
      }
      if (r > 0 && executables[g]) samples[g].push_back(std::chrono::duration<double, std::micro>(Clock::now() - start).count());
      for (auto it = buffers.begin(); it != buffers.end();)
        if (last_use.at(it->first) == g) {
          device_.release(it->second);
          it = buffers.erase(it);
        } else {
          ++it;
        }
    }
  }
  std::vector<double> medians;
  for (const std::vector<double>& group_samples : samples) medians.push_back(spread_of(group_samples).median);
  return medians;
}

ProfileRun NodeProfiler::measure(double load, const MeasureOptions& options) {
  BackgroundLoad background(load);
  CpuLoadMeter meter;
  warm_up(options.warmup);
  double timed_seconds = 0;
  while (!enough(options, timed_seconds)) timed_seconds += take_turn(0, 1, false);
  ProfileRun run = finish(background.share(), options);
  run.load = load;
  run.measured_load = meter.busy_share().value_or(-1.0);
  return run;
}

void NodeProfiler::warm_up(int runs) {
  for (int i = 0; i < runs; ++i) whole_->run_us();
}

void NodeProfiler::stream_before_timed_runs(const CacheStream& stream, size_t bytes) {
  stream_ = &stream;
  streamed_bytes_ = std::min(bytes, stream.bytes());
}

double NodeProfiler::take_turn(double seconds, int max_pairs, bool settle) {
  if (settle) whole_->run_us();
  Clock::time_point timed = Clock::now();
  node_us_.resize(graph_.nodes.size());
  std::vector<NodeTime> times;
  for (int pair = 0; pair < std::max(1, max_pairs) && (pair == 0 || seconds_since(timed) < seconds); ++pair) {
    times.clear();
    if (stream_) stream_->pass(streamed_bytes_);
    whole_->run_us(&times);
    for (const NodeTime& t : times) node_us_.at(static_cast<size_t>(t.node)).push_back(t.microseconds);
    total_us_.push_back(whole_->run_us());
  }
  return seconds_since(timed);
}

bool NodeProfiler::enough(const MeasureOptions& options, double timed_seconds) const {
  int pairs = timed_pairs();
  if (pairs >= std::max(options.repeats, options.max_repeats)) return true;
  return pairs >= options.repeats && timed_seconds >= options.min_seconds;
}

ProfileRun NodeProfiler::finish(double injected_share, const MeasureOptions& options) {
  node_us_.resize(graph_.nodes.size());
  ProfileRun run = summarise(node_us_, total_us_, injected_share, options.quiet_runs_only);
  node_us_.clear();
  total_us_.clear();
  if (options.isolated_runs > 0) record_cut_apart(run, options.isolated_runs);
  run.warmup = options.warmup;
  return run;
}

void NodeProfiler::record_cut_apart(ProfileRun& run, int runs) {
  std::map<int, size_t> position;  // graph node -> index in run.nodes
  for (size_t k = 0; k < whole_->segment().nodes.size(); ++k) position[whole_->segment().nodes[k]] = k;
  std::vector<std::vector<int>> groups = cut_groups(run);
  std::vector<double> us = time_cut_apart(groups, runs);
  for (size_t g = 0; g < groups.size(); ++g) {
    NodeSample& first = run.nodes[position.at(groups[g].front())];
    if (first.us.median > 0) first.isolated_us = us[g];
  }
}

ProfileRun NodeProfiler::summarise(const std::vector<std::vector<double>>& node_us,
                                   const std::vector<double>& total_us, double injected_share,
                                   bool quiet_only) const {
  ProfileRun run;
  run.model = model_;
  run.device = device_.name();
  run.batch = batch_;
  run.repeats = static_cast<int>(total_us.size());
  // The pairs kept: at no injected load those whose node-timed run was quiet; under
  // load the slow runs are the load's doing, which the load feature is to learn.
  std::vector<size_t> kept(total_us.size());
  std::iota(kept.begin(), kept.end(), size_t{0});
  if (quiet_only && injected_share == 0) kept = quiet_runs(run_sums(node_us, total_us.size()));
  run.quiet_repeats = static_cast<int>(kept.size());
  run.total_us = spread_of(samples_at(total_us, kept));
  const std::vector<NodeFeatures> features = graph_features(graph_, static_cast<double>(streamed_bytes_));
  for (int n : whole_->segment().nodes) {
    const Node& node = graph_.nodes[static_cast<size_t>(n)];
    const std::vector<double>& samples = node_us[static_cast<size_t>(n)];
    NodeSample sample;
    sample.name = node.name;
    sample.signature = node_signature(node, graph_);
    sample.us = spread_of(samples_at(samples, kept));
    sample.fused = std::all_of(samples.begin(), samples.end(), [](double us) { return us == 0; });
    sample.features = features[static_cast<size_t>(n)];
    sample.features.threads = device_.info().threads;
    sample.features.channels_last = device_.info().channels_last ? 1 : 0;
    sample.features.load = injected_share;
    run.nodes.push_back(std::move(sample));
  }
  return run;
}

}  // namespace tandem
