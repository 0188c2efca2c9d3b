// RELU and RELU6 as XNNPACK clamps ([0, inf) and [0, 6]); XNNPACK fuses a clamp
// into the op before it when it can.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {
namespace {

Status SupportsClamp(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 1, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input"));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  return CheckShape(graph, node, node.outputs[0], "output", graph.tensors[node.inputs[0]].shape);
}

Status DefineClamp(BuildContext& context, const model::Node& node, model::Activation activation) {
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  const OutputRange range = ActivationRange(activation);
  return XnnStatus(
      xnn_define_clamp(context.subgraph(), range.min, range.max, input_id, output_id, /*flags=*/0));
}

}  // namespace

Status SupportsRelu(const model::Graph& graph, const model::Node& node) { return SupportsClamp(graph, node); }

Status DefineRelu(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  return DefineClamp(context, node, model::Activation::kRelu);
}

Status SupportsRelu6(const model::Graph& graph, const model::Node& node) {
  return SupportsClamp(graph, node);
}

Status DefineRelu6(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  return DefineClamp(context, node, model::Activation::kRelu6);
}

}  // namespace handtrack::backend::xnnpack
