// Where the FFmpeg video reader gets its bytes (internal to handtrack_io): a file that FFmpeg
// opens itself, or a copy in memory read through a custom AVIOContext.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "handtrack/status.h"
#include "io/ffmpeg_util.h"

namespace handtrack::ffmpeg {

// Bytes read by a custom AVIOContext; must outlive it.
struct MemoryInput {
  std::vector<uint8_t> bytes;
  int64_t position = 0;
};

// A read-only, seekable AVIOContext over *input.
Result<IoContextPtr> MakeMemoryIoContext(MemoryInput* input);

// Opens the container and probes its streams. `io` is null for a file (named `name`), else
// the memory input (then `name` is only used in messages and as a probing hint).
// `max_pixels` bounds the pictures that probing may decode.
Result<InputFormatPtr> OpenContainer(const std::string& name, AVIOContext* io, int64_t max_pixels);

// A reason for "failed to open NAME: ..." when FFmpeg could not recognise the input: names
// text files (a common mistake), else FFmpeg's own reason. `first_bytes` may be empty.
std::string DescribeUnrecognisedInput(std::span<const uint8_t> first_bytes, int av_error);

// Up to 64 bytes from the start of a file (empty when unreadable), for error messages.
std::vector<uint8_t> ReadFirstBytes(const std::string& path);

}  // namespace handtrack::ffmpeg
