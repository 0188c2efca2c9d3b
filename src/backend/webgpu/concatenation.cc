#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// One dispatch per input: each thread copies one of its elements to its place
// in the output. P: 1 in, 2 out, 3 the input's chunk (its axis * inner),
// 4 the output's chunk, 5 where the input starts in a chunk, 6/7 activation
// low/high, 8 the input is a weight.
constexpr char kConcatenationShader[] = R"wgsl(
fn run(i: u32) {
  let chunk = P(3u);
  var v = 0.0;
  if (P(8u) != 0u) { v = f32(wts[P(1u) + i]); } else { v = f32(act[P(1u) + i]); }
  act[P(2u) + (i / chunk) * P(4u) + P(5u) + i % chunk] = S(clamp(v, PF(6u), PF(7u)));
}
)wgsl";

}  // namespace

Status SupportsConcatenation(const model::Graph& graph, const model::Node& node) {
  for (int t : node.inputs) {
    if (t < 0 || graph.tensors[t].type != model::DataType::kFloat32)
      return UnsupportedError("CONCATENATION of a non-float32 input");
  }
  return Status::Ok();
}

void EmitConcatenation(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const int axis = node.params.axis;
  int64_t inner = 1;
  for (size_t d = axis + 1; d < out.size(); ++d) inner *= out[d];
  program.Shader("concatenation", kConcatenationShader);
  int64_t start = 0;
  for (int t : node.inputs) {
    const int64_t chunk = graph.tensors[t].shape[axis] * inner;
    program.Dispatch("concatenation", graph.tensors[t].num_elements(),
                     {0, OffsetOf(program, t), program.Act(node.outputs[0]), uint32_t(chunk),
                      uint32_t(out[axis] * inner), uint32_t(start), ActivationLow(node.params.activation),
                      ActivationHigh(node.params.activation), IsConstant(program, t)});
    start += chunk;
  }
}

}  // namespace handtrack::backend::webgpu
