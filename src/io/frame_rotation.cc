#include "io/frame_rotation.h"

#include <algorithm>
#include <cstring>

namespace handtrack {
namespace {

// Tiles keep both the rows read and the rows written in cache for the 90/270 cases,
// where one walks the other's columns.
constexpr int kTile = 32;

inline void CopyPixel(const uint8_t* from, uint8_t* to) {
  to[0] = from[0];
  to[1] = from[1];
  to[2] = from[2];
}

}  // namespace

void RotateRgbClockwise(const uint8_t* pixels, int width, int height, int stride_bytes, int degrees,
                        Image* out) {
  const bool swaps_sides = degrees == 90 || degrees == 270;
  const int out_width = swaps_sides ? height : width;
  const int out_height = swaps_sides ? width : height;
  if (out->width() != out_width || out->height() != out_height || out->format() != PixelFormat::kRGB) {
    *out = Image(out_width, out_height, PixelFormat::kRGB);
  }
  uint8_t* dst = out->data();
  const int dst_stride = out->stride_bytes();
  auto src_at = [&](int x, int y) { return pixels + static_cast<ptrdiff_t>(y) * stride_bytes + x * 3; };
  auto dst_at = [&](int x, int y) { return dst + static_cast<ptrdiff_t>(y) * dst_stride + x * 3; };

  if (degrees == 0) {
    for (int y = 0; y < height; ++y) std::memcpy(dst_at(0, y), src_at(0, y), static_cast<size_t>(width) * 3);
    return;
  }
  if (degrees == 180) {
    for (int y = 0; y < height; ++y) {
      const uint8_t* from = src_at(width - 1, height - 1 - y);
      uint8_t* to = dst_at(0, y);
      for (int x = 0; x < width; ++x, from -= 3, to += 3) CopyPixel(from, to);
    }
    return;
  }
  // 90: output (x, y) shows source (y, height - 1 - x); 270: source (width - 1 - y, x).
  for (int tile_y = 0; tile_y < out_height; tile_y += kTile) {
    const int y_end = std::min(tile_y + kTile, out_height);
    for (int tile_x = 0; tile_x < out_width; tile_x += kTile) {
      const int x_end = std::min(tile_x + kTile, out_width);
      for (int y = tile_y; y < y_end; ++y) {
        uint8_t* to = dst_at(tile_x, y);
        for (int x = tile_x; x < x_end; ++x, to += 3) {
          CopyPixel(degrees == 90 ? src_at(y, height - 1 - x) : src_at(width - 1 - y, x), to);
        }
      }
    }
  }
}

}  // namespace handtrack
