// EXIF orientation: finding it in a JPEG and applying it to decoded pixels.
#pragma once

#include <cstdint>
#include <span>

#include "handtrack/image.h"

namespace handtrack {

// The EXIF Orientation tag (1..8) of the first APP1 Exif segment of a JPEG,
// or 1 (upright) when the bytes hold none or it is malformed. The bytes are
// untrusted: every offset is checked, nothing is read past the span.
int ReadJpegExifOrientation(std::span<const uint8_t> jpeg);

// Returns `image` turned as an EXIF viewer shows it: 2 mirrors left-right,
// 3 rotates 180 degrees, 4 mirrors top-bottom, 5 transposes, 6 rotates 90
// degrees clockwise, 7 transverses, 8 rotates 90 degrees counter-clockwise.
// 1 and unknown values return the image unchanged.
Image ApplyExifOrientation(Image image, int orientation);

}  // namespace handtrack
