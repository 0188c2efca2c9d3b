// libFuzzer target: image decoding (JPEG, PNG, EXIF orientation) must never crash,
// leak or read out of bounds, whatever the bytes; errors are fine.
#include <cstddef>
#include <cstdint>
#include <span>

#include "handtrack/image_io.h"
#include "io/exif_orientation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> bytes(data, size);
  // A small pixel budget keeps each run fast and within the fuzzer's memory limit;
  // the limit check itself is what a huge header exercises.
  handtrack::DecodeLimits limits;
  limits.max_pixels = 4'000'000;
  auto image = handtrack::DecodeImage(bytes, "fuzz-input", limits);
  if (image.ok() && (image->width() <= 0 || image->height() <= 0)) __builtin_trap();
  (void)handtrack::ReadJpegExifOrientation(bytes);
  return 0;
}
