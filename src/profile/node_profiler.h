// Profiling one model on one device: the graph prepared at one batch size, compiled
// whole as one segment, run with seeded random inputs in the device's memory; every
// node timed over repeats after warm-up, the whole run timed separately (without
// per-node timing), optionally under injected background CPU load. The graph is also
// run cut apart, every node that costs something as its own segment, which tells
// the planner what cutting the graph at a node costs on this device.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "backends/device.h"
#include "profile/profile.h"
#include "profile/whole_run.h"

namespace tandem {

class CacheStream;

struct MeasureOptions {
  int warmup = 2;            // untimed runs first
  int repeats = 10;          // at least this many timed runs...
  double min_seconds = 1.0;  // ...and at least this long measuring (timed runs of both kinds)
  int max_repeats = 1000;    // but never more runs than this
  int isolated_runs = 5;     // timed runs of the graph cut apart at every node (0: not measured)
  bool quiet_runs_only = true;  // at no injected load, medians of the quiet runs only (quiet_runs.h)
};

class NodeProfiler {
 public:
  // `loaded` is the model as loaded (load_model); it is copied and prepared at `batch`.
  NodeProfiler(const Graph& loaded, std::string model, Device& device, int64_t batch);
  ~NodeProfiler();
  NodeProfiler(const NodeProfiler&) = delete;
  NodeProfiler& operator=(const NodeProfiler&) = delete;

  // One run of the profile, measured in one stretch: `load` is the share of cores
  // kept busy (0..1) meanwhile.
  ProfileRun measure(double load, const MeasureOptions& options);
  const Graph& graph() const { return graph_; }
  // Reads `bytes` of `stream` through the caches before every run with per-node
  // times, as the rest of a model would between two runs of a layer profiled alone;
  // the nodes' features count them as read between two runs (graph_features).
  // `stream` must outlive the profiler.
  void stream_before_timed_runs(const CacheStream& stream, size_t bytes);

  // The same measurement in steps, so that several profilers' timed runs can take
  // turns (profile/interleaved.h); the caller keeps any background load running.
  void warm_up(int runs);
  // One untimed run when `settle` (caches back to this model after another ran), then
  // timed run pairs (one with per-node times, one without) until `seconds` have passed
  // or `max_pairs` were taken, at least one. Returns the seconds of the timed pairs.
  double take_turn(double seconds, int max_pairs, bool settle);
  int timed_pairs() const { return static_cast<int>(total_us_.size()); }
  // The last timed whole run's µs (0 before any).
  double last_run_us() const { return total_us_.empty() ? 0.0 : total_us_.back(); }
  // True once the timed pairs meet `options` (repeats and max_repeats) given
  // `timed_seconds` spent in take_turn so far.
  bool enough(const MeasureOptions& options, double timed_seconds) const;
  // The run from the timed pairs so far (and the cut-apart pass when options ask for
  // it); `injected_share` is the load injected meanwhile (its feature); the caller
  // sets the run's load and measured load. Clears the samples.
  ProfileRun finish(double injected_share, const MeasureOptions& options);

 private:
  // Groups of nodes that run as one segment when the graph is cut at every node that
  // costs something: that node and the nodes the device fused into it.
  std::vector<std::vector<int>> cut_groups(const ProfileRun& run) const;
  // Median µs of every group compiled as its own segment, the groups run one after
  // another in graph order with their values passed in device buffers, `runs` times
  // after a warm-up: each node with dense boundaries and the cache state a run cut
  // everywhere leaves it. 0 for a group the device cannot compile alone.
  std::vector<double> time_cut_apart(const std::vector<std::vector<int>>& groups, int runs);
  // Sets isolated_us of every costed node of `run` from time_cut_apart.
  void record_cut_apart(ProfileRun& run, int runs);
  ProfileRun summarise(const std::vector<std::vector<double>>& node_us, const std::vector<double>& total_us,
                       double load, bool quiet_only) const;

  Graph graph_;
  std::string model_;
  Device& device_;
  int64_t batch_;
  std::unique_ptr<WholeRun> whole_;  // the prepared graph compiled as one segment
  std::vector<std::vector<double>> node_us_;  // per graph node: µs of each timed pair
  std::vector<double> total_us_;              // whole-run µs of each timed pair
  const CacheStream* stream_ = nullptr;       // read before each per-node timed run
  size_t streamed_bytes_ = 0;
};

// The op with its fused activation, input shapes and attributes, e.g.
// "Conv+Relu (1, 3, 224, 224) (64, 3, 7, 7) (64) group=1 kernel_shape=7,7 pads=3,3,3,3 strides=2,2":
// nodes with equal signatures do the same work.
std::string node_signature(const Node& node, const Graph& graph);

// The name a model is profiled under: a zoo name as given, an ONNX path's file stem.
std::string model_key(const std::string& model);

// FLOPs of all nodes of a shape-inferred graph.
double graph_flops(const Graph& graph);

}  // namespace tandem
