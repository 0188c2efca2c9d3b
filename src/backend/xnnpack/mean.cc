// MEAN over H and W of an NHWC tensor (hand_landmark: [1,7,7,1152] ->
// [1,1152]). XNNPACK 2022-02 has no mean node: its global average pooling
// gives [N,1,1,C], followed by a reshape when keep_dims is false.
#include <xnnpack.h>

#include <algorithm>
#include <limits>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsMean(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input", 4));
  HT_ASSIGN_OR_RETURN(const std::span<const int32_t> axes, Int32Operand(graph, node, 1, "axes"));
  std::vector<int> normalized;
  for (int32_t axis : axes) normalized.push_back(axis < 0 ? axis + 4 : axis);
  std::sort(normalized.begin(), normalized.end());
  normalized.erase(std::unique(normalized.begin(), normalized.end()), normalized.end());
  if (normalized != std::vector<int>{1, 2}) {
    return Unsupported(node, "over axes " + ShapeString(normalized) +
                                 ": XNNPACK 2022-02 reduces only H and W (axes [1,2]) of NHWC");
  }
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  if (node.params.keep_dims)
    return CheckShape(graph, node, node.outputs[0], "output", {input[0], 1, 1, input[3]});
  return CheckShape(graph, node, node.outputs[0], "output", {input[0], input[3]});
}

Status DefineMean(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  uint32_t pooled_id = output_id;
  if (!node.params.keep_dims) {
    const size_t pooled_dims[4] = {static_cast<size_t>(input[0]), 1, 1, static_cast<size_t>(input[3])};
    HT_ASSIGN_OR_RETURN(pooled_id, context.InternalValue(pooled_dims));
  }
  constexpr float kInf = std::numeric_limits<float>::infinity();
  HT_RETURN_IF_ERROR(XnnStatus(xnn_define_global_average_pooling_2d(context.subgraph(), -kInf, kInf, input_id,
                                                                    pooled_id, /*flags=*/0)));
  if (node.params.keep_dims) return Status::Ok();
  const size_t output_dims[2] = {static_cast<size_t>(input[0]), static_cast<size_t>(input[3])};
  return XnnStatus(
      xnn_define_static_reshape(context.subgraph(), 2, output_dims, pooled_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
