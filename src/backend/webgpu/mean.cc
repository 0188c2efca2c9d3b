#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// Mean over height and width (the only axes the reader accepts): one thread
// per (n, c), summing in the reference's order. P: 1 in, 2 out, 3 pixels, 4 channels.
constexpr char kMeanShader[] = R"wgsl(
fn run(i: u32) {
  let channels = P(4u);
  let c = i % channels;
  let n = i / channels;
  let pixels = P(3u);
  var sum = 0.0;
  for (var k = 0u; k < pixels; k++) { sum = sum + f32(act[P(1u) + (n * pixels + k) * channels + c]); }
  act[P(2u) + i] = S(sum / f32(pixels));
}
)wgsl";

}  // namespace

Status SupportsMean(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("MEAN on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitMean(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  program.Shader("mean", kMeanShader);
  program.Dispatch("mean", int64_t{in[0]} * in[3],
                   {0, program.Act(node.inputs[0]), program.Act(node.outputs[0]), uint32_t(in[1] * in[2]),
                    uint32_t(in[3])});
}

}  // namespace handtrack::backend::webgpu
