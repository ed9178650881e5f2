// The features that latency predictors read for one node on one device: what the
// node computes (FLOPs, bytes, window geometry, channels, batch) and the conditions
// it ran under (threads, CPU load). The profiler stores them with every measured
// node, so predictors train without reloading models; the planner extracts them for
// nodes it has never seen.
#pragma once
#include <string>
#include <vector>

#include "ir/graph.h"

namespace tandem {

// What a node reads from or writes to, as far as it changes the node's own cost on a
// device: the layout the neighbour produces or wants, whether the node can work in
// place. E.g. a 3x3 convolution feeding a 1x1 one writes another layout, and runs at
// another speed, than one feeding a 3x3 convolution.
enum class Neighbour { None = 0, Conv1x1 = 1, Conv3x3 = 2, OtherConv = 3, Pool = 4, Concat = 5, Other = 6 };
constexpr int kNeighbourKinds = 7;

struct NodeFeatures {
  std::string op;            // ONNX op type, e.g. "Conv"
  double flops = 0;          // multiply-adds count 2
  double input_bytes = 0;    // non-constant inputs
  double output_bytes = 0;
  double weight_bytes = 0;   // constant inputs
  double kernel = 1;         // window elements (kh * kw), 1 for non-window ops
  double stride = 1;         // first spatial stride
  double in_channels = 0;    // dim 1 of input 0 (or its last dim for rank-2 inputs)
  double out_channels = 0;   // dim 1 of output 0 (or its last dim for rank-2 outputs)
  double spatial = 1;        // output spatial elements (H_out * W_out)
  double groups = 1;
  double batch = 1;          // dim 0 of output 0
  double threads = 1;        // of the device it ran on
  double load = 0;           // extra CPU load while it ran, 0..1 of all cores busy
  double producer = 0;       // Neighbour of input 0's producer (None: graph input)
  double consumer = 0;       // Neighbour of output 0's first reader (None: graph output only)
  // 1 when output 0 is read by an Add or Sum: a residual connection, which backends
  // fuse into the node (the cpu backend as a post-op), so the node also reads the
  // other summand and adds it. Profiles written before it existed read it as 0.
  double residual_add = 0;
  // Bytes one run of the whole graph touches: its constants and every tensor it reads
  // or computes. Between two runs of a node the rest of the graph streams this much
  // through the caches, so it tells whether the node's weights are still cached (a
  // 2 MB FC layer inside ResNet-18 reads them from DRAM, alone between two convs from
  // cache). Profiles written before it read it as 0.
  double graph_bytes = 0;
  // Concat only: bytes of its inputs whose producers write straight into the Concat's
  // output on the cpu backend (its own Winograd and depthwise kernels, when
  // channels last; predict/host_execution.h), so that the Concat need not copy them.
  // Profiles written before it read it as 0.
  double in_place_input_bytes = 0;
  // Bytes the graph touched between the write of input 0 and this node's run (its
  // reuse distance): the producer's other inputs and weights, and every value the
  // nodes run in between read or wrote, each once. Small: the input is still in the
  // caches. A depthwise conv after a 16->96 channel 1x1 conv finds more of its input
  // there than after a 96->96 one, and took 0.6x as long (4x96x112x112). A graph input
  // was last read in the run before: graph_bytes. Profiles written before it read it
  // as 0.
  double input_reuse_bytes = 0;
  // 1 when the device keeps conv activations channels last (DeviceInfo), set by the
  // profiler and, when predicting, by the predictor from its device's samples. Read by
  // host_execution only, not a model input.
  double channels_last = 0;
};

// Features of `node`, one of the nodes of the shape-inferred `graph`; threads and load
// are left for the caller.
NodeFeatures node_features(const Node& node, const Graph& graph);
// node_features of every node, in node order, with the graph's producers and consumers
// gathered once (node_features gathers them for its one node). `between_runs_bytes`:
// bytes read between two runs of the graph (the profiler's cache stream), counted in
// graph_bytes and in the reuse distance of a graph input, which spans two runs.
std::vector<NodeFeatures> graph_features(const Graph& graph, double between_runs_bytes = 0);

// The numeric features in a fixed order (feature_names() gives the names).
std::vector<double> feature_vector(const NodeFeatures& f);
const std::vector<std::string>& feature_names();

}  // namespace tandem
