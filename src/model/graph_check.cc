// Graph-level dataflow checks: what the planner and every backend assume of a
// graph beyond the per-node shape rules (shape_check.cc).
#include <algorithm>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "model/tflite_reader.h"

namespace handtrack::model {
namespace {

class StructureChecker {
 public:
  explicit StructureChecker(Graph& graph) : graph_(graph) {}

  Status Check() {
    if (graph_.nodes.empty()) return Fail("it has no operators");
    if (graph_.outputs.empty()) return Fail("it has no outputs");
    HT_RETURN_IF_ERROR(CheckIndices());
    HT_RETURN_IF_ERROR(FindProducers());
    HT_RETURN_IF_ERROR(CheckInputsAndOutputs());
    HT_RETURN_IF_ERROR(CheckReads());
    return PutInExecutionOrder();
  }

 private:
  Status Fail(const std::string& reason) const {
    return InvalidModelError("failed to read model " + graph_.name + ": " + reason);
  }

  std::string TensorLabel(int t) const { return model::TensorLabel(graph_, t); }

  int num_tensors() const { return static_cast<int>(graph_.tensors.size()); }
  int num_nodes() const { return static_cast<int>(graph_.nodes.size()); }

  // The reader range-checks every index; graphs built by hand may not be.
  Status CheckIndices() const {
    auto check = [&](int t, bool allow_absent, const std::string& where) -> Status {
      if ((t == -1 && allow_absent) || (t >= 0 && t < num_tensors())) return Status::Ok();
      return Fail(where + " refers to tensor #" + std::to_string(t) + ", out of range (" +
                  std::to_string(num_tensors()) + " tensors)");
    };
    for (int t : graph_.inputs) HT_RETURN_IF_ERROR(check(t, false, "a graph input"));
    for (int t : graph_.outputs) HT_RETURN_IF_ERROR(check(t, false, "a graph output"));
    for (int n = 0; n < num_nodes(); ++n) {
      for (int t : graph_.nodes[n].inputs) HT_RETURN_IF_ERROR(check(t, true, NodeLabel(graph_, n)));
      for (int t : graph_.nodes[n].outputs) HT_RETURN_IF_ERROR(check(t, false, NodeLabel(graph_, n)));
    }
    return Status::Ok();
  }

  Status FindProducers() {
    producer_.assign(graph_.tensors.size(), -1);
    for (int n = 0; n < num_nodes(); ++n) {
      for (int t : graph_.nodes[n].outputs) {
        if (producer_[t] >= 0) {
          return Fail(TensorLabel(t) + " is written by two operators, " + NodeLabel(graph_, producer_[t]) +
                      " and " + NodeLabel(graph_, n));
        }
        if (graph_.tensors[t].is_constant) {
          return Fail(TensorLabel(t) + " is a constant, yet " + NodeLabel(graph_, n) + " writes it");
        }
        producer_[t] = n;
      }
    }
    return Status::Ok();
  }

  Status CheckInputsAndOutputs() const {
    std::vector<char> is_input(graph_.tensors.size(), 0);
    for (int t : graph_.inputs) {
      if (producer_[t] >= 0) {
        return Fail("graph input " + TensorLabel(t) + " is also written by " +
                    NodeLabel(graph_, producer_[t]));
      }
      is_input[t] = 1;
    }
    for (int t : graph_.outputs) {
      if (is_input[t]) return Fail(TensorLabel(t) + " is both a graph input and a graph output");
      if (graph_.tensors[t].is_constant) return Fail("graph output " + TensorLabel(t) + " is a constant");
      if (producer_[t] < 0) return Fail("graph output " + TensorLabel(t) + " is written by no operator");
    }
    return Status::Ok();
  }

  Status CheckReads() const {
    std::vector<char> is_input(graph_.tensors.size(), 0);
    for (int t : graph_.inputs) is_input[t] = 1;
    for (int n = 0; n < num_nodes(); ++n) {
      for (int t : graph_.nodes[n].inputs) {
        if (t < 0 || graph_.tensors[t].is_constant || is_input[t] || producer_[t] >= 0) continue;
        return Fail(NodeLabel(graph_, n) + " reads " + TensorLabel(t) +
                    ", which is not a constant, not a graph input and written by no operator");
      }
    }
    return Status::Ok();
  }

  // Nodes are expected in execution order; when one reads what a later (or
  // the same) node writes, a stable Kahn sort restores the order, keeping the
  // file's order among independent nodes.
  Status PutInExecutionOrder() {
    bool ordered = true;
    for (int n = 0; n < num_nodes() && ordered; ++n) {
      for (int t : graph_.nodes[n].inputs) {
        if (t >= 0 && producer_[t] >= n) ordered = false;
      }
    }
    if (ordered) return Status::Ok();

    // One edge per (reading node, input slot) whose tensor a node writes.
    std::vector<int> pending(graph_.nodes.size(), 0);
    std::vector<std::vector<int>> readers(graph_.nodes.size());
    for (int n = 0; n < num_nodes(); ++n) {
      for (int t : graph_.nodes[n].inputs) {
        if (t < 0 || producer_[t] < 0) continue;
        ++pending[n];
        readers[producer_[t]].push_back(n);
      }
    }
    std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
    for (int n = 0; n < num_nodes(); ++n) {
      if (pending[n] == 0) ready.push(n);
    }
    std::vector<int> order;
    order.reserve(graph_.nodes.size());
    while (!ready.empty()) {
      const int n = ready.top();
      ready.pop();
      order.push_back(n);
      for (int reader : readers[n]) {
        if (--pending[reader] == 0) ready.push(reader);
      }
    }
    if (static_cast<int>(order.size()) != num_nodes()) {
      return Fail("the operators form a cycle through " + TensorLabel(TensorOnCycle(pending)));
    }
    std::vector<Node> nodes;
    nodes.reserve(graph_.nodes.size());
    for (int n : order) nodes.push_back(std::move(graph_.nodes[n]));
    graph_.nodes = std::move(nodes);
    return Status::Ok();
  }

  // After a failed sort every unsorted node reads a tensor that another
  // unsorted node writes; walking those writers backwards must revisit a node,
  // and the tensor that leads back to it lies on a cycle.
  int TensorOnCycle(const std::vector<int>& pending) const {
    int n = static_cast<int>(std::find_if(pending.begin(), pending.end(), [](int p) { return p > 0; }) -
                             pending.begin());
    std::vector<char> visited(graph_.nodes.size(), 0);
    int tensor = -1;
    while (n < num_nodes() && !visited[n]) {
      visited[n] = 1;
      int next = num_nodes();
      for (int t : graph_.nodes[n].inputs) {
        if (t >= 0 && producer_[t] >= 0 && pending[producer_[t]] > 0) {
          next = producer_[t];
          tensor = t;
          break;
        }
      }
      n = next;
    }
    return tensor;
  }

  Graph& graph_;
  std::vector<int> producer_;  // per tensor: the node that writes it, or -1
};

}  // namespace

Status CheckGraphStructure(Graph& graph) { return StructureChecker(graph).Check(); }

}  // namespace handtrack::model
