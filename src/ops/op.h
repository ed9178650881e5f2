// The op contract: every op tandem claims has one OpDef, in one file under src/ops/.
// An OpDef validates a node's attributes and inputs, infers its outputs' shapes and
// dtypes, counts its FLOPs and runs it with plain loops (the reference kernel, the
// oracle every backend is compared against).
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace tandem {

struct OpDef {
  std::string_view type;  // ONNX op type
  int since_opset = 1;    // oldest opset whose semantics this def implements
  // Checks attributes and input shapes/dtypes and sets the shape and dtype of every
  // output value of `node` in `graph`. Inputs already carry shapes (and data, when
  // constant). Throws Error(InvalidModel | Unsupported) naming the node.
  void (*infer)(const Node& node, Graph& graph) = nullptr;
  // Computes outputs from inputs; outputs arrive allocated with inferred shapes.
  // Absent optional inputs are empty tensors.
  void (*reference)(const Node& node, const std::vector<Tensor>& inputs,
                    std::vector<Tensor>& outputs) = nullptr;
  // Multiply-adds count as 2 FLOPs. Nullptr: one FLOP per output element.
  double (*flops)(const Node& node, const Graph& graph) = nullptr;
};

// nullptr if tandem has no such op.
const OpDef* find_op(std::string_view type);
// Ops the ONNX importer accepts, sorted.
std::vector<std::string> supported_op_types();

// Runs infer for every node in order (the graph must be topologically sorted).
void infer_shapes(Graph& graph);

struct NodeCost {
  double flops = 0;
  double params = 0;        // elements of constant inputs (weights)
  double input_bytes = 0;   // non-constant inputs
  double weight_bytes = 0;  // constant inputs
  double output_bytes = 0;
};
NodeCost node_cost(const Node& node, const Graph& graph);

// Runs a node's reference kernel on host tensors (allocating outputs).
std::vector<Tensor> run_reference(const Node& node, const Graph& graph,
                                  const std::vector<Tensor>& inputs);

}  // namespace tandem
