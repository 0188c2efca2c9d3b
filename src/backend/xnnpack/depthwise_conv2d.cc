// DEPTHWISE_CONV_2D: input [N,H,W,C], filter [1,KH,KW,C*M] (XNNPACK's own
// layout), optional bias [C*M]. The depth multiplier M is taken from the
// filter, as TFLite's kernel does.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"
#include "backend/xnnpack/window.h"

namespace handtrack::backend::xnnpack {

Status SupportsDepthwiseConv2D(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 3, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input", 4));
  HT_RETURN_IF_ERROR(CheckFloatConstant(graph, node, node.inputs[1], "filter", 4));
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& filter = graph.tensors[node.inputs[1]].shape;
  if (filter[0] != 1 || filter[3] % input[3] != 0) {
    return Unsupported(node, "with filter " + ShapeString(filter) + " on input " + ShapeString(input) +
                                 ": expected [1,KH,KW,C*depth_multiplier]");
  }
  HT_RETURN_IF_ERROR(CheckBias(graph, node, filter[3]));
  HT_ASSIGN_OR_RETURN(const Window2D window, ConvWindow(node, input, filter[1], filter[2]));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output", 4));
  return CheckShape(graph, node, node.outputs[0], "output",
                    {input[0], window.height.output, window.width.output, filter[3]});
}

Status DefineDepthwiseConv2D(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& filter = graph.tensors[node.inputs[1]].shape;
  HT_ASSIGN_OR_RETURN(const Window2D window, ConvWindow(node, input, filter[1], filter[2]));
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t filter_id, context.WeightValue(node.inputs[1]));
  HT_ASSIGN_OR_RETURN(const uint32_t bias_id, BiasValue(context, node, filter[3]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  const OutputRange range = ActivationRange(node.params.activation);
  const model::NodeParams& p = node.params;
  return XnnStatus(xnn_define_depthwise_convolution_2d(
      context.subgraph(), window.height.pad_before, window.width.pad_after, window.height.pad_after,
      window.width.pad_before, filter[1], filter[2], p.stride_h, p.stride_w, p.dilation_h, p.dilation_w,
      /*depth_multiplier=*/filter[3] / input[3], /*input_channels=*/input[3], range.min, range.max, input_id,
      filter_id, bias_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
