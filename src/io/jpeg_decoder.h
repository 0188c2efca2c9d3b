// JPEG decoding (TurboJPEG), internal to handtrack_io; see image_io.h for the contract.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "handtrack/image.h"
#include "handtrack/image_io.h"
#include "handtrack/status.h"

namespace handtrack {

// Decodes JPEG bytes into packed RGB, upright (EXIF orientation applied).
Result<Image> DecodeJpeg(std::span<const uint8_t> bytes, const std::string& name, const DecodeLimits& limits);

}  // namespace handtrack
