// PRELU: XNNPACK takes a 4D input and a per-channel slope [C]. TFLite's alpha
// broadcasts against the input; any alpha that varies only along the channel
// axis ([C], [1,1,C], [1] ...) is expanded into that slope.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsPRelu(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input", 4));
  HT_RETURN_IF_ERROR(CheckFloatConstant(graph, node, node.inputs[1], "alpha", -1));
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& alpha = graph.tensors[node.inputs[1]].shape;
  bool per_channel = alpha.size() <= input.size() && (alpha.back() == 1 || alpha.back() == input.back());
  for (size_t i = 0; i + 1 < alpha.size(); ++i) per_channel = per_channel && alpha[i] == 1;
  if (!per_channel) {
    return Unsupported(node, "with alpha " + ShapeString(alpha) + " on input " + ShapeString(input) +
                                 ": XNNPACK takes one slope per channel");
  }
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output", 4));
  return CheckShape(graph, node, node.outputs[0], "output", input);
}

Status DefinePRelu(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const int channels = graph.tensors[node.inputs[0]].shape.back();
  const std::vector<float>& alpha = graph.tensors[node.inputs[1]].f32;
  std::vector<float> slope(channels);
  for (int c = 0; c < channels; ++c) slope[c] = alpha.size() == 1 ? alpha[0] : alpha[c];
  const size_t slope_dims[1] = {static_cast<size_t>(channels)};
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t slope_id, context.StaticValue(std::move(slope), slope_dims));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  return XnnStatus(xnn_define_prelu(context.subgraph(), input_id, slope_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
