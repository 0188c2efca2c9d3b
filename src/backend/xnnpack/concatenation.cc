// CONCATENATION. XNNPACK 2022-02 has no concatenate node, so each input is
// zero-padded along the axis to the output's shape, at its own offset, and the
// padded parts are summed: x + 0 == x exactly in IEEE float (only -0 becomes
// +0), so the result is the concatenation. The fused activation rides on the
// last add. The outputs being concatenated are small (the palm models' boxes
// and scores), so the extra traffic is negligible, and the segment stays whole.
#include <xnnpack.h>

#include <limits>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsConcatenation(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 1 << 16, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "first input"));
  std::vector<int> expected = graph.tensors[node.inputs[0]].shape;
  const int axis = node.params.axis;
  if (axis < 0 || axis >= static_cast<int>(expected.size())) {
    return Unsupported(node, "with axis " + std::to_string(axis) + " of rank-" +
                                 std::to_string(expected.size()) + " inputs");
  }
  for (size_t i = 1; i < node.inputs.size(); ++i) {
    HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[i], "input"));
    std::vector<int> shape = graph.tensors[node.inputs[i]].shape;
    if (shape.size() != expected.size()) return Unsupported(node, "of inputs with different ranks");
    expected[axis] += shape[axis];
    shape[axis] = expected[axis];
    if (shape != expected) {
      return Unsupported(node, "of inputs that differ off axis " + std::to_string(axis) + ": " +
                                   ShapeString(graph.tensors[node.inputs[0]].shape) + " and " +
                                   ShapeString(graph.tensors[node.inputs[i]].shape));
    }
  }
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  return CheckShape(graph, node, node.outputs[0], "output", expected);
}

Status DefineConcatenation(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const std::vector<int>& output = graph.tensors[node.outputs[0]].shape;
  const std::vector<size_t> output_dims = Dims(output);
  const OutputRange range = ActivationRange(node.params.activation);
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  if (node.inputs.size() == 1) {  // a copy, clamped by the activation
    HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
    return XnnStatus(
        xnn_define_clamp(context.subgraph(), range.min, range.max, input_id, output_id, /*flags=*/0));
  }

  const int axis = node.params.axis;
  const int num_inputs = static_cast<int>(node.inputs.size());
  int offset = 0;
  uint32_t sum_id = XNN_INVALID_VALUE_ID;
  for (int i = 0; i < num_inputs; ++i) {
    const int size = graph.tensors[node.inputs[i]].shape[axis];
    size_t before[XNN_MAX_TENSOR_DIMS] = {};
    size_t after[XNN_MAX_TENSOR_DIMS] = {};
    before[axis] = offset;
    after[axis] = output[axis] - offset - size;
    offset += size;
    HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[i]));
    HT_ASSIGN_OR_RETURN(const uint32_t placed_id, context.InternalValue(output_dims));
    HT_RETURN_IF_ERROR(XnnStatus(xnn_define_static_constant_pad(context.subgraph(), before, after, 0.0f,
                                                                input_id, placed_id, /*flags=*/0)));
    if (i == 0) {
      sum_id = placed_id;
      continue;
    }
    const bool last = i == num_inputs - 1;
    uint32_t next_sum_id = output_id;
    if (!last) {
      HT_ASSIGN_OR_RETURN(next_sum_id, context.InternalValue(output_dims));
    }
    constexpr float kInf = std::numeric_limits<float>::infinity();
    HT_RETURN_IF_ERROR(XnnStatus(xnn_define_add2(context.subgraph(), last ? range.min : -kInf,
                                                 last ? range.max : kInf, sum_id, placed_id, next_sum_id,
                                                 /*flags=*/0)));
    sum_id = next_sum_id;
  }
  return Status::Ok();
}

}  // namespace handtrack::backend::xnnpack
