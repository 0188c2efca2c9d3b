// Turning decoded video pictures upright (internal to handtrack_io).
#pragma once

#include <cstdint>

#include "handtrack/image.h"

namespace handtrack {

// Copies a packed-or-strided RGB picture into *out rotated clockwise by `degrees`
// (0, 90, 180 or 270; out is width x height for 0/180, height x width for 90/270).
// *out is reallocated only when its size or format differs.
void RotateRgbClockwise(const uint8_t* pixels, int width, int height, int stride_bytes, int degrees,
                        Image* out);

}  // namespace handtrack
