// libFuzzer target: opening and decoding a video (any container and codec FFmpeg knows,
// through the same path as VideoReader::Open, fed from memory) must never crash, leak,
// hang or read out of bounds, whatever the bytes; errors are fine.
//
// Seeds: when a corpus folder given on the command line is empty, LLVMFuzzerInitialize
// fills it with tiny videos made by VideoWriter (MP4, MKV, WebM, AVI/MJPEG, MOV, and a raw
// MPEG-2 stream, whose sequence display extension hands the colour description to the decoder
// as plain bytes: one mutated byte there gives a matrix outside FFmpeg's enums, as a CI run
// once found), so a run needs no seed files of its own.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>

#include "handtrack/video_io.h"
#include "io/video_from_memory.h"

namespace {

void WriteSeedVideos(const std::filesystem::path& folder) {
  struct Seed {
    const char* file;
    const char* codec;
  };
  for (const Seed& seed :
       {Seed{"seed.mp4", ""}, Seed{"seed.mkv", ""}, Seed{"seed.webm", ""}, Seed{"seed_mjpeg.avi", "mjpeg"},
        Seed{"seed_mpeg4.mov", "mpeg4"}, Seed{"seed_mpeg2.m2v", "mpeg2video"}}) {
    handtrack::VideoWriterOptions options;
    options.codec = seed.codec;
    options.quality = 35;  // small files: the fuzzer mutates every byte
    auto writer = handtrack::VideoWriter::Open((folder / seed.file).string(), 32, 24, 10, options);
    if (!writer.ok()) continue;  // encoder missing in this FFmpeg build
    handtrack::Image frame(32, 24, handtrack::PixelFormat::kRGB);
    for (int i = 0; i < 4; ++i) {
      for (int p = 0; p < 32 * 24; ++p) std::memset(frame.data() + p * 3, (p % 32 + i * 8) * 7 % 256, 3);
      (void)(*writer)->WriteFrame(frame.view());
    }
    (void)(*writer)->Close();
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int* argc, char*** argv) {
  for (int i = 1; i < *argc; ++i) {
    std::error_code error;
    const std::filesystem::path path((*argv)[i]);
    if (std::filesystem::is_directory(path, error) && std::filesystem::is_empty(path, error))
      WriteSeedVideos(path);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Small bounds keep each input fast and within the fuzzer's memory limit; hitting them is
  // itself part of what is tested.
  handtrack::VideoReaderOptions options;
  options.max_pixels = 1 << 20;
  options.max_frames = 64;
  options.max_consecutive_decode_errors = 8;
  auto reader = handtrack::OpenVideoFromMemory(std::span<const uint8_t>(data, size), "fuzz-input", options);
  if (!reader.ok()) {
    if (reader.status().message().rfind("failed to ", 0) != 0) __builtin_trap();  // messages keep their form
    return 0;
  }
  const handtrack::VideoInfo& info = (*reader)->info();
  if (info.width <= 0 || info.height <= 0) __builtin_trap();
  handtrack::VideoFrame frame;
  int64_t last_timestamp_ms = -1;
  // The reader stops by itself (max_frames); the bound here only guards against a bug.
  for (int i = 0; i <= options.max_frames + 1; ++i) {
    handtrack::Result<bool> got = (*reader)->ReadFrame(&frame);
    if (!got.ok() || !*got) break;
    const handtrack::Image& image = frame.image;
    if (image.width() <= 0 || image.height() <= 0 ||
        static_cast<int64_t>(image.width()) * image.height() > options.max_pixels) {
      __builtin_trap();
    }
    if (frame.timestamp_ms <= last_timestamp_ms) __builtin_trap();  // promised strictly increasing
    last_timestamp_ms = frame.timestamp_ms;
  }
  return 0;
}
