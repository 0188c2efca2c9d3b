#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

// alpha repeats along the innermost axis (the reference's alpha[i % length]).
Status SupportsPRelu(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (node.inputs[1] < 0 || graph.tensors[node.inputs[1]].type != model::DataType::kFloat32)
    return UnsupportedError("PRELU with a non-float32 alpha");
  const auto& shape = graph.tensors[node.inputs[0]].shape;
  const int64_t alpha = graph.tensors[node.inputs[1]].num_elements();
  if (shape.empty() || alpha != shape.back()) return UnsupportedError("PRELU whose alpha is not per channel");
  return Status::Ok();
}

void EmitPRelu(const model::Node& node, const FusedTail&, Program& program) {
  EmitElementwise(program, ElementwiseMode::kPRelu, node.inputs[0], node.inputs[1], node.outputs[0],
                  model::Activation::kNone);
}

}  // namespace handtrack::backend::webgpu
