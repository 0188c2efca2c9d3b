#include <vector>

#include "backend/padding.h"
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {
namespace {

// One thread per output element (n, oy, ox, oc), oc fastest, so that the
// threads of a workgroup read one input pixel and neighbouring weights: the
// filter is packed [ky][kx][ic][oc]. The sum runs in the reference's order
// (bias, then ky, kx, ic). The store applies the activation, then the fused
// residual ADD and its activation, then the fused PRELU.
// P: 1 in, 2 filter, 3 bias (kNone: none), 4 out, 5 in_h, 6 in_w, 7 in_c,
// 8 out_h, 9 out_w, 10 out_c, 11 kernel_h, 12 kernel_w, 13 stride_h,
// 14 stride_w, 15 dilation_h, 16 dilation_w, 17 pad_top, 18 pad_left,
// 19/20 activation low/high, 21 residual (kNone: none), 22/23 the ADD's
// low/high, 24 PRELU alpha (kNone: none).
constexpr char kConv2DShader[] = R"wgsl(
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
  var acc = 0.0;
  if (P(3u) != 0xffffffffu) { acc = f32(wts[P(3u) + oc]); }
  for (var ky = 0u; ky < P(11u); ky++) {
    let iy = i32(oy * P(13u) + ky * P(15u)) - i32(P(17u));
    if (iy < 0 || iy >= i32(in_h)) { continue; }
    for (var kx = 0u; kx < kernel_w; kx++) {
      let ix = i32(ox * P(14u) + kx * P(16u)) - i32(P(18u));
      if (ix < 0 || ix >= i32(in_w)) { continue; }
      let ib = P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c;
      var wb = P(2u) + (ky * kernel_w + kx) * in_c * out_c + oc;
      for (var ic = 0u; ic < in_c; ic++) {
        acc = acc + f32(act[ib + ic]) * f32(wts[wb]);
        wb = wb + out_c;
      }
    }
  }
  var v = clamp(acc, PF(19u), PF(20u));
  if (P(21u) != 0xffffffffu) { v = clamp(v + f32(act[P(21u) + i]), PF(22u), PF(23u)); }
  if (P(24u) != 0xffffffffu) {
    let alpha = f32(wts[P(24u) + oc]);
    v = select(v * alpha, v, v >= 0.0);
  }
  act[P(4u) + i] = S(v);
}
)wgsl";

// The same, four output channels per thread (out_c a multiple of 4): each
// input value loaded once serves four products. Per output the sum is in the
// same order as above.
constexpr char kConv2DX4Shader[] = R"wgsl(
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
      let ib = P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c;
      var wb = P(2u) + (ky * kernel_w + kx) * in_c * out_c + oc;
      for (var ic = 0u; ic < in_c; ic++) {
        let x = f32(act[ib + ic]);
        acc = acc + x * vec4<f32>(f32(wts[wb]), f32(wts[wb + 1u]), f32(wts[wb + 2u]), f32(wts[wb + 3u]));
        wb = wb + out_c;
      }
    }
  }
  var v = clamp(acc, vec4<f32>(PF(19u)), vec4<f32>(PF(20u)));
  let o = ((n * P(8u) + oy) * P(9u) + ox) * out_c + oc;
  let res = P(21u);
  if (res != 0xffffffffu) {
    let add = vec4<f32>(f32(act[res + o]), f32(act[res + o + 1u]), f32(act[res + o + 2u]), f32(act[res + o + 3u]));
    v = clamp(v + add, vec4<f32>(PF(22u)), vec4<f32>(PF(23u)));
  }
  let a = P(24u);
  if (a != 0xffffffffu) {
    let alpha = vec4<f32>(f32(wts[a + oc]), f32(wts[a + oc + 1u]), f32(wts[a + oc + 2u]), f32(wts[a + oc + 3u]));
    v = select(v * alpha, v, v >= vec4<f32>(0.0));
  }
  let out = P(4u) + o;
  act[out] = S(v.x);
  act[out + 1u] = S(v.y);
  act[out + 2u] = S(v.z);
  act[out + 3u] = S(v.w);
}
)wgsl";

}  // namespace

Status SupportsConv2D(const model::Graph& graph, const model::Node& node) {
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 0, false));
  HT_RETURN_IF_ERROR(RequireFloat(graph, node, 1, true));
  if (node.inputs.size() > 2 && node.inputs[2] >= 0) HT_RETURN_IF_ERROR(RequireFloat(graph, node, 2, true));
  if (graph.tensors[node.inputs[0]].shape.size() != 4)
    return UnsupportedError("CONV_2D on a tensor of rank other than 4");
  return Status::Ok();
}

void EmitConv2D(const model::Node& node, const FusedTail& fused, Program& program) {
  const model::Graph& graph = program.graph();
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& filter_shape = graph.tensors[node.inputs[1]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const model::NodeParams& p = node.params;
  const int out_c = filter_shape[0], kernel_h = filter_shape[1], kernel_w = filter_shape[2],
            in_c = filter_shape[3];
  // [oc][ky][kx][ic] -> [ky][kx][ic][oc]
  const std::vector<float>& filter = graph.tensors[node.inputs[1]].f32;
  std::vector<float> packed(filter.size());
  for (int oc = 0; oc < out_c; ++oc)
    for (int k = 0; k < kernel_h * kernel_w * in_c; ++k)
      packed[static_cast<size_t>(k) * out_c + oc] =
          filter[static_cast<size_t>(oc) * kernel_h * kernel_w * in_c + k];
  const bool has_bias = node.inputs.size() > 2 && node.inputs[2] >= 0;
  const int output = fused.output >= 0 ? fused.output : node.outputs[0];
  const int64_t outputs = graph.tensors[node.outputs[0]].num_elements();
  // Long sums over few outputs: a workgroup per output (split_k.cc), the filter as it is.
  const bool split = UseSplitK(program, outputs, int64_t{kernel_h} * kernel_w * in_c);
  // Else a tiled matrix product (conv2d_gemm.cc), else four output channels per thread where
  // they divide (every convolution of the hand models), else one.
  const bool gemm = !split && UseConvGemm(program);
  const bool by_four = !split && !gemm && out_c % 4 == 0 && program.setting("webgpu.conv_x4") != "0";
  const char* shader = split ? "conv2d_split_k" : gemm ? "conv2d_gemm" : by_four ? "conv2d_x4" : "conv2d";
  program.Shader(shader, split  ? kConv2DSplitKShader
                         : gemm ? kConv2DGemmShader
                                : (by_four ? kConv2DX4Shader : kConv2DShader));
  const uint32_t filter_offset = split ? program.Constant(node.inputs[1]) : program.Pack(packed);
  const uint32_t bias_offset = has_bias ? program.Constant(node.inputs[2]) : kNone;
  const uint32_t alpha = fused.prelu != nullptr ? program.Constant(fused.prelu->inputs[1]) : kNone;
  const int64_t pixels = outputs / out_c;
  const int64_t gemm_threads = (pixels + 31) / 32 * ((out_c + 31) / 32) * 64;
  program.Dispatch(
      shader,
      split  ? outputs * 64
      : gemm ? gemm_threads
             : outputs / (by_four ? 4 : 1),
      {0,
       program.Act(node.inputs[0]),
       filter_offset,
       bias_offset,
       program.Act(output),
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
       fused.add != nullptr ? program.Act(fused.residual) : kNone,
       ActivationLow(fused.add != nullptr ? fused.add->params.activation : model::Activation::kNone),
       ActivationHigh(fused.add != nullptr ? fused.add->params.activation : model::Activation::kNone),
       alpha,
       uint32_t(pixels)});
}

}  // namespace handtrack::backend::webgpu
