// LOGISTIC (sigmoid), element-wise on any shape.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsLogistic(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input"));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  return CheckShape(graph, node, node.outputs[0], "output", graph.tensors[node.inputs[0]].shape);
}

Status DefineLogistic(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  return XnnStatus(xnn_define_sigmoid(context.subgraph(), input_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
