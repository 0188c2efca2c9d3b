#include <vector>

#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// One thread per output (b, o); weights packed [i][o] so that neighbouring
// threads read neighbouring weights. P: 1 in, 2 weights, 3 bias (kNone:
// none), 4 out, 5 in_features, 6 out_features, 7/8 activation low/high.
constexpr char kFullyConnectedShader[] = R"wgsl(
fn run(i: u32) {
  let out_features = P(6u);
  let o = i % out_features;
  let b = i / out_features;
  let in_features = P(5u);
  var acc = 0.0;
  if (P(3u) != 0xffffffffu) { acc = f32(wts[P(3u) + o]); }
  let ib = P(1u) + b * in_features;
  var wb = P(2u) + o;
  for (var k = 0u; k < in_features; k++) {
    acc = acc + f32(act[ib + k]) * f32(wts[wb]);
    wb = wb + out_features;
  }
  act[P(4u) + i] = S(clamp(acc, PF(7u), PF(8u)));
}
)wgsl";

}  // namespace

Status SupportsFullyConnected(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 1, true));
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) HT_RETURN_IF_ERROR(RequireFloat(graph, node, 2, true));
  return Status::Ok();
}

void EmitFullyConnected(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& w_shape = graph.tensors[node.inputs[1]].shape;
  const int out_features = w_shape[0], in_features = w_shape[1];
  const std::vector<float>& weights = graph.tensors[node.inputs[1]].f32;
  std::vector<float> packed(weights.size());
  for (int o = 0; o < out_features; ++o)
    for (int k = 0; k < in_features; ++k)
      packed[static_cast<size_t>(k) * out_features + o] = weights[static_cast<size_t>(o) * in_features + k];
  const bool has_bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
  const int64_t outputs = graph.tensors[node.outputs[0]].num_elements();
  // Long sums over few outputs: a workgroup per output (split_k.cc), the weights as they are.
  const bool split = UseSplitK(program, outputs, in_features);
  const char* shader = split ? "fully_connected_split_k" : "fully_connected";
  program.Shader(shader, split ? kFullyConnectedSplitKShader : kFullyConnectedShader);
  const uint32_t weight_offset = split ? program.Constant(node.inputs[1]) : program.Pack(packed);
  program.Dispatch(
      shader, split ? outputs * 64 : outputs,
      {0, program.Act(node.inputs[0]), weight_offset, has_bias ? program.Constant(node.inputs[2]) : kNone,
       program.Act(node.outputs[0]), uint32_t(in_features), uint32_t(out_features),
       ActivationLow(node.params.activation), ActivationHigh(node.params.activation)});
}

}  // namespace handtrack::backend::webgpu
