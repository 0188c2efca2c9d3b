#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

Status SupportsMaxPool2D(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("MAX_POOL_2D on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitMaxPool2D(const model::Node& node, const FusedTail&, Program& program) {
  EmitPool2D(program, node, /*average=*/false);
}

}  // namespace handtrack::backend::webgpu
