#include "model/graph.h"

#include <string>

namespace handtrack::model {

const char* OpTypeName(OpType op) {
  switch (op) {
#define HANDTRACK_OP_NAME_CASE(name, tflite_name, builtin, options) \
  case OpType::k##name:                                             \
    return tflite_name;
    HANDTRACK_OP_LIST(HANDTRACK_OP_NAME_CASE)
#undef HANDTRACK_OP_NAME_CASE
  }
  return "UNKNOWN";
}

std::string NodeLabel(const Graph& graph, int node_index) {
  const Node& node = graph.nodes[node_index];
  return std::string(OpTypeName(node.op)) + " #" + std::to_string(node.tflite_index);
}

std::string TensorLabel(const Graph& graph, int tensor) {
  return "tensor '" + graph.tensors[tensor].name + "' (#" + std::to_string(tensor) + ")";
}

}  // namespace handtrack::model
