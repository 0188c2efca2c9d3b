#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

Status SupportsRelu(const model::Graph& graph, const model::Node& node) {
  return RequireFloat(graph, node, 0, false);
}

void EmitRelu(const model::Node& node, const FusedTail&, Program& program) {
  EmitElementwise(program, ElementwiseMode::kCopy, node.inputs[0], -1, node.outputs[0],
                  model::Activation::kRelu);
}

}  // namespace handtrack::backend::webgpu
