#include "backend/webgpu/image_sampling.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "backend/webgpu/device.h"
#include "backend/webgpu/program.h"

namespace handtrack::backend::webgpu {
namespace {

// cv::INTER_BITS, as vision/image_to_tensor.cc: coordinates in 1/32 pixel.
constexpr double kInterSteps = 32;
// The CPU clamps coordinates to +-2^30 (in 1/32 pixel) before rounding, far outside
// any image; a row's and a column's part are clamped to 2^28, so that twice their
// sum stays in int32 (the shader's half-ulp test).
constexpr double kPartLimit = 1 << 28;
constexpr int kHeaderWords = 16;
constexpr int kWordsPerValue = 3;  // integer, fraction's high limb, fraction's low limb
constexpr int kErrorBytes = 512;

// A frame's header (word indices into its block); the shader reads the same.
enum Header : int {
  kOutWidth = 0,
  kOutHeight,
  kArenaOffset,
  kValid,
  kImageWidth,
  kImageHeight,
  kStrideBytes,
  kBytesPerPixel,
  kSwapRedBlue,
  kReplicateBorder,
  kInverse255,
  kImageId,
};

// `value` (1/32 pixels) as an integer, then its fraction (in [-0.5, 0.5]) as
// 2^61ths split into a high limb (2^-30) and a 31-bit low limb (2^-61).
void PutValue(double value, uint32_t* words) {
  value = std::clamp(value, -kPartLimit, kPartLimit);
  const double whole = std::nearbyint(value);
  const double fraction = value - whole;  // exact: |value| < 2^30
  const int64_t scaled = std::llround(std::ldexp(fraction, 61));
  words[0] = static_cast<uint32_t>(static_cast<int32_t>(whole));
  words[1] = static_cast<uint32_t>(static_cast<int32_t>(scaled >> 31));
  words[2] = static_cast<uint32_t>(scaled & 0x7fffffff);
}

class WebGpuImageUploader final : public ImageUploader {
 public:
  WebGpuImageUploader() : id_(htgpu_image_create()) {}
  ~WebGpuImageUploader() override { htgpu_image_release(id_); }

  // Rows are packed (and padded to whole 32-bit words, which WebGPU copies need)
  // when the caller's are not; writeBuffer then queues the copy ahead of any run.
  Result<DeviceImage> Upload(const ImageView& image) override {
    const std::string what = "upload a " + std::to_string(image.width) + "x" + std::to_string(image.height) +
                             " image to the WebGPU device";
    HT_RETURN_IF_ERROR(image.Validate().WithPrefix("failed to " + what));
    const size_t bytes = static_cast<size_t>(image.width) * BytesPerPixel(image.format) * image.height;
    const size_t padded = (bytes + 3) / 4 * 4;
    const uint8_t* source = image.data;
    if (static_cast<size_t>(image.stride_bytes) * image.height != bytes || padded != bytes) {
      staging_.assign(padded, 0);
      PackImageRows(image, staging_.data());
      source = staging_.data();
    }
    char error[kErrorBytes] = {0};
    if (htgpu_image_upload(id_, source, static_cast<int>(padded), error, kErrorBytes) < 0)
      return UnavailableError("failed to " + what + ": " + error);
    return PackedDeviceImage(image, reinterpret_cast<const uint8_t*>(static_cast<uintptr_t>(id_)));
  }

 private:
  const int id_;
  std::vector<uint8_t> staging_;
};

}  // namespace

// One thread per tensor pixel of one frame (the table is bound at the frame's block).
const char kSampleImageShader[] = R"(
@group(0) @binding(0) var<storage, read_write> act: array<S>;
@group(0) @binding(1) var<storage, read> pixels: array<u32>;
@group(0) @binding(2) var<storage, read> table: array<u32>;

// The CPU's round_half_even(fl(a + b)) of two values sent as (integer, fraction
// in 2^-30, fraction in 2^-61) at table[a_at], table[b_at], in integers only (a
// GPU compiler may rearrange float arithmetic): the fraction's sum is exact to
// 2^-61, and a sum within half a double ulp of a half-integer counts as that
// half-integer, where the CPU's double addition lands.
fn fixed_point(a_at: u32, b_at: u32) -> i32 {
  let low = table[a_at + 2u] + table[b_at + 2u];  // two 31-bit limbs: no overflow
  let f0 = low & 0x7fffffffu;
  let f1 = bitcast<i32>(table[a_at + 1u]) + bitcast<i32>(table[b_at + 1u]) + i32(low >> 31u);
  let w = bitcast<i32>(table[a_at]) + bitcast<i32>(table[b_at]);
  // Half a double ulp at |w +- 0.5| = |2w +- 1| / 2, in units of 2^-61.
  let snap_up = 1u << (firstLeadingBit(u32(abs(2 * w + 1))) + 7u);
  let snap_down = 1u << (firstLeadingBit(u32(abs(2 * w - 1))) + 7u);
  let up = f1 - (1 << 29);  // the fraction less 0.5, high limb
  if ((up == 0 && f0 <= snap_up) || (up == -1 && f0 >= 0x80000000u - snap_up)) { return w + (w & 1); }
  if (up >= 0) { return w + 1; }
  let down = f1 + (1 << 29);  // the fraction plus 0.5, high limb
  if ((down == 0 && f0 <= snap_down) || (down == -1 && f0 >= 0x80000000u - snap_down)) { return w - (w & 1); }
  if (down < 0) { return w - 1; }
  return w;
}

fn byte_at(offset: u32) -> u32 { return (pixels[offset >> 2u] >> ((offset & 3u) * 8u)) & 255u; }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) groups: vec3<u32>) {
  let out_w = table[0];
  let out_h = table[1];
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= out_w * out_h) { return; }
  let dst = table[2] + i * 3u;
  if (table[3] == 0u) {
    act[dst] = S(0.0);
    act[dst + 1u] = S(0.0);
    act[dst + 2u] = S(0.0);
    return;
  }
  let x = i % out_w;
  let y = i / out_w;
  let row = 16u + y * 6u;
  let column = 16u + out_h * 6u + x * 6u;
  let fixed_x = fixed_point(row, column);
  let fixed_y = fixed_point(row + 3u, column + 3u);
  let sx = fixed_x >> 5u;
  let sy = fixed_y >> 5u;
  let wx1 = u32(fixed_x & 31);
  let wy1 = u32(fixed_y & 31);
  let wx0 = 32u - wx1;
  let wy0 = 32u - wy1;
  let width = i32(table[4]);
  let height = i32(table[5]);
  let stride = table[6];
  let bpp = table[7];
  let replicate = table[9] != 0u;
  var offsets: array<u32, 4>;
  var inside: array<bool, 4>;
  for (var k = 0u; k < 4u; k++) {
    var cx = sx + i32(k & 1u);
    var cy = sy + i32(k >> 1u);
    inside[k] = true;
    if (replicate) {
      cx = clamp(cx, 0, width - 1);
      cy = clamp(cy, 0, height - 1);
    } else if (cx < 0 || cy < 0 || cx >= width || cy >= height) {
      inside[k] = false;
      cx = 0;
      cy = 0;
    }
    offsets[k] = u32(cy) * stride + u32(cx) * bpp;
  }
  let inverse_255 = bitcast<f32>(table[10]);
  for (var c = 0u; c < 3u; c++) {
    let source = select(c, 2u - c, table[8] != 0u);
    var v: array<u32, 4>;
    for (var k = 0u; k < 4u; k++) { v[k] = select(0u, byte_at(offsets[k] + source), inside[k]); }
    let top = v[0] * wx0 + v[1] * wx1;
    let bottom = v[2] * wx0 + v[3] * wx1;
    let level = (top * wy0 + bottom * wy1 + 512u) >> 10u;
    act[dst + c] = S(f32(level) * inverse_255);
  }
}
)";

int SamplingBlockWords(int out_width, int out_height) {
  const int words = kHeaderWords + (out_width + out_height) * 2 * kWordsPerValue;
  return (words + 63) / 64 * 64;
}

std::vector<uint32_t> BuildSamplingTable(std::span<const ImageSampling> frames, int out_width, int out_height,
                                         uint32_t arena_offset) {
  const int block_words = SamplingBlockWords(out_width, out_height);
  std::vector<uint32_t> table(frames.size() * block_words, 0);
  const uint32_t frame_elements = static_cast<uint32_t>(out_width) * out_height * 3;
  for (size_t f = 0; f < frames.size(); ++f) {
    uint32_t* block = table.data() + f * block_words;
    const ImageSampling& frame = frames[f];
    block[kOutWidth] = static_cast<uint32_t>(out_width);
    block[kOutHeight] = static_cast<uint32_t>(out_height);
    block[kArenaOffset] = arena_offset + static_cast<uint32_t>(f) * frame_elements;
    if (frame.image.pixels == nullptr) continue;  // zeros
    block[kValid] = 1;
    block[kImageWidth] = static_cast<uint32_t>(frame.image.width);
    block[kImageHeight] = static_cast<uint32_t>(frame.image.height);
    block[kStrideBytes] = static_cast<uint32_t>(frame.image.stride_bytes);
    block[kBytesPerPixel] = static_cast<uint32_t>(frame.image.bytes_per_pixel);
    block[kSwapRedBlue] = frame.image.swap_red_blue ? 1 : 0;
    block[kReplicateBorder] = frame.replicate_border ? 1 : 0;
    block[kInverse255] = FloatBits(1.0f / 255.0f);
    block[kImageId] = static_cast<uint32_t>(reinterpret_cast<uintptr_t>(frame.image.pixels));
    // The CPU samplers' double arithmetic, in their order (image_sampling.h), times 32 (exact).
    const SamplingGrid& g = frame.grid;
    uint32_t* rows = block + kHeaderWords;
    for (int y = 0; y < out_height; ++y) {
      const double row_x = g.origin_x + static_cast<double>(y) * g.row_step_x;
      const double row_y = g.origin_y + static_cast<double>(y) * g.row_step_y;
      PutValue(row_x * kInterSteps, rows + y * 2 * kWordsPerValue);
      PutValue(row_y * kInterSteps, rows + y * 2 * kWordsPerValue + kWordsPerValue);
    }
    uint32_t* columns = rows + out_height * 2 * kWordsPerValue;
    for (int x = 0; x < out_width; ++x) {
      const double step_x = static_cast<double>(x) * g.column_step_x;
      const double step_y = static_cast<double>(x) * g.column_step_y;
      PutValue(step_x * kInterSteps, columns + x * 2 * kWordsPerValue);
      PutValue(step_y * kInterSteps, columns + x * 2 * kWordsPerValue + kWordsPerValue);
    }
  }
  return table;
}

std::unique_ptr<ImageUploader> CreateImageUploader() { return std::make_unique<WebGpuImageUploader>(); }

}  // namespace handtrack::backend::webgpu
