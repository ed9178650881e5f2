// The graph IR: values (tensors flowing between nodes, some holding constant data
// such as weights) and nodes (op type, attributes, input/output value ids).
// Value ids are indices into Graph::values and stay stable while passes rewrite nodes.
#pragma once
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "tandem/tensor.h"

namespace tandem {

using AttributeValue = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                                    std::vector<float>, std::vector<std::string>, Tensor>;

class Attributes {
 public:
  bool has(const std::string& name) const { return values_.count(name) != 0; }
  void set(const std::string& name, AttributeValue value) { values_[name] = std::move(value); }
  void erase(const std::string& name) { values_.erase(name); }
  const std::map<std::string, AttributeValue>& all() const { return values_; }

  // Typed getters: a missing attribute gives the fallback; a wrong type throws
  // Error(InvalidModel) naming the attribute.
  int64_t get_int(const std::string& name, int64_t fallback) const;
  float get_float(const std::string& name, float fallback) const;
  std::string get_string(const std::string& name, const std::string& fallback) const;
  std::vector<int64_t> get_ints(const std::string& name,
                                const std::vector<int64_t>& fallback = {}) const;
  std::vector<float> get_floats(const std::string& name,
                                const std::vector<float>& fallback = {}) const;
  const Tensor* get_tensor(const std::string& name) const;

 private:
  std::map<std::string, AttributeValue> values_;
};

struct Value {
  std::string name;
  DType dtype = DType::f32;
  Shape shape;                  // filled by shape inference
  std::optional<Tensor> data;   // set for initializers and folded constants
  bool is_constant() const { return data.has_value(); }
};

// Bytes of the value's dense contents: its shape's elements times its dtype's size.
inline size_t value_bytes(const Value& v) { return static_cast<size_t>(num_elements(v.shape)) * dtype_size(v.dtype); }
// Whether `v` has no elements (a zero dimension, e.g. a batch of 0).
inline bool is_empty(const Value& v) { return num_elements(v.shape) == 0; }

inline constexpr int kNoValue = -1;  // an absent optional input

struct Node {
  std::string name;
  std::string op;               // ONNX op type, e.g. "Conv"
  std::vector<int> inputs;      // value ids; kNoValue for an absent optional input
  std::vector<int> outputs;     // value ids
  Attributes attrs;
};

class Graph {
 public:
  std::string name;
  int64_t opset = 17;
  std::vector<Value> values;
  std::vector<Node> nodes;      // kept in topological order by passes
  std::vector<int> inputs;      // graph inputs (non-constant)
  std::vector<int> outputs;

  int add_value(std::string value_name, DType dtype = DType::f32, Shape shape = {});
  int add_constant(std::string value_name, Tensor data);
  int find_value(const std::string& value_name) const;  // kNoValue if absent
  // A fresh value name, unique in this graph, starting with `stem`.
  std::string unique_name(const std::string& stem) const;

  const Value& value(int id) const { return values.at(static_cast<size_t>(id)); }
  Value& value(int id) { return values.at(static_cast<size_t>(id)); }
  // Input i of node as a Value; nullptr when absent.
  const Value* input(const Node& node, size_t i) const;
  const Value& output(const Node& node, size_t i) const { return value(node.outputs.at(i)); }

  // For each value id: index of the node producing it, or -1 (graph input/constant).
  std::vector<int> producers() const;
  // For each value id: indices of nodes reading it.
  std::vector<std::vector<int>> consumers() const;
  // Reorders `nodes` topologically; throws InvalidModel on a cycle or an input
  // that nothing produces.
  void sort_topologically();
  // Drops nodes whose outputs reach no graph output.
  void remove_dead_nodes();
  // Rewrites every use of value `from` (node inputs and graph outputs) to `to`.
  void replace_uses(int from, int to);
};

// "Conv 'conv1'" for error messages.
std::string describe(const Node& node);
// Whether `node` reads or writes a value with no elements (a zero dimension).
bool touches_empty_value(const Node& node, const Graph& graph);
// The op type with a fused activation, e.g. "Conv+Relu", for tables.
std::string op_label(const Node& node);

}  // namespace tandem
