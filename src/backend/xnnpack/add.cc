// ADD with numpy broadcasting and a fused activation (output_min/max).
#include <xnnpack.h>

#include <algorithm>

#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend::xnnpack {
namespace {

// The broadcast of two shapes aligned at their last dims; empty when they do
// not broadcast.
std::vector<int> BroadcastShape(const std::vector<int>& a, const std::vector<int>& b) {
  std::vector<int> result(std::max(a.size(), b.size()));
  for (size_t i = 0; i < result.size(); ++i) {
    const int da = i < a.size() ? a[a.size() - 1 - i] : 1;
    const int db = i < b.size() ? b[b.size() - 1 - i] : 1;
    if (da != db && da != 1 && db != 1) return {};
    result[result.size() - 1 - i] = std::max(da, db);
  }
  return result;
}

}  // namespace

Status SupportsAdd(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(CheckArity(node, 2, 2, 1));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[0], "first input"));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.inputs[1], "second input"));
  HT_RETURN_IF_ERROR(CheckFloat(graph, node, node.outputs[0], "output"));
  const std::vector<int>& a = graph.tensors[node.inputs[0]].shape;
  const std::vector<int>& b = graph.tensors[node.inputs[1]].shape;
  const std::vector<int> expected = BroadcastShape(a, b);
  if (expected.empty()) {
    return Unsupported(node,
                       "of shapes " + ShapeString(a) + " and " + ShapeString(b) + " that do not broadcast");
  }
  return CheckShape(graph, node, node.outputs[0], "output", expected);
}

Status DefineAdd(BuildContext& context, const model::Graph& graph, const model::Node& node) {
  HT_ASSIGN_OR_RETURN(const uint32_t a_id, context.Value(node.inputs[0]));
  HT_ASSIGN_OR_RETURN(const uint32_t b_id, context.Value(node.inputs[1]));
  HT_ASSIGN_OR_RETURN(const uint32_t output_id, context.Value(node.outputs[0]));
  const OutputRange range = ActivationRange(node.params.activation);
  return XnnStatus(
      xnn_define_add2(context.subgraph(), range.min, range.max, a_id, b_id, output_id, /*flags=*/0));
}

}  // namespace handtrack::backend::xnnpack
