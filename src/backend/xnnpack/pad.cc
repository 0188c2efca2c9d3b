// PAD with zeros, on any axis (the palm models pad channels, e.g.
// [1,48,48,32] -> [1,48,48,64]); the paddings are an int32 constant [rank,2].
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsPad(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input"));
  HT_ASSIGN_OR_RETURN(const std::span<const int32_t> paddings, Int32Operand(graph, node, 1, "paddings"));
  std::vector<int> expected = graph.tensors[node.inputs[0]].shape;
  if (paddings.size() != 2 * expected.size()) {
    return Unsupported(node, "with " + std::to_string(paddings.size()) + " paddings for a rank-" +
                                 std::to_string(expected.size()) + " input: expected [rank,2]");
  }
  for (size_t axis = 0; axis < expected.size(); ++axis) {
    if (paddings[2 * axis] < 0 || paddings[2 * axis + 1] < 0) {
      return Unsupported(node, "with a negative padding on axis " + std::to_string(axis));
    }
    expected[axis] += paddings[2 * axis] + paddings[2 * axis + 1];
  }
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  return CheckShape(graph, node, node.outputs[0], "output", expected);
}

Status DefinePad(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  HT_ASSIGN_OR_RETURN(const std::span<const int32_t> paddings, Int32Operand(graph, node, 1, "paddings"));
  const size_t rank = paddings.size() / 2;
  size_t before[XNN_MAX_TENSOR_DIMS] = {};
  size_t after[XNN_MAX_TENSOR_DIMS] = {};
  for (size_t axis = 0; axis < rank; ++axis) {
    before[axis] = static_cast<size_t>(paddings[2 * axis]);
    after[axis] = static_cast<size_t>(paddings[2 * axis + 1]);
  }
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  return XnnStatus(xnn_define_static_constant_pad(context.subgraph(), before, after, /*padding_value=*/0.0f,
                                                  input_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
