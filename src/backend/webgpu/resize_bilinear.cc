#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// TFLite's source coordinates (the reference's SourceTap), one thread per
// output element. P: 1 in, 2 out, 3 in_h, 4 in_w, 5 channels, 6 out_h,
// 7 out_w, 8/9 scale h/w (f32), 10 half-pixel centres.
constexpr char kResizeShader[] = R"wgsl(
struct Tap { lower: u32, upper: u32, weight: f32 }
fn tap(o: u32, in_size: u32, scale: f32) -> Tap {
  var src = f32(o) * scale;
  if (P(10u) != 0u) { src = (f32(o) + 0.5) * scale - 0.5; }
  let f = floor(src);
  return Tap(u32(max(i32(f), 0)), u32(min(i32(ceil(src)), i32(in_size) - 1)), src - f);
}
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
  let ty = tap(oy, in_h, PF(8u));
  let tx = tap(ox, in_w, PF(9u));
  let base = P(1u) + n * in_h * in_w * channels + c;
  let a = f32(act[base + (ty.lower * in_w + tx.lower) * channels]);
  let b = f32(act[base + (ty.lower * in_w + tx.upper) * channels]);
  let d = f32(act[base + (ty.upper * in_w + tx.lower) * channels]);
  let e = f32(act[base + (ty.upper * in_w + tx.upper) * channels]);
  let top = a + (b - a) * tx.weight;
  let bottom = d + (e - d) * tx.weight;
  act[P(2u) + i] = S(top + (bottom - top) * ty.weight);
}
)wgsl";

float Scale(int in_size, int out_size, const model::NodeParams& p) {
  return (p.align_corners && out_size > 1) ? static_cast<float>(in_size - 1) / (out_size - 1)
                                           : static_cast<float>(in_size) / out_size;
}

}  // namespace

Status SupportsResizeBilinear(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("RESIZE_BILINEAR on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitResizeBilinear(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  program.Shader("resize_bilinear", kResizeShader);
  program.Dispatch(
      "resize_bilinear", graph.tensors[node.outputs[0]].num_elements(),
      {0, program.Act(node.inputs[0]), program.Act(node.outputs[0]), uint32_t(in[1]), uint32_t(in[2]),
       uint32_t(in[3]), uint32_t(out[1]), uint32_t(out[2]), FloatBits(Scale(in[1], out[1], node.params)),
       FloatBits(Scale(in[2], out[2], node.params)), node.params.half_pixel_centers ? 1u : 0u});
}

}  // namespace handtrack::backend::webgpu
