#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

Status SupportsAveragePool2D(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("AVERAGE_POOL_2D on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitAveragePool2D(const model::Node& node, const FusedTail&, Program& program) {
  EmitPool2D(program, node, /*average=*/true);
}

}  // namespace handtrack::backend::webgpu
