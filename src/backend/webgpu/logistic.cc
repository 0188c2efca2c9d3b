#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

Status SupportsLogistic(const model::Graph& graph, const model::Node& node) {
  return RequireFloat(graph, node, 0, false);
}

void EmitLogistic(const model::Node& node, const FusedTail&, Program& program) {
  EmitElementwise(program, ElementwiseMode::kLogistic, node.inputs[0], -1, node.outputs[0],
                  model::Activation::kNone);
}

}  // namespace handtrack::backend::webgpu
