// RESIZE_BILINEAR on NHWC. TFLite's three coordinate modes map onto XNNPACK's:
// half_pixel_centers -> no flag (XNNPACK's default), align_corners ->
// XNN_FLAG_ALIGN_CORNERS, neither -> XNN_FLAG_TENSORFLOW_LEGACY_MODE.
#include <xnnpack.h>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {

Status SupportsResizeBilinear(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 1, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "input", 4));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output", 4));
  if (node.params.align_corners && node.params.half_pixel_centers) {
    return Unsupported(node, "with both align_corners and half_pixel_centers");
  }
  const std::vector<int>& input = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& output = graph.tensors[node.outputs[0]].shape;
  if (node.inputs.size() == 2 && node.inputs[1] >= 0) {
    // The size operand only has to agree with the (static) output shape.
    HT_ASSIGN_OR_RETURN(const std::span<const int32_t> size, Int32Operand(graph, node, 1, "size"));
    if (size.size() != 2 || size[0] != output[1] || size[1] != output[2]) {
      return Unsupported(node, "with a size operand that disagrees with its output " + ShapeString(output));
    }
  }
  return CheckShape(graph, node, node.outputs[0], "output", {input[0], output[1], output[2], input[3]});
}

Status DefineResizeBilinear(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  const std::vector<int>& output = graph.tensors[node.outputs[0]].shape;
  uint32_t flags = 0;
  if (node.params.align_corners) {
    flags = XNN_FLAG_ALIGN_CORNERS;
  } else if (!node.params.half_pixel_centers) {
    flags = XNN_FLAG_TENSORFLOW_LEGACY_MODE;
  }
  HT_ASSIGN_OR_RETURN(const uint32_t input_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  return XnnStatus(xnn_define_static_resize_bilinear_2d(context.subgraph(), output[1], output[2], input_id,
                                                        output_id, flags));
}

}  // namespace handtrack::backend::xnnpack
