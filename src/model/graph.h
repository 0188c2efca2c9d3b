// The in-memory model graph that every backend consumes.
//
// Built by the .tflite reader after full verification: every tensor index is
// in range, every shape is known and static, constants are float32 (fp16
// weights were converted once at load, their DEQUANTIZE nodes removed) or
// int32 (shape operands). Nodes are in execution (topological) order.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "model/op_list.h"

namespace handtrack::model {

enum class DataType { kFloat32, kInt32 };

#define HANDTRACK_OP_ENUMERATOR(name, tflite_name, builtin, options) k##name,
enum class OpType { HANDTRACK_OP_LIST(HANDTRACK_OP_ENUMERATOR) };
#undef HANDTRACK_OP_ENUMERATOR
#define HANDTRACK_OP_COUNT(name, tflite_name, builtin, options) +1
inline constexpr int kNumOpTypes = 0 HANDTRACK_OP_LIST(HANDTRACK_OP_COUNT);
#undef HANDTRACK_OP_COUNT

const char* OpTypeName(OpType op);  // TFLite's name, e.g. "CONV_2D"

enum class Activation { kNone, kRelu, kReluN1To1, kRelu6 };
enum class Padding { kSame, kValid };

// Attributes of a node; only the fields of its op type are meaningful.
struct NodeParams {
  Activation activation = Activation::kNone;  // ADD, CONV, DEPTHWISE, FC, POOL, CONCAT
  Padding padding = Padding::kSame;           // CONV, DEPTHWISE, POOL
  int stride_h = 1, stride_w = 1;             // CONV, DEPTHWISE, POOL
  int dilation_h = 1, dilation_w = 1;         // CONV, DEPTHWISE
  int depth_multiplier = 1;                   // DEPTHWISE
  int filter_h = 1, filter_w = 1;             // POOL
  int axis = 0;                               // CONCAT (already made non-negative)
  bool align_corners = false;                 // RESIZE_BILINEAR
  bool half_pixel_centers = false;            // RESIZE_BILINEAR
  bool keep_dims = false;                     // MEAN
  bool keep_num_dims = false;                 // FULLY_CONNECTED
};

struct Tensor {
  std::string name;
  std::vector<int> shape;  // static, every dim >= 1 (rank 0 = scalar)
  DataType type = DataType::kFloat32;
  bool is_constant = false;
  std::vector<float> f32;    // constant data when type == kFloat32
  std::vector<int32_t> i32;  // constant data when type == kInt32

  int64_t num_elements() const {
    int64_t n = 1;
    for (int d : shape) n *= d;
    return n;
  }
};

struct Node {
  OpType op = OpType::kAdd;
  std::vector<int> inputs;   // tensor indices; -1 marks an absent optional input (e.g. no bias)
  std::vector<int> outputs;  // tensor indices
  NodeParams params;
  int tflite_index = 0;  // the operator's index in the .tflite file, for messages
};

struct Graph {
  std::string name;  // model name, e.g. "palm_detection_full"
  std::vector<Tensor> tensors;
  std::vector<Node> nodes;
  std::vector<int> inputs;
  std::vector<int> outputs;
};

// "CONV_2D #12" style label of a node, for plans and error messages.
std::string NodeLabel(const Graph& graph, int node_index);
// "tensor 'name' (#12)", for messages.
std::string TensorLabel(const Graph& graph, int tensor);

}  // namespace handtrack::model
