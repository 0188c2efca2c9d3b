#include "base/yuv_rgb.h"

#include <cmath>
#include <string>

namespace handtrack {

YuvToRgbCoefficients YuvCoefficients(YuvMatrix matrix, bool full_range) {
  // The luma weights of red and blue (ITU-R BT.601, BT.709, BT.2020).
  double kr = 0.299, kb = 0.114;
  if (matrix == YuvMatrix::kBt709) {
    kr = 0.2126;
    kb = 0.0722;
  } else if (matrix == YuvMatrix::kBt2020) {
    kr = 0.2627;
    kb = 0.0593;
  }
  const double kg = 1.0 - kr - kb;
  // Limited range stretches luma 16-235 and chroma 16-240 to 0-255.
  const double luma_scale = full_range ? 1.0 : 255.0 / 219.0;
  const double chroma_scale = full_range ? 1.0 : 255.0 / 224.0;
  const auto fixed = [](double v) { return static_cast<int>(std::lround(v * 65536.0)); };
  YuvToRgbCoefficients k;
  k.luma_offset = full_range ? 0 : 16;
  k.luma_scale = fixed(luma_scale);
  k.red_v = fixed(2.0 * (1.0 - kr) * chroma_scale);
  k.blue_u = fixed(2.0 * (1.0 - kb) * chroma_scale);
  k.green_u = fixed(2.0 * kb * (1.0 - kb) / kg * chroma_scale);
  k.green_v = fixed(2.0 * kr * (1.0 - kr) / kg * chroma_scale);
  return k;
}

Status Nv12View::Validate() const {
  const std::string failed = "failed to use NV12 frame: ";
  if (luma == nullptr || chroma == nullptr) return InvalidArgumentError(failed + "no pixel data");
  if (width <= 0 || height <= 0 || width > (1 << 20) || height > (1 << 20)) {
    return InvalidArgumentError(failed + "size " + std::to_string(width) + "x" + std::to_string(height) +
                                " is not positive or exceeds 1048576 pixels per side");
  }
  const int chroma_row = (width + 1) / 2 * 2;
  if (luma_stride_bytes < width || chroma_stride_bytes < chroma_row) {
    return InvalidArgumentError(failed + "strides " + std::to_string(luma_stride_bytes) + " and " +
                                std::to_string(chroma_stride_bytes) + " are smaller than rows of " +
                                std::to_string(width) + " and " + std::to_string(chroma_row) + " bytes");
  }
  return Status::Ok();
}

void ConvertNv12ToRgb(const Nv12View& image, uint8_t* out) {
  const YuvToRgbCoefficients k = YuvCoefficients(image.matrix, image.full_range);
  for (int y = 0; y < image.height; ++y) {
    const uint8_t* luma = image.luma + static_cast<int64_t>(y) * image.luma_stride_bytes;
    const uint8_t* chroma = image.chroma + static_cast<int64_t>(y / 2) * image.chroma_stride_bytes;
    uint8_t* rgb = out + static_cast<int64_t>(y) * image.width * 3;
    for (int x = 0; x < image.width; ++x) {
      const int u = chroma[x / 2 * 2], v = chroma[x / 2 * 2 + 1];
      if (image.rgb_table != nullptr) {
        TableRgb(image.rgb_table, luma[x], u, v, rgb + x * 3);
      } else {
        YuvPixelToRgb(k, luma[x], u, v, rgb + x * 3);
      }
    }
  }
}

}  // namespace handtrack
