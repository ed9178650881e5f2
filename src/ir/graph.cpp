// Graph bookkeeping: values, lookups, producers/consumers, topological order.
#include "ir/graph.h"

#include <algorithm>
#include <queue>
#include <unordered_map>

#include "tandem/error.h"

namespace tandem {

template <class T>
static const T& typed_attribute(const Attributes& attrs, const std::string& name, const AttributeValue& v) {
  const T* p = std::get_if<T>(&v);
  if (!p) fail(ErrorKind::InvalidModel, "attribute '" + name + "' has an unexpected type");
  (void)attrs;
  return *p;
}

int64_t Attributes::get_int(const std::string& name, int64_t fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : typed_attribute<int64_t>(*this, name, it->second);
}

float Attributes::get_float(const std::string& name, float fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  if (auto* i = std::get_if<int64_t>(&it->second)) return static_cast<float>(*i);
  return typed_attribute<float>(*this, name, it->second);
}

std::string Attributes::get_string(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : typed_attribute<std::string>(*this, name, it->second);
}

std::vector<int64_t> Attributes::get_ints(const std::string& name, const std::vector<int64_t>& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : typed_attribute<std::vector<int64_t>>(*this, name, it->second);
}

std::vector<float> Attributes::get_floats(const std::string& name, const std::vector<float>& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : typed_attribute<std::vector<float>>(*this, name, it->second);
}

const Tensor* Attributes::get_tensor(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? nullptr : &typed_attribute<Tensor>(*this, name, it->second);
}

int Graph::add_value(std::string value_name, DType dtype, Shape shape) {
  values.push_back(Value{std::move(value_name), dtype, std::move(shape), std::nullopt});
  return static_cast<int>(values.size()) - 1;
}

int Graph::add_constant(std::string value_name, Tensor data) {
  int id = add_value(std::move(value_name), data.dtype(), data.shape());
  values.back().data = std::move(data);
  return id;
}

int Graph::find_value(const std::string& value_name) const {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i].name == value_name) return static_cast<int>(i);
  return kNoValue;
}

std::string Graph::unique_name(const std::string& stem) const {
  std::unordered_map<std::string, bool> taken;
  for (const Value& v : values) taken[v.name] = true;
  if (!taken.count(stem)) return stem;
  for (int i = 1;; ++i) {
    std::string candidate = stem + "_" + std::to_string(i);
    if (!taken.count(candidate)) return candidate;
  }
}

const Value* Graph::input(const Node& node, size_t i) const {
  if (i >= node.inputs.size() || node.inputs[i] == kNoValue) return nullptr;
  return &value(node.inputs[i]);
}

std::vector<int> Graph::producers() const {
  std::vector<int> producer(values.size(), -1);
  for (size_t n = 0; n < nodes.size(); ++n)
    for (int out : nodes[n].outputs)
      if (out != kNoValue) producer[static_cast<size_t>(out)] = static_cast<int>(n);
  return producer;
}

std::vector<std::vector<int>> Graph::consumers() const {
  std::vector<std::vector<int>> users(values.size());
  for (size_t n = 0; n < nodes.size(); ++n)
    for (int in : nodes[n].inputs)
      if (in != kNoValue) users[static_cast<size_t>(in)].push_back(static_cast<int>(n));
  return users;
}

void Graph::sort_topologically() {
  std::vector<int> producer = producers();
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> dependents(nodes.size());
  for (size_t n = 0; n < nodes.size(); ++n) {
    for (int in : nodes[n].inputs) {
      if (in == kNoValue) continue;
      int p = producer[static_cast<size_t>(in)];
      if (p >= 0) {
        ++pending[n];
        dependents[static_cast<size_t>(p)].push_back(static_cast<int>(n));
      } else if (!values[static_cast<size_t>(in)].is_constant() &&
                 std::find(inputs.begin(), inputs.end(), in) == inputs.end()) {
        fail(ErrorKind::InvalidModel, describe(nodes[n]) + " reads '" + values[static_cast<size_t>(in)].name +
                                          "', which no node, initializer or graph input provides");
      }
    }
  }
  // Kahn's algorithm; a min-queue on the original index keeps the order stable.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (size_t n = 0; n < nodes.size(); ++n)
    if (pending[n] == 0) ready.push(static_cast<int>(n));
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  while (!ready.empty()) {
    int n = ready.top();
    ready.pop();
    sorted.push_back(nodes[static_cast<size_t>(n)]);
    for (int d : dependents[static_cast<size_t>(n)])
      if (--pending[static_cast<size_t>(d)] == 0) ready.push(d);
  }
  if (sorted.size() != nodes.size()) fail(ErrorKind::InvalidModel, "graph '" + name + "' has a cycle");
  nodes = std::move(sorted);
}

void Graph::remove_dead_nodes() {
  std::vector<bool> needed(values.size(), false);
  for (int out : outputs) needed[static_cast<size_t>(out)] = true;
  std::vector<bool> keep(nodes.size(), false);
  for (size_t n = nodes.size(); n-- > 0;) {
    for (int out : nodes[n].outputs)
      if (out != kNoValue && needed[static_cast<size_t>(out)]) keep[n] = true;
    if (!keep[n]) continue;
    for (int in : nodes[n].inputs)
      if (in != kNoValue) needed[static_cast<size_t>(in)] = true;
  }
  std::vector<Node> kept;
  for (size_t n = 0; n < nodes.size(); ++n)
    if (keep[n]) kept.push_back(std::move(nodes[n]));
  nodes = std::move(kept);
}

void Graph::replace_uses(int from, int to) {
  for (Node& node : nodes)
    for (int& in : node.inputs)
      if (in == from) in = to;
  for (int& out : outputs)
    if (out == from) out = to;
}

std::string describe(const Node& node) { return node.op + " '" + node.name + "'"; }

bool touches_empty_value(const Node& node, const Graph& graph) {
  for (const std::vector<int>* ids : {&node.inputs, &node.outputs})
    for (int id : *ids)
      if (id != kNoValue && is_empty(graph.value(id))) return true;
  return false;
}

std::string op_label(const Node& node) {
  std::string activation = node.attrs.has("activation") ? node.attrs.get_string("activation", "") : "";
  return activation.empty() ? node.op : node.op + "+" + activation;
}

}  // namespace tandem
