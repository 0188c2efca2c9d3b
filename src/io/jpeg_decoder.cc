#include "io/jpeg_decoder.h"

#include <turbojpeg.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "io/exif_orientation.h"

namespace handtrack {
namespace {

struct TurboJpegDestroyer {
  void operator()(void* handle) const { tjDestroy(handle); }
};
using TurboJpegHandle = std::unique_ptr<void, TurboJpegDestroyer>;

// True when an EOI marker follows the first start-of-scan. Entropy-coded data
// never holds 0xFF 0xD9 (0xFF bytes are stuffed as 0xFF 0x00), so a stream cut
// short has none; thumbnails with their own EOI sit in APP segments before SOS.
bool HasEndOfImageAfterScan(std::span<const uint8_t> jpeg) {
  size_t pos = 2;
  while (pos + 4 <= jpeg.size()) {
    if (jpeg[pos] != 0xFF) return false;
    const uint8_t marker = jpeg[pos + 1];
    if (marker == 0xFF) {  // fill byte
      ++pos;
      continue;
    }
    if (marker == 0xDA) break;
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
      pos += 2;
      continue;
    }
    const size_t length = (size_t{jpeg[pos + 2]} << 8) | jpeg[pos + 3];
    if (length < 2) return false;
    pos += 2 + length;
  }
  for (size_t i = pos; i + 1 < jpeg.size(); ++i) {
    if (jpeg[i] == 0xFF && jpeg[i + 1] == 0xD9) return true;
  }
  return false;
}

// libjpeg warnings that leave every pixel decoded (browsers show these files
// without complaint). Any other warning means missing or corrupt pixel data.
bool IsHarmlessWarning(std::string_view message) {
  static constexpr std::array<std::string_view, 5> kHarmless = {
      "extraneous bytes before marker",
      "unknown JFIF revision",
      "Invalid SOS parameters for sequential JPEG",
      "Adobe APP14",
      "ICC profile",
  };
  for (std::string_view harmless : kHarmless) {
    if (message.find(harmless) != std::string_view::npos) return true;
  }
  return false;
}

// TurboJPEG writes CMYK as Adobe does (inverted: 255 = no ink), so R = C * K / 255.
void InvertedCmykToRgb(const std::vector<uint8_t>& cmyk, Image& rgb) {
  const size_t pixels = static_cast<size_t>(rgb.width()) * rgb.height();
  uint8_t* out = rgb.data();
  for (size_t i = 0; i < pixels; ++i) {
    const unsigned k = cmyk[4 * i + 3];
    for (int c = 0; c < 3; ++c) out[3 * i + c] = static_cast<uint8_t>((cmyk[4 * i + c] * k + 127) / 255);
  }
}

}  // namespace

Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const std::string& name,
                         const DecodeLimits& limits) {
  const std::string failed = "failed to decode " + name + ": ";
  TurboJpegHandle handle(tjInitDecompress());
  if (!handle) return InternalError(failed + "cannot start TurboJPEG: " + tjGetErrorStr2(nullptr));
  // TurboJPEG 2.x takes a non-const pointer but does not write through it.
  auto* data = const_cast<unsigned char*>(bytes.data());
  const auto size = static_cast<unsigned long>(bytes.size());

  int width = 0, height = 0, subsampling = 0, colorspace = 0;
  if (tjDecompressHeader3(handle.get(), data, size, &width, &height, &subsampling, &colorspace) != 0) {
    return InvalidImageError(failed + tjGetErrorStr2(handle.get()));
  }
  if (width <= 0 || height <= 0) {
    // libjpeg reaches the end of a stream cut short inside its header without an error.
    return InvalidImageError(failed + "the JPEG header is truncated or gives no image size (" +
                             std::to_string(width) + "x" + std::to_string(height) + ")");
  }
  const int64_t pixels = int64_t{width} * height;
  if (pixels > limits.max_pixels) {
    return ResourceExhaustedError(failed + "the image is " + std::to_string(width) + "x" +
                                  std::to_string(height) + " pixels, above the limit of " +
                                  std::to_string(limits.max_pixels) + " pixels");
  }

  const bool is_cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  Image image(width, height, PixelFormat::kRGB);
  std::vector<uint8_t> cmyk;
  unsigned char* target = image.data();
  int pixel_format = TJPF_RGB;
  if (is_cmyk) {
    cmyk.resize(static_cast<size_t>(pixels) * 4);
    target = cmyk.data();
    pixel_format = TJPF_CMYK;
  }
  // Default DCT and upsampling (accurate, "fancy"), as Chromium decodes; a cap on
  // progressive scans guards against files built to make decoding take forever.
  const int flags = TJFLAG_LIMITSCANS;
  if (tjDecompress2(handle.get(), data, size, target, width, 0, height, pixel_format, flags) != 0) {
    const std::string message = tjGetErrorStr2(handle.get());
    if (tjGetErrorCode(handle.get()) != TJERR_WARNING) return InvalidImageError(failed + message);
    // A warning: TurboJPEG filled what it could not decode with grey. Accept only
    // warnings that lose nothing, and never a stream cut short.
    if (!HasEndOfImageAfterScan(bytes))
      return InvalidImageError(failed + "truncated JPEG data (" + message + ")");
    if (!IsHarmlessWarning(message)) return InvalidImageError(failed + message);
  }
  if (is_cmyk) InvertedCmykToRgb(cmyk, image);
  return ApplyExifOrientation(std::move(image), ReadJpegExifOrientation(bytes));
}

}  // namespace handtrack
