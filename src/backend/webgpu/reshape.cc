#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

// A copy: NHWC data keeps its order (the shape input, if any, is not read).
Status SupportsReshape(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (node.inputs.size() > 1 && node.inputs[1] >= 0 && !graph.tensors[node.inputs[1]].is_constant)
    return UnsupportedError("RESHAPE to a shape computed at run time");
  return Status::Ok();
}

void EmitReshape(const model::Node& node, const FusedTail&, Program& program) {
  EmitElementwise(program, ElementwiseMode::kCopy, node.inputs[0], -1, node.outputs[0],
                  model::Activation::kNone);
}

}  // namespace handtrack::backend::webgpu
