// RESHAPE to the output tensor's (static) shape; the shape operand, when
// present, is not needed.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsReshape(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input"));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  const model::Tensor& input = graph.tensors[node.inputs[0]];
  const model::Tensor& output = graph.tensors[node.outputs[0]];
  if (input.num_elements() != output.num_elements()) {
    return Unsupported(node, "from " + ShapeString(input.shape) + " to " + ShapeString(output.shape) +
                                 ": element counts differ");
  }
  return Status::Ok();
}

Status DefineReshape(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const std::vector<size_t> new_shape = Dims(graph.tensors[node.outputs[0]].shape);
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  return XnnStatus(xnn_define_static_reshape(context.subgraph(), new_shape.size(), new_shape.data(), input_id,
                                             output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
