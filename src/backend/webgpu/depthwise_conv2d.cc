#include <string>

#include "backend/padding.h"
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// One thread per output element, channel fastest; the filter's own layout
// [1][ky][kx][oc] already puts neighbouring threads on neighbouring weights.
// P: 1 in, 2 filter, 3 bias (kNone: none), 4 out, 5 in_h, 6 in_w, 7 in_c,
// 8 out_h, 9 out_w, 10 out_c, 11 kernel_h, 12 kernel_w, 13 stride_h,
// 14 stride_w, 15 dilation_h, 16 dilation_w, 17 pad_top, 18 pad_left,
// 19/20 activation low/high, 21 depth multiplier.
constexpr char kDepthwiseShader[] = R"wgsl(
fn run(i: u32) {
  let out_c = P(10u);
  let oc = i % out_c;
  var r = i / out_c;
  let ox = r % P(9u);
  r = r / P(9u);
  let oy = r % P(8u);
  let n = r / P(8u);
  let in_h = P(5u);
  let in_w = P(6u);
  let in_c = P(7u);
  let kernel_w = P(12u);
  let c = oc / P(21u);
  var acc = 0.0;
  if (P(3u) != 0xffffffffu) { acc = f32(wts[P(3u) + oc]); }
  for (var ky = 0u; ky < P(11u); ky++) {
    let iy = i32(oy * P(13u) + ky * P(15u)) - i32(P(17u));
    if (iy < 0 || iy >= i32(in_h)) { continue; }
    for (var kx = 0u; kx < kernel_w; kx++) {
      let ix = i32(ox * P(14u) + kx * P(16u)) - i32(P(18u));
      if (ix < 0 || ix >= i32(in_w)) { continue; }
      acc = acc + f32(act[P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c + c]) *
                  f32(wts[P(2u) + (ky * kernel_w + kx) * out_c + oc]);
    }
  }
  act[P(4u) + i] = S(clamp(acc, PF(19u), PF(20u)));
}
)wgsl";

// Four channels per thread (out_c a multiple of 4, depth multiplier 1).
constexpr char kDepthwiseX4Shader[] = R"wgsl(
fn run(i: u32) {
  let out_c = P(10u);
  let quads = out_c >> 2u;
  let oc = (i % quads) * 4u;
  var r = i / quads;
  let ox = r % P(9u);
  r = r / P(9u);
  let oy = r % P(8u);
  let n = r / P(8u);
  let in_h = P(5u);
  let in_w = P(6u);
  let in_c = P(7u);
  let kernel_w = P(12u);
  var acc = vec4<f32>(0.0);
  let b = P(3u);
  if (b != 0xffffffffu) { acc = vec4<f32>(f32(wts[b + oc]), f32(wts[b + oc + 1u]), f32(wts[b + oc + 2u]), f32(wts[b + oc + 3u])); }
  for (var ky = 0u; ky < P(11u); ky++) {
    let iy = i32(oy * P(13u) + ky * P(15u)) - i32(P(17u));
    if (iy < 0 || iy >= i32(in_h)) { continue; }
    for (var kx = 0u; kx < kernel_w; kx++) {
      let ix = i32(ox * P(14u) + kx * P(16u)) - i32(P(18u));
      if (ix < 0 || ix >= i32(in_w)) { continue; }
      let ib = P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c + oc;
      let wb = P(2u) + (ky * kernel_w + kx) * out_c + oc;
      let x = vec4<f32>(f32(act[ib]), f32(act[ib + 1u]), f32(act[ib + 2u]), f32(act[ib + 3u]));
      acc = acc + x * vec4<f32>(f32(wts[wb]), f32(wts[wb + 1u]), f32(wts[wb + 2u]), f32(wts[wb + 3u]));
    }
  }
  let v = clamp(acc, vec4<f32>(PF(19u)), vec4<f32>(PF(20u)));
  let out = P(4u) + ((n * P(8u) + oy) * P(9u) + ox) * out_c + oc;
  act[out] = S(v.x);
  act[out + 1u] = S(v.y);
  act[out + 2u] = S(v.z);
  act[out + 3u] = S(v.w);
}
)wgsl";

// kDepthwiseX4Shader with the kernel size as literals (3x3 and 5x5, the hand models'): the
// compiler then unrolls the taps and keeps their loads in flight together. On the H200 the
// 5x5 layers were a quarter of palm_detection_full's time with the size read at run time.
const char* SpecializedDepthwiseX4(int kernel_h, int kernel_w) {
  auto specialize = [](int size) {
    std::string source = kDepthwiseX4Shader;
    const std::string literal = std::to_string(size) + "u";
    for (const char* param : {"P(11u)", "P(12u)"})
      for (size_t at = source.find(param); at != std::string::npos; at = source.find(param))
        source.replace(at, std::string(param).size(), literal);
    return source;
  };
  static const std::string k3 = specialize(3), k5 = specialize(5);
  if (kernel_h != kernel_w) return nullptr;
  return kernel_h == 3 ? k3.c_str() : kernel_h == 5 ? k5.c_str() : nullptr;
}

}  // namespace

Status SupportsDepthwiseConv2D(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 1, true));
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) HT_RETURN_IF_ERROR(RequireFloat(graph, node, 2, true));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("DEPTHWISE_CONV_2D on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitDepthwiseConv2D(const model::Node& node, const FusedTail&, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& filter_shape = graph.tensors[node.inputs[1]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const model::NodeParams& p = node.params;
  const int kernel_h = filter_shape[1], kernel_w = filter_shape[2];
  const bool has_bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
  const bool by_four = out[3] % 4 == 0 && p.depth_multiplier == 1 && program.setting("webgpu.conv_x4") != "0";
  const char* specialized = by_four ? SpecializedDepthwiseX4(kernel_h, kernel_w) : nullptr;
  const char* shader = specialized != nullptr
                           ? (kernel_h == 3 ? "depthwise_conv2d_x4_3x3" : "depthwise_conv2d_x4_5x5")
                       : by_four ? "depthwise_conv2d_x4"
                                 : "depthwise_conv2d";
  program.Shader(shader, specialized != nullptr ? specialized
                         : by_four              ? kDepthwiseX4Shader
                                                : kDepthwiseShader);
  program.Dispatch(shader, graph.tensors[node.outputs[0]].num_elements() / (by_four ? 4 : 1),
                   {0,
                    program.Act(node.inputs[0]),
                    program.Constant(node.inputs[1]),
                    has_bias ? program.Constant(node.inputs[2]) : kNone,
                    program.Act(node.outputs[0]),
                    uint32_t(in[1]),
                    uint32_t(in[2]),
                    uint32_t(in[3]),
                    uint32_t(out[1]),
                    uint32_t(out[2]),
                    uint32_t(out[3]),
                    uint32_t(kernel_h),
                    uint32_t(kernel_w),
                    uint32_t(p.stride_h),
                    uint32_t(p.stride_w),
                    uint32_t(p.dilation_h),
                    uint32_t(p.dilation_w),
                    uint32_t(PaddingBefore(in[1], out[1], kernel_h, p.stride_h, p.dilation_h, p.padding)),
                    uint32_t(PaddingBefore(in[2], out[2], kernel_w, p.stride_w, p.dilation_w, p.padding)),
                    ActivationLow(p.activation),
                    ActivationHigh(p.activation),
                    uint32_t(p.depth_multiplier)});
}

}  // namespace handtrack::backend::webgpu
