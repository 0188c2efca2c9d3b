#include "handtrack/image.h"

#include <string>

namespace handtrack {

int BytesPerPixel(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRGB:
    case PixelFormat::kBGR:
      return 3;
    case PixelFormat::kRGBA:
    case PixelFormat::kBGRA:
      return 4;
  }
  return 3;
}

Status ImageView::Validate() const {
  if (data == nullptr) return InvalidArgumentError("failed to use image: no pixel data");
  if (width <= 0 || height <= 0) {
    return InvalidArgumentError("failed to use image: size " + std::to_string(width) + "x" +
                                std::to_string(height) + " is not positive");
  }
  if (width > (1 << 20) || height > (1 << 20)) {
    return InvalidArgumentError("failed to use image: size " + std::to_string(width) + "x" +
                                std::to_string(height) + " exceeds 1048576 pixels per side");
  }
  if (stride_bytes < width * BytesPerPixel(format)) {
    return InvalidArgumentError("failed to use image: stride " + std::to_string(stride_bytes) +
                                " is smaller than a row of " + std::to_string(width * BytesPerPixel(format)) +
                                " bytes");
  }
  return Status::Ok();
}

}  // namespace handtrack
