// Convolutions as a tiled matrix product (implicit GEMM): the output is a
// [pixels][out_c] matrix, the product of the input's patches [pixels][k] (k =
// (ky * kernel_w + kx) * in_c + ic, zero outside the image) and the filter
// packed [k][out_c] (conv2d.cc's layout). A workgroup of 64 threads computes a
// 32-pixel by 32-channel tile, each thread 4 pixels by 4 channels, with the
// tiles of both operands staged in workgroup memory 32 terms of k at a time.
//
// Why: one thread per output (conv2d_x4) runs each sum as one long chain of
// global loads; with the hand models' small images (12x12 to 48x48) there are
// too few threads to hide their latency, and on the H200 a 12x12x256 -> 256
// 1x1 convolution took 57 us that way (node-bench --profile). The sums keep
// the reference's order (bias, then k ascending; a padded tap adds 0 * w), so
// results are those of conv2d_x4 up to contraction.
//
// On by default but on software adapters (workgroup barriers cost a CPU
// emulation more than the loads they save); "webgpu.gemm" = "0" turns it off,
// "force" puts it on every convolution (tests).
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

bool UseConvGemm(const Program& program) { return program.setting("webgpu.gemm") != "0"; }

// P as conv2d.cc's, plus 25: pixels (n * out_h * out_w); P(0) = workgroups * 64.
const char kConv2DGemmShader[] = R"wgsl(
var<workgroup> tile_a: array<vec4<f32>, 256>;  // [k 32][pixel quad 8]
var<workgroup> tile_b: array<vec4<f32>, 256>;  // [k 32][channel quad 8]
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let tile = wg.x + wg.y * groups.x;
  let out_c = P(10u);
  let pixels = P(25u);
  let tiles_n = (out_c + 31u) / 32u;
  let m0 = (tile / tiles_n) * 32u;
  let n0 = (tile % tiles_n) * 32u;
  if (m0 >= pixels) { return; }
  let in_h = P(5u);
  let in_w = P(6u);
  let in_c = P(7u);
  let out_w = P(9u);
  let out_hw = P(8u) * out_w;
  let kernel_w = P(12u);
  let depth = P(11u) * kernel_w * in_c;
  // A 1x1 convolution with stride 1 reads its patches straight from the input.
  let pointwise = P(11u) == 1u && kernel_w == 1u && P(13u) == 1u && P(14u) == 1u && P(17u) == 0u && P(18u) == 0u;
  let tx = lane % 8u;  // channels n0 + 4 tx ..
  let ty = lane / 8u;  // pixels m0 + 4 ty ..
  var acc: array<vec4<f32>, 4>;
  let b = P(3u);
  for (var q = 0u; q < 4u; q++) {
    acc[q] = vec4<f32>(0.0);
    if (b != 0xffffffffu) {
      for (var c = 0u; c < 4u; c++) {
        let gc = n0 + tx * 4u + c;
        if (gc < out_c) { acc[q][c] = f32(wts[b + gc]); }
      }
    }
  }
  for (var k0 = 0u; k0 < depth; k0 += 32u) {
    // 1024 values of each operand, 16 per thread: neighbouring threads read neighbouring k of
    // one pixel's patch (NHWC) and neighbouring channels of one row of the filter ([k][out_c]).
    for (var j = 0u; j < 16u; j++) {
      let e = lane + j * 64u;
      let low = e % 32u;
      let high = e / 32u;
      let p = m0 + high;  // patch value: pixel `high`, term `low`
      let k = k0 + low;
      var v = 0.0;
      if (p < pixels && k < depth) {
        if (pointwise) {
          v = f32(act[P(1u) + p * in_c + k]);
        } else {
          let n = p / out_hw;
          let rest = p % out_hw;
          let oy = rest / out_w;
          let ox = rest % out_w;
          let ic = k % in_c;
          let tap = k / in_c;
          let iy = i32(oy * P(13u) + (tap / kernel_w) * P(15u)) - i32(P(17u));
          let ix = i32(ox * P(14u) + (tap % kernel_w) * P(16u)) - i32(P(18u));
          if (iy >= 0 && iy < i32(in_h) && ix >= 0 && ix < i32(in_w)) {
            v = f32(act[P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c + ic]);
          }
        }
      }
      tile_a[low * 8u + high / 4u][high % 4u] = v;
      let gc = n0 + low;  // filter value: term `high`, channel `low`
      let kw = k0 + high;
      var w = 0.0;
      if (gc < out_c && kw < depth) { w = f32(wts[P(2u) + kw * out_c + gc]); }
      tile_b[high * 8u + low / 4u][low % 4u] = w;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < 32u; kk++) {
      let w = tile_b[kk * 8u + tx];
      let a = tile_a[kk * 8u + ty];
      acc[0] = acc[0] + a.x * w;
      acc[1] = acc[1] + a.y * w;
      acc[2] = acc[2] + a.z * w;
      acc[3] = acc[3] + a.w * w;
    }
    workgroupBarrier();
  }
  // The store as conv2d_x4's: activation, fused residual ADD and its activation, fused PRELU.
  let res = P(21u);
  let alpha = P(24u);
  for (var q = 0u; q < 4u; q++) {
    let p = m0 + ty * 4u + q;
    if (p >= pixels) { break; }
    for (var c = 0u; c < 4u; c++) {
      let gc = n0 + tx * 4u + c;
      if (gc >= out_c) { break; }
      let o = p * out_c + gc;
      var v = clamp(acc[q][c], PF(19u), PF(20u));
      if (res != 0xffffffffu) { v = clamp(v + f32(act[res + o]), PF(22u), PF(23u)); }
      if (alpha != 0xffffffffu) {
        let a = f32(wts[alpha + gc]);
        v = select(v * a, v, v >= 0.0);
      }
      act[P(4u) + o] = S(v);
    }
  }
}
)wgsl";

}  // namespace handtrack::backend::webgpu
