// Split sums: one workgroup of 64 threads per output element, each thread
// summing every 64th term, then a tree reduction in workgroup memory. For the
// layers whose sums are long and whose outputs are few (landmark model: 1x1
// convolutions from 1152 channels at 7x7, the fully connected heads), where a
// thread per output leaves most of the GPU idle and waits on one long chain.
// The order of the sum differs from the reference's; the tests' bounds hold.
// On by default where the sums are long and the outputs few; "webgpu.split_k" =
// "0" turns it off, "force" puts it everywhere (the op tests). On the H200
// through Dawn it halved hand_landmark_full (3.03 -> 1.51 ms) and took
// palm_detection_full from 1.96 to 1.74 ms (docs/WEB.md); a software adapter
// runs threads as a CPU does, so the backend turns it off there.
#include "backend/webgpu/ops.h"

namespace handtrack::backend::webgpu {

bool UseSplitK(const Program& program, int64_t outputs, int64_t depth) {
  const std::string setting = program.setting("webgpu.split_k");
  if (setting == "force") return true;  // every convolution and fully connected layer (tests)
  return setting != "0" && depth >= 256 && outputs <= 32768;
}

// P as conv2d.cc's; P(0) = outputs * 64.
const char kConv2DSplitKShader[] = R"wgsl(
var<workgroup> sums: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let i = wg.x + wg.y * groups.x;
  let valid = i < P(0u) / 64u;
  let out_c = P(10u);
  let oc = i % out_c;
  var r = i / out_c;
  let ox = r % P(9u);
  r = r / P(9u);
  let oy = r % P(8u);
  let n = r / P(8u);
  var sum = 0.0;
  if (valid) {
    let in_h = P(5u);
    let in_w = P(6u);
    let in_c = P(7u);
    let kernel_w = P(12u);
    let depth = P(11u) * kernel_w * in_c;
    let wb = P(2u) + oc * depth;
    for (var k = lane; k < depth; k += 64u) {
      let ic = k % in_c;
      let tap = k / in_c;
      let kx = tap % kernel_w;
      let ky = tap / kernel_w;
      let iy = i32(oy * P(13u) + ky * P(15u)) - i32(P(17u));
      let ix = i32(ox * P(14u) + kx * P(16u)) - i32(P(18u));
      if (iy >= 0 && iy < i32(in_h) && ix >= 0 && ix < i32(in_w)) {
        sum = sum + f32(act[P(1u) + ((n * in_h + u32(iy)) * in_w + u32(ix)) * in_c + ic]) * f32(wts[wb + k]);
      }
    }
  }
  sums[lane] = sum;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
    if (lane < stride) { sums[lane] = sums[lane] + sums[lane + stride]; }
    workgroupBarrier();
  }
  if (lane == 0u && valid) {
    var acc = sums[0];
    if (P(3u) != 0xffffffffu) { acc = acc + f32(wts[P(3u) + oc]); }
    var v = clamp(acc, PF(19u), PF(20u));
    if (P(21u) != 0xffffffffu) { v = clamp(v + f32(act[P(21u) + i]), PF(22u), PF(23u)); }
    if (P(24u) != 0xffffffffu) {
      let alpha = f32(wts[P(24u) + oc]);
      v = select(v * alpha, v, v >= 0.0);
    }
    act[P(4u) + i] = S(v);
  }
}
)wgsl";

// P as fully_connected.cc's; P(0) = outputs * 64.
const char kFullyConnectedSplitKShader[] = R"wgsl(
var<workgroup> sums: array<f32, 64>;
@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>,
        @builtin(local_invocation_index) lane: u32) {
  let i = wg.x + wg.y * groups.x;
  let valid = i < P(0u) / 64u;
  let out_features = P(6u);
  let o = i % out_features;
  let b = i / out_features;
  let in_features = P(5u);
  var sum = 0.0;
  if (valid) {
    let ib = P(1u) + b * in_features;
    let wb = P(2u) + o * in_features;
    for (var k = lane; k < in_features; k += 64u) {
      sum = sum + f32(act[ib + k]) * f32(wts[wb + k]);
    }
  }
  sums[lane] = sum;
  workgroupBarrier();
  for (var stride = 32u; stride > 0u; stride = stride >> 1u) {
    if (lane < stride) { sums[lane] = sums[lane] + sums[lane + stride]; }
    workgroupBarrier();
  }
  if (lane == 0u && valid) {
    var acc = sums[0];
    if (P(3u) != 0xffffffffu) { acc = acc + f32(wts[P(3u) + o]); }
    act[P(4u) + i] = S(clamp(acc, PF(7u), PF(8u)));
  }
}
)wgsl";

}  // namespace handtrack::backend::webgpu
