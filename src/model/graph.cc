#include "model/graph.h"

#include <string>

namespace handtrack::model {

const char* OpTypeName(OpType op) {
  switch (op) {
    case OpType::kAdd: return "ADD";
    case OpType::kAveragePool2D: return "AVERAGE_POOL_2D";
    case OpType::kConcatenation: return "CONCATENATION";
    case OpType::kConv2D: return "CONV_2D";
    case OpType::kDepthwiseConv2D: return "DEPTHWISE_CONV_2D";
    case OpType::kFullyConnected: return "FULLY_CONNECTED";
    case OpType::kLogistic: return "LOGISTIC";
    case OpType::kMaxPool2D: return "MAX_POOL_2D";
    case OpType::kMean: return "MEAN";
    case OpType::kPad: return "PAD";
    case OpType::kPRelu: return "PRELU";
    case OpType::kRelu: return "RELU";
    case OpType::kRelu6: return "RELU6";
    case OpType::kReshape: return "RESHAPE";
    case OpType::kResizeBilinear: return "RESIZE_BILINEAR";
  }
  return "UNKNOWN";
}

std::string NodeLabel(const Graph& graph, int node_index) {
  const Node& node = graph.nodes[node_index];
  return std::string(OpTypeName(node.op)) + " #" + std::to_string(node.tflite_index);
}

}  // namespace handtrack::model
