#include "backend/xnnpack/window.h"

#include <string>

namespace handtrack::backend::xnnpack {
namespace {

Result<Window2D> Window(const model::Node& node, const std::vector<int>& input, int filter_h, int filter_w,
                        int dilation_h, int dilation_w) {
  const model::NodeParams& p = node.params;
  if (p.stride_h < 1 || p.stride_w < 1 || dilation_h < 1 || dilation_w < 1 || filter_h < 1 || filter_w < 1) {
    return Unsupported(node, "with stride " + std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) +
                                 ", dilation " + std::to_string(dilation_h) + "x" +
                                 std::to_string(dilation_w) + ", filter " + std::to_string(filter_h) + "x" +
                                 std::to_string(filter_w) + ": each must be at least 1");
  }
  const Window2D window{TfliteWindow(p.padding, input[1], filter_h, p.stride_h, dilation_h),
                        TfliteWindow(p.padding, input[2], filter_w, p.stride_w, dilation_w)};
  if (window.height.output < 1 || window.width.output < 1) {
    return Unsupported(node, "with VALID padding and a " + std::to_string(filter_h) + "x" +
                                 std::to_string(filter_w) + " window larger than its input " +
                                 ShapeString(input));
  }
  return window;
}

}  // namespace

Result<Window2D> ConvWindow(const model::Node& node, const std::vector<int>& input, int filter_h,
                            int filter_w) {
  return Window(node, input, filter_h, filter_w, node.params.dilation_h, node.params.dilation_w);
}

Result<Window2D> PoolWindow(const model::Node& node, const std::vector<int>& input) {
  return Window(node, input, node.params.filter_h, node.params.filter_w, 1, 1);
}

Status CheckPool(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input", 4));
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  HT_ASSIGN_OR_RETURN(const Window2D window, PoolWindow(node, input));
  if (node.params.filter_h * node.params.filter_w == 1) {
    return Unsupported(node, "with a 1x1 window: XNNPACK rejects 1x1 pooling");
  }
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output", 4));
  return CheckShape(graph, node, node.outputs[0], "output",
                    {input[0], window.height.output, window.width.output, input[3]});
}

Status CheckBias(const model::Graph& graph, const model::Node& node, int channels) {
  if (node.inputs.size() < 3 || node.inputs[2] < 0) return Status::Ok();
  HT_RETURN_IF_ERROR(CheckFloatConstant(graph, node, node.inputs[2], "bias", 1));
  return CheckShape(graph, node, node.inputs[2], "bias", {channels});
}

Result<uint32_t> BiasValue(BuildContext& context, const model::Node& node, int channels) {
  if (node.inputs.size() >= 3 && node.inputs[2] >= 0) return context.WeightValue(node.inputs[2]);
  const size_t dims[1] = {static_cast<size_t>(channels)};
  return context.StaticValue(std::vector<float>(channels, 0.0f), dims);
}

}  // namespace handtrack::backend::xnnpack
