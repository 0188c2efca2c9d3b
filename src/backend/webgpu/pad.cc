#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// Zero padding of rank 1 to 4 (shapes taken to 4-D with leading 1s): one
// thread per output element, reading its input element or writing zero.
// P: 1 in, 2 out, 3..6 input dims, 7..10 output dims, 11..14 padding before.
constexpr char kPadShader[] = R"wgsl(
fn run(i: u32) {
  var r = i;
  var source = 0u;
  var inside = true;
  var stride = 1u;
  for (var d = 3; d >= 0; d--) {
    let k = u32(d);
    let coordinate = i32(r % P(7u + k)) - i32(P(11u + k));
    r = r / P(7u + k);
    if (coordinate < 0 || coordinate >= i32(P(3u + k))) { inside = false; }
    source = source + u32(max(coordinate, 0)) * stride;
    stride = stride * P(3u + k);
  }
  var v = 0.0;
  if (inside) { v = f32(act[P(1u) + source]); }
  act[P(2u) + i] = S(v);
}
)wgsl";

}  // namespace

Status SupportsPad(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  const size_t rank = graph.tensors[node.inputs[0]].shape.size();
  if (rank < 1 || rank > 4) return UnsupportedError("PAD of a tensor of rank other than 1 to 4");
  const model::Tensor& paddings = graph.tensors[node.inputs[1]];
  if (!paddings.is_constant || paddings.type != model::DataType::kInt32 || paddings.i32.size() != 2 * rank)
    return UnsupportedError("PAD whose paddings are not constant int32");
  for (int32_t v : paddings.i32)
    if (v < 0) return UnsupportedError("PAD with negative paddings");
  return Status::Ok();
}

void EmitPad(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const auto& paddings = graph.tensors[node.inputs[1]].i32;
  const int lead = 4 - static_cast<int>(in.size());
  std::vector<uint32_t> params(15, 0);
  params[1] = program.Act(node.inputs[0]);
  params[2] = program.Act(node.outputs[0]);
  for (int d = 0; d < 4; ++d) {
    const int source = d - lead;
    params[3 + d] = source >= 0 ? uint32_t(in[source]) : 1u;
    params[7 + d] = source >= 0 ? uint32_t(out[source]) : 1u;
    params[11 + d] = source >= 0 ? uint32_t(paddings[2 * source]) : 0u;
  }
  program.Shader("pad", kPadShader);
  program.Dispatch("pad", graph.tensors[node.outputs[0]].num_elements(), std::move(params));
}

}  // namespace handtrack::backend::webgpu
