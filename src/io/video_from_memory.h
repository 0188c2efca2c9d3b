// Opening a video held in memory (internal to handtrack_io; used by the fuzzer and tests).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "handtrack/status.h"
#include "handtrack/video_io.h"

namespace handtrack {

// Decodes `bytes` through a custom AVIOContext with exactly the demux, decode and
// conversion path of VideoReader::Open. The bytes are copied; `name` is used in messages.
// The input cannot make FFmpeg open other files or URLs.
Result<std::unique_ptr<VideoReader>> OpenVideoFromMemory(std::span<const uint8_t> bytes,
                                                         const std::string& name,
                                                         const VideoReaderOptions& options = {});

}  // namespace handtrack
