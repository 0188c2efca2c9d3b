// AVERAGE_POOL_2D with TFLite's paddings; XNNPACK, like TFLite, divides by the
// number of positions inside the input, not by the window size.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"
#include "backend/xnnpack/window.h"

namespace handtrack::backend::xnnpack {

Status SupportsAveragePool2D(const model::Graph& graph, const model::Node& node) {
  return CheckPool(graph, node);
}

Status DefineAveragePool2D(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  HT_ASSIGN_OR_RETURN(const Window2D window, PoolWindow(node, graph.tensors[node.inputs[0]].shape));
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  const OutputRange range = ActivationRange(node.params.activation);
  const model::NodeParams& p = node.params;
  return XnnStatus(xnn_define_average_pooling_2d(context.subgraph(), window.height.pad_before,
                                                 window.width.pad_after, window.height.pad_after,
                                                 window.width.pad_before, p.filter_h, p.filter_w, p.stride_h,
                                                 p.stride_w, range.min, range.max, input_id, output_id,
                                                 /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
