// The whole optimisation pipeline, in an order where each pass helps the next:
// identities go first (so Conv -> Identity -> BN chains fold), constants are folded
// (inferring shapes on the way, so it may run before infer_shapes), then BN folding
// and activation fusion, dead-node removal and a final shape inference.
#include "ir/passes/passes.h"
#include "ops/op.h"

namespace tandem {

void optimize_graph(Graph& graph) {
  drop_identities(graph);
  fold_constants(graph);
  fold_batchnorm(graph);
  fuse_activations(graph);
  graph.remove_dead_nodes();
  infer_shapes(graph);
}

}  // namespace tandem
