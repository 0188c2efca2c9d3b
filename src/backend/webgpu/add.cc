#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

// Same shapes only (the reference's ADD); either operand may be a constant.
Status SupportsAdd(const model::Graph& graph, const model::Node& node) {
  for (int i = 0; i < 2; ++i) {
    if (node.inputs[i] < 0 || graph.tensors[node.inputs[i]].type != model::DataType::kFloat32)
      return UnsupportedError("ADD of a non-float32 operand");
  }
  const int64_t n = graph.tensors[node.outputs[0]].num_elements();
  if (graph.tensors[node.inputs[0]].num_elements() != n || graph.tensors[node.inputs[1]].num_elements() != n)
    return UnsupportedError("ADD with broadcasting");
  return Status::Ok();
}

void EmitAdd(const model::Node& node, const FusedTail&, Program& program) {
  EmitElementwise(program, ElementwiseMode::kAdd, node.inputs[0], node.inputs[1], node.outputs[0],
                  node.params.activation);
}

}  // namespace handtrack::backend::webgpu
