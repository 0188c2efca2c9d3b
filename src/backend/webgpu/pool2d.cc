// The 2-D pooling shader shared by MAX_POOL_2D and AVERAGE_POOL_2D: one thread
// per output element, over the window's in-image pixels (the reference's walk).
#include "backend/padding.h"
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// P: 1 in, 2 out, 3 in_h, 4 in_w, 5 channels, 6 out_h, 7 out_w, 8 filter_h,
// 9 filter_w, 10 stride_h, 11 stride_w, 12 pad_top, 13 pad_left, 14/15
// activation low/high, 16 average (else max).
constexpr char kPool2DShader[] = R"wgsl(
fn run(i: u32) {
  let channels = P(5u);
  let c = i % channels;
  var r = i / channels;
  let ox = r % P(7u);
  r = r / P(7u);
  let oy = r % P(6u);
  let n = r / P(6u);
  let in_h = P(3u);
  let in_w = P(4u);
  let ys = i32(oy * P(10u)) - i32(P(12u));
  let xs = i32(ox * P(11u)) - i32(P(13u));
  let y0 = max(ys, 0);
  let y1 = min(ys + i32(P(8u)), i32(in_h));
  let x0 = max(xs, 0);
  let x1 = min(xs + i32(P(9u)), i32(in_w));
  let average = P(16u) != 0u;
  var acc = select(bitcast<f32>(0xff7fffffu), 0.0, average);  // -FLT_MAX for max
  for (var y = y0; y < y1; y++) {
    for (var x = x0; x < x1; x++) {
      let v = f32(act[P(1u) + ((n * in_h + u32(y)) * in_w + u32(x)) * channels + c]);
      if (average) { acc = acc + v; } else { acc = max(acc, v); }
    }
  }
  if (average) { acc = acc / f32(max((y1 - y0) * (x1 - x0), 1)); }
  act[P(2u) + i] = S(clamp(acc, PF(14u), PF(15u)));
}
)wgsl";

}  // namespace

void EmitPool2D(Program& program, const model::Node& node, bool average) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const model::NodeParams& p = node.params;
  program.Shader("pool2d", kPool2DShader);
  program.Dispatch("pool2d", graph.tensors[node.outputs[0]].num_elements(),
                   {0, program.Act(node.inputs[0]), program.Act(node.outputs[0]), uint32_t(in[1]),
                    uint32_t(in[2]), uint32_t(in[3]), uint32_t(out[1]), uint32_t(out[2]),
                    uint32_t(p.filter_h), uint32_t(p.filter_w), uint32_t(p.stride_h), uint32_t(p.stride_w),
                    uint32_t(PaddingBefore(in[1], out[1], p.filter_h, p.stride_h, 1, p.padding)),
                    uint32_t(PaddingBefore(in[2], out[2], p.filter_w, p.stride_w, 1, p.padding)),
                    ActivationLow(p.activation), ActivationHigh(p.activation), average ? 1u : 0u});
}

}  // namespace handtrack::backend::webgpu
