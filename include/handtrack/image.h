// Images handed to handtrack.
//
// ImageView wraps caller memory without copying: the caller keeps the pixels
// alive and unchanged for the duration of the call that receives the view.
// Image owns its pixels (used by the decoders and tools).
//
// Threading: views and images are plain values; concurrent reads are safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "handtrack/status.h"

namespace handtrack {

enum class PixelFormat { kRGB, kRGBA, kBGR, kBGRA };

// Bytes per pixel of a format (3 or 4).
int BytesPerPixel(PixelFormat format);

// A non-owning view of 8-bit interleaved pixels, rows top to bottom.
// stride_bytes is the distance between the starts of two rows (>= width * bpp).
struct ImageView {
  const uint8_t* data = nullptr;
  int width = 0;
  int height = 0;
  int stride_bytes = 0;
  PixelFormat format = PixelFormat::kRGB;

  // A view of tightly packed pixels (stride = width * bpp).
  static ImageView Packed(const uint8_t* data, int width, int height, PixelFormat format) {
    return ImageView{data, width, height, width * BytesPerPixel(format), format};
  }

  // OK when the view is usable: non-null data, positive size, stride large enough.
  Status Validate() const;
};

// An owning image of packed pixels.
class Image {
 public:
  Image() = default;
  Image(int width, int height, PixelFormat format)
      : width_(width),
        height_(height),
        format_(format),
        pixels_(static_cast<size_t>(width) * height * BytesPerPixel(format)) {}

  int width() const { return width_; }
  int height() const { return height_; }
  PixelFormat format() const { return format_; }
  int stride_bytes() const { return width_ * BytesPerPixel(format_); }
  uint8_t* data() { return pixels_.data(); }
  const uint8_t* data() const { return pixels_.data(); }
  bool empty() const { return pixels_.empty(); }
  ImageView view() const { return ImageView{pixels_.data(), width_, height_, stride_bytes(), format_}; }

 private:
  int width_ = 0;
  int height_ = 0;
  PixelFormat format_ = PixelFormat::kRGB;
  std::vector<uint8_t> pixels_;
};

}  // namespace handtrack
