// DEPTHWISE_CONV_2D: input [N,H,W,C], filter [1,KH,KW,C*M] (XNNPACK's own
// layout), optional bias [C*M]. The depth multiplier M is taken from the
// filter, as TFLite's kernel does. Nodes that CreateDepthwiseKernel accepts
// run on the backend's own kernel (depthwise_kernel.h) instead.
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

Result<DepthwiseKernel> CreateDepthwiseKernel(const model::Graph& graph, const model::Node& node,
                                              KernelIsa isa) {
  if (node.op != model::OpType::kDepthwiseConv2D) return Unsupported(node, "is not a depthwise convolution");
  const model::Tensor& input = graph.tensors[node.inputs[0]];
  const model::Tensor& filter = graph.tensors[node.inputs[1]];
  const model::NodeParams& p = node.params;
  if (input.is_constant) return Unsupported(node, "with a constant input stays with XNNPACK");
  if (filter.shape[3] != input.shape[3]) {
    return Unsupported(node, "with a depth multiplier stays with XNNPACK");
  }
  if (p.dilation_h != 1 || p.dilation_w != 1) return Unsupported(node, "with dilation stays with XNNPACK");
  HT_ASSIGN_OR_RETURN(const Window2D window, ConvWindow(node, input.shape, filter.shape[1], filter.shape[2]));
  const OutputRange range = ActivationRange(p.activation);
  DepthwiseShape shape;
  shape.batch = input.shape[0];
  shape.input_height = input.shape[1];
  shape.input_width = input.shape[2];
  shape.channels = input.shape[3];
  shape.filter_height = filter.shape[1];
  shape.filter_width = filter.shape[2];
  shape.stride_height = p.stride_h;
  shape.stride_width = p.stride_w;
  shape.pad_top = static_cast<int>(window.height.pad_before);
  shape.pad_left = static_cast<int>(window.width.pad_before);
  shape.output_height = window.height.output;
  shape.output_width = window.width.output;
  shape.output_min = range.min;
  shape.output_max = range.max;
  const bool has_bias = node.inputs.size() >= 3 && node.inputs[2] >= 0;
  Result<DepthwiseKernel> kernel = DepthwiseKernel::Create(
      shape, filter.f32.data(), has_bias ? graph.tensors[node.inputs[2]].f32.data() : nullptr, isa);
  if (!kernel.ok()) return kernel.status().WithPrefix(NodeLabel(node) + " stays with XNNPACK");
  return kernel;
}

}  // namespace handtrack::backend::xnnpack
