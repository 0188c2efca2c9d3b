#include "backend/segment_check.h"

#include <vector>

namespace handtrack::backend {

std::string SegmentLabel(const model::Graph& graph, const SegmentSpec& spec, const std::string& kind) {
  auto node_label = [&](int index) {
    return index >= 0 && index < static_cast<int>(graph.nodes.size()) ? model::NodeLabel(graph, index)
                                                                      : "node #" + std::to_string(index);
  };
  if (spec.nodes.empty()) return "empty " + kind + " segment";
  std::string label = kind + " segment " + node_label(spec.nodes.front());
  if (spec.nodes.size() > 1) label += " .. " + node_label(spec.nodes.back());
  return label;
}

Status CheckSegmentSpec(const model::Graph& graph, const SegmentSpec& spec, const std::string& label) {
  auto fail = [&](const std::string& reason) {
    return InvalidArgumentError("failed to compile " + label + ": " + reason);
  };
  if (spec.nodes.empty()) return fail("it has no nodes");
  const int num_tensors = static_cast<int>(graph.tensors.size());
  enum class Role { kNone, kInput, kOutput };
  std::vector<Role> roles(num_tensors, Role::kNone);
  for (const std::vector<int>* list : {&spec.inputs, &spec.outputs}) {
    for (int tensor : *list) {
      if (tensor < 0 || tensor >= num_tensors)
        return fail("tensor #" + std::to_string(tensor) + " is out of range");
      if (roles[tensor] != Role::kNone) return fail(TensorLabel(graph, tensor) + " is listed twice");
      if (graph.tensors[tensor].is_constant) return fail(TensorLabel(graph, tensor) + " is a constant");
      roles[tensor] = list == &spec.inputs ? Role::kInput : Role::kOutput;
    }
  }
  std::vector<bool> available(num_tensors, false);
  for (int tensor : spec.inputs) available[tensor] = true;
  for (int node_index : spec.nodes) {
    if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
      return fail("node #" + std::to_string(node_index) + " is out of range");
    }
    const model::Node& node = graph.nodes[node_index];
    for (int tensor : node.inputs) {
      if (tensor >= num_tensors)
        return fail(model::NodeLabel(graph, node_index) + " reads a tensor out of range");
      if (tensor < 0 || graph.tensors[tensor].is_constant) continue;
      if (!available[tensor]) {
        return fail(model::NodeLabel(graph, node_index) + " reads " + TensorLabel(graph, tensor) +
                    ", which is neither a segment input nor produced before it");
      }
    }
    for (int tensor : node.outputs) {
      if (tensor < 0 || tensor >= num_tensors) {
        return fail(model::NodeLabel(graph, node_index) + " writes a tensor out of range");
      }
      if (roles[tensor] == Role::kInput) {
        return fail(TensorLabel(graph, tensor) + " is a segment input that one of its nodes produces");
      }
      available[tensor] = true;
    }
  }
  for (int tensor : spec.outputs) {
    if (!available[tensor])
      return fail(TensorLabel(graph, tensor) + " is a segment output that no node of it produces");
  }
  return Status::Ok();
}

Status CheckHostBuffers(const model::Graph& graph, const std::vector<int>& needed, const HostTensors& tensors,
                        const std::string& label) {
  for (const int tensor : needed) {
    if (tensor < 0 || tensor >= static_cast<int>(tensors.data.size()) || tensors.data[tensor] == nullptr) {
      return InvalidArgumentError("failed to run " + label + ": " + TensorLabel(graph, tensor) +
                                  " has no host buffer");
    }
  }
  return Status::Ok();
}

}  // namespace handtrack::backend
