// Pre-processing on the device: 8-bit images sampled straight into a model's
// float input, so that frames cross to the GPU as bytes and the float tensors
// (602 KB per hand crop) never exist on the host.
//
// The rule is that of vision's CPU samplers (vision/image_to_tensor.h, MediaPipe's
// OpenCV path): tensor pixel (x, y) reads the image at
//   row_x = origin_x + y * row_step_x,   then  row_x + x * column_step_x
//   row_y = origin_y + y * row_step_y,   then  row_y + x * column_step_y
// evaluated in double in exactly this order (no fused multiply-add), rounded half
// to even to 1/32 pixel, blended with integer bilinear weights and rounded back to
// 8 bits, then scaled by 1.0f / 255. A device implementation gives the same bits
// as the CPU; the tests compare them exactly.
//
// Ownership: a DeviceImage points into memory of the ImageUploader that made it
// and is valid until that uploader's next Upload or its destruction.
// Threading: an ImageUploader serves one thread at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>

#include "base/yuv_rgb.h"
#include "handtrack/gpu_frame.h"
#include "handtrack/image.h"
#include "handtrack/status.h"

namespace handtrack::backend {

// Where tensor pixels sample the image (see above), in pixel-index coordinates.
struct SamplingGrid {
  double origin_x = 0;
  double origin_y = 0;
  double column_step_x = 0;
  double column_step_y = 0;
  double row_step_x = 0;
  double row_step_y = 0;
};

// 8-bit pixels in a backend's device memory: packed RGB(A)/BGR(A), or NV12 when
// `chroma` is set (then `pixels` is the luma plane, and each sampled pixel is first
// converted, by `rgb_table` or by YuvPixelToRgb with `yuv`: the tensor equals that of
// the image ConvertNv12ToRgb gives, sampled).
struct DeviceImage {
  const uint8_t* pixels = nullptr;  // device address
  int width = 0;
  int height = 0;
  int64_t stride_bytes = 0;
  int bytes_per_pixel = 3;          // 3 or 4 (the alpha byte is ignored); 1 for NV12's luma
  bool swap_red_blue = false;       // BGR(A) in memory: the tensor is RGB either way
  const uint8_t* chroma = nullptr;  // NV12's interleaved U,V plane (device address)
  int64_t chroma_stride_bytes = 0;
  YuvToRgbCoefficients yuv;
  const uint32_t* rgb_table = nullptr;  // Nv12View::rgb_table (device address): instead of `yuv`
  // Set when the pixels may still be on their way up (ImageUploader::Upload): an event of
  // the backend (CUDA: a cudaEvent_t of the uploader's device) that a segment waits for
  // (on the host or on its stream) before its sampling kernel reads them. Null: the pixels
  // are there.
  void* copied_event = nullptr;
};

// The DeviceImage of an NV12 frame whose planes are already in device memory.
inline DeviceImage Nv12DeviceImage(const Nv12View& frame) {
  DeviceImage image;
  image.pixels = frame.luma;
  image.width = frame.width;
  image.height = frame.height;
  image.stride_bytes = frame.luma_stride_bytes;
  image.bytes_per_pixel = 1;
  image.chroma = frame.chroma;
  image.chroma_stride_bytes = frame.chroma_stride_bytes;
  image.yuv = YuvCoefficients(frame.matrix, frame.full_range);
  image.rgb_table = frame.rgb_table;
  return image;
}

// One frame of a model input: `grid` of `image` into an RGB float tensor, or
// zeros when image.pixels is null (an unused batch slot, or a region the CPU
// path would also leave black).
struct ImageSampling {
  DeviceImage image;
  SamplingGrid grid;
  bool replicate_border = false;  // else pixels outside the image are black
};

// Writes frame `frame`'s floats on the host: what the runtime calls when the
// plan cannot sample on the device (a CPU plan, or after an automatic fallback).
using HostInputFill = std::function<void(int frame, float* out)>;

// What uploaders share: `image`'s rows copied to `out` without their padding
// (image.width * bytes per pixel each), and the DeviceImage of such packed
// pixels at device address `pixels`.
inline void PackImageRows(const ImageView& image, uint8_t* out) {
  const size_t row_bytes = static_cast<size_t>(image.width) * BytesPerPixel(image.format);
  if (static_cast<size_t>(image.stride_bytes) == row_bytes) {
    std::memcpy(out, image.data, row_bytes * image.height);
    return;
  }
  for (int y = 0; y < image.height; ++y)
    std::memcpy(out + y * row_bytes, image.data + static_cast<size_t>(y) * image.stride_bytes, row_bytes);
}
inline DeviceImage PackedDeviceImage(const ImageView& image, const uint8_t* pixels) {
  DeviceImage device_image;
  device_image.pixels = pixels;
  device_image.width = image.width;
  device_image.height = image.height;
  device_image.bytes_per_pixel = BytesPerPixel(image.format);
  device_image.stride_bytes = static_cast<int64_t>(image.width) * device_image.bytes_per_pixel;
  device_image.swap_red_blue = image.format == PixelFormat::kBGR || image.format == PixelFormat::kBGRA;
  return device_image;
}

class ImageUploader {
 public:
  virtual ~ImageUploader() = default;
  // Copies `image` to the device: the copy may still be in flight when this returns
  // (then the result's copied_event is set, and the backend's segments wait for it), but
  // `image` is no longer read. The result stays valid until the next Upload, which waits
  // for this copy first. Errors name the image size and the device's reason; a copy that
  // fails after the return fails the run that reads it.
  virtual Result<DeviceImage> Upload(const ImageView& image) = 0;
  // The DeviceImage of a frame already in device memory, without a copy, valid while the
  // frame lives; Unsupported when this uploader's device cannot read it (another GPU, or a
  // backend that does not sample NV12), and the caller then uploads the frame's host pixels.
  virtual Result<DeviceImage> UseGpuFrame(const GpuFrame& frame) {
    (void)frame;
    return UnsupportedError("failed to use a GPU frame: this backend samples host images only");
  }
};

}  // namespace handtrack::backend
