// Reading and writing image files (JPEG via libjpeg-turbo, PNG via libpng).
//
// Decoding treats the bytes as untrusted: the type is sniffed from the
// content (not the file name), the pixel count is checked against
// DecodeLimits before any pixel memory is allocated, and corrupt or
// truncated data gives an InvalidImage error naming the file and the reason.
// EXIF orientation of JPEG files is applied (as browsers and MediaPipe's web
// demos do), so the returned image is upright.
//
// Threading: every function is thread-safe (no shared state).
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "handtrack/image.h"
#include "handtrack/status.h"

namespace handtrack {

struct DecodeLimits {
  // Images with more pixels than this are refused before decoding
  // (ResourceExhausted). 100 megapixels by default.
  int64_t max_pixels = 100'000'000;
  // Files larger than this are refused before reading (ResourceExhausted).
  int64_t max_file_bytes = 256LL * 1024 * 1024;
};

// Decodes a JPEG or PNG file into packed RGB.
Result<Image> ReadImageFile(const std::string& path, const DecodeLimits& limits = {});

// Decodes JPEG or PNG bytes into packed RGB; `name` is used in messages.
Result<Image> DecodeImage(std::span<const uint8_t> bytes, const std::string& name,
                          const DecodeLimits& limits = {});

// Writes an RGB or RGBA image as PNG.
Status WritePngFile(const std::string& path, const ImageView& image);

}  // namespace handtrack
