// FULLY_CONNECTED: weights [out,in] (XNNPACK's default layout), optional bias
// [out]. Without keep_num_dims TFLite flattens the input to [numel/in, in],
// which is XNN_FLAG_TENSORFLOW_RESHAPE_2D.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"
#include "backend/xnnpack/window.h"

namespace handtrack::backend::xnnpack {

Status SupportsFullyConnected(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 3, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input"));
  HT_RETURN_IF_ERROR(CheckFloatConstant(graph, node, node.inputs[1], "weights", 2));
  const model::Tensor& input = graph.tensors[node.inputs[0]];
  const std::vector<int>& weights = graph.tensors[node.inputs[1]].shape;
  HT_RETURN_IF_ERROR(CheckBias(graph, node, weights[0]));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  if (node.params.keep_num_dims) {
    if (input.shape.back() != weights[1]) {
      return Unsupported(node, "with keep_num_dims and input " + ShapeString(input.shape) + " for weights " +
                                   ShapeString(weights));
    }
    std::vector<int> expected = input.shape;
    expected.back() = weights[0];
    return CheckShape(graph, node, node.outputs[0], "output", expected);
  }
  if (input.num_elements() % weights[1] != 0) {
    return Unsupported(node, "with input " + ShapeString(input.shape) + " that does not flatten to rows of " +
                                 std::to_string(weights[1]));
  }
  return CheckShape(graph, node, node.outputs[0], "output",
                    {static_cast<int>(input.num_elements() / weights[1]), weights[0]});
}

Status DefineFullyConnected(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const int output_channels = graph.tensors[node.inputs[1]].shape[0];
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t weights_id, context.WeightValue(node.inputs[1]));
  HT_ASSIGN_OR_RETURN(const uint32_t bias_id, BiasValue(context, node, output_channels));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  const OutputRange range = ActivationRange(node.params.activation);
  const uint32_t flags = node.params.keep_num_dims ? 0 : XNN_FLAG_TENSORFLOW_RESHAPE_2D;
  return XnnStatus(xnn_define_fully_connected(context.subgraph(), range.min, range.max, input_id, weights_id,
                                              bias_id, output_id, flags));
}

}  // namespace handtrack::backend::xnnpack
