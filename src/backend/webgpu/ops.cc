#include "backend/webgpu/ops.h"

#include <limits>
#include <string>

#include "backend/op_table.h"

namespace handtrack::backend::webgpu {
namespace {

using model::OpType;

#define HANDTRACK_WEBGPU_OP_ROW(name)                 \
  {                                                   \
    OpType::k##name, { &Supports##name, &Emit##name } \
  }

// Every op of the four hand models (and the two pools and activations the
// reader knows), so that a whole model is one segment on the GPU.
constexpr OpRow<OpEntry> kOpRows[] = {
    HANDTRACK_WEBGPU_OP_ROW(Add),
    HANDTRACK_WEBGPU_OP_ROW(AveragePool2D),
    HANDTRACK_WEBGPU_OP_ROW(Concatenation),
    HANDTRACK_WEBGPU_OP_ROW(Conv2D),
    HANDTRACK_WEBGPU_OP_ROW(DepthwiseConv2D),
    HANDTRACK_WEBGPU_OP_ROW(FullyConnected),
    HANDTRACK_WEBGPU_OP_ROW(Logistic),
    HANDTRACK_WEBGPU_OP_ROW(MaxPool2D),
    HANDTRACK_WEBGPU_OP_ROW(Mean),
    HANDTRACK_WEBGPU_OP_ROW(Pad),
    HANDTRACK_WEBGPU_OP_ROW(PRelu),
    HANDTRACK_WEBGPU_OP_ROW(Relu),
    HANDTRACK_WEBGPU_OP_ROW(Relu6),
    HANDTRACK_WEBGPU_OP_ROW(Reshape),
    HANDTRACK_WEBGPU_OP_ROW(ResizeBilinear),
};
#undef HANDTRACK_WEBGPU_OP_ROW
constexpr OpTable<OpEntry> kOps = MakeOpTable(kOpRows);
static_assert(kOps.Complete(), "the webgpu backend runs every op of model/op_list.h");

}  // namespace

const OpEntry* FindOp(OpType op) { return kOps.Find(op); }

uint32_t ActivationLow(model::Activation activation) {
  switch (activation) {
    case model::Activation::kRelu:
    case model::Activation::kRelu6:
      return FloatBits(0.0f);
    case model::Activation::kReluN1To1:
      return FloatBits(-1.0f);
    case model::Activation::kNone:
      break;
  }
  return FloatBits(std::numeric_limits<float>::lowest());
}

uint32_t ActivationHigh(model::Activation activation) {
  switch (activation) {
    case model::Activation::kRelu6:
      return FloatBits(6.0f);
    case model::Activation::kReluN1To1:
      return FloatBits(1.0f);
    case model::Activation::kRelu:
    case model::Activation::kNone:
      break;
  }
  return FloatBits(std::numeric_limits<float>::max());
}

Status RequireFloat(const model::Graph& graph, const model::Node& node, int index, bool constant) {
  const std::string op = model::OpTypeName(node.op);
  if (index >= static_cast<int>(node.inputs.size()) || node.inputs[index] < 0)
    return UnsupportedError(op + " without input " + std::to_string(index));
  const model::Tensor& tensor = graph.tensors[node.inputs[index]];
  if (tensor.type != model::DataType::kFloat32)
    return UnsupportedError(op + " input " + std::to_string(index) + " is not float32");
  if (tensor.is_constant != constant)
    return UnsupportedError(op + " input " + std::to_string(index) +
                            (constant ? " is not a constant" : " is a constant"));
  return Status::Ok();
}

uint32_t OffsetOf(Program& program, int tensor) {
  return program.graph().tensors[tensor].is_constant ? program.Constant(tensor) : program.Act(tensor);
}

}  // namespace handtrack::backend::webgpu
