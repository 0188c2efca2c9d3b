// PNG decoding and encoding (libpng), internal to handtrack_io; see image_io.h for the contract.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "handtrack/image.h"
#include "handtrack/image_io.h"
#include "handtrack/status.h"

namespace handtrack {

// Decodes PNG bytes of any colour type and bit depth into packed 8-bit RGB.
// Palette and grey images are expanded, 16-bit samples scaled to 8 bits and
// alpha dropped (the colour channels are kept as stored, as MediaPipe does).
Result<Image> DecodePng(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits);

}  // namespace handtrack
