#include "io/ffmpeg_input.h"

extern "C" {
#include <libavutil/dict.h>
#include <libavutil/mem.h>
}

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <limits>

namespace handtrack::ffmpeg {
namespace {

constexpr int kIoBufferBytes = 1 << 16;

int ReadMemory(void* opaque, uint8_t* buffer, int size) {
  auto* input = static_cast<MemoryInput*>(opaque);
  const int64_t left = static_cast<int64_t>(input->bytes.size()) - input->position;
  if (left <= 0) return AVERROR_EOF;
  const int count = static_cast<int>(std::min<int64_t>(left, size));
  std::memcpy(buffer, input->bytes.data() + input->position, static_cast<size_t>(count));
  input->position += count;
  return count;
}

int64_t SeekMemory(void* opaque, int64_t offset, int whence) {
  auto* input = static_cast<MemoryInput*>(opaque);
  const int64_t size = static_cast<int64_t>(input->bytes.size());
  whence &= ~AVSEEK_FORCE;
  if (whence == AVSEEK_SIZE) return size;
  int64_t base = 0;
  if (whence == SEEK_CUR) {
    base = input->position;
  } else if (whence == SEEK_END) {
    base = size;
  } else if (whence != SEEK_SET) {
    return AVERROR(EINVAL);
  }
  // Offsets come from the (untrusted) container: check before adding, to avoid overflow.
  if (offset < -base || offset > size - base) return AVERROR(EINVAL);
  input->position = base + offset;
  return input->position;
}

bool LooksLikeText(std::span<const uint8_t> bytes) {
  if (bytes.empty()) return false;
  return std::all_of(bytes.begin(), bytes.end(),
                     [](uint8_t c) { return c >= 0x20 ? c != 0x7F : (c >= 0x09 && c <= 0x0D); });
}

}  // namespace

Result<IoContextPtr> MakeMemoryIoContext(MemoryInput* input) {
  auto* buffer = static_cast<uint8_t*>(av_malloc(kIoBufferBytes));
  if (!buffer) return ResourceExhaustedError("failed to allocate an I/O buffer: out of memory");
  IoContextPtr io(
      avio_alloc_context(buffer, kIoBufferBytes, /*write_flag=*/0, input, ReadMemory, nullptr, SeekMemory));
  if (!io) {
    av_free(buffer);
    return ResourceExhaustedError("failed to allocate an I/O context: out of memory");
  }
  return io;
}

Result<InputFormatPtr> OpenContainer(const std::string& name, AVIOContext* io, int64_t max_pixels) {
  const std::string failed = "failed to open " + name + ": ";
  // "file:" keeps a name like "a:b.mp4" from being read as a URL of protocol "a".
  const std::string url = io ? name : "file:" + name;
  AVFormatContext* context = avformat_alloc_context();
  if (!context) return ResourceExhaustedError(failed + "out of memory");
  if (io) {
    context->pb = io;
    context->flags |= AVFMT_FLAG_CUSTOM_IO;
  }
  // Playlists and references inside the container (HLS, concat, MOV data references) must
  // not reach further than the input itself: local files only, and nothing for memory input.
  AVDictionary* format_options = nullptr;
  av_dict_set(&format_options, "protocol_whitelist", io ? "none" : "file", 0);
  const int opened = avformat_open_input(&context, url.c_str(), nullptr, &format_options);
  av_dict_free(&format_options);
  if (opened < 0) {  // FFmpeg has freed the context
    if (opened == AVERROR(ENOENT)) return NotFoundError(failed + "no such file");
    if (opened == AVERROR(EACCES) || opened == AVERROR(EISDIR))
      return InvalidArgumentError(failed + ErrorText(opened));
    const std::vector<uint8_t> first_bytes = io ? std::vector<uint8_t>() : ReadFirstBytes(name);
    return InvalidImageError(failed + DescribeUnrecognisedInput(first_bytes, opened));
  }
  InputFormatPtr format(context);

  // Probing decodes a few pictures: bound their size before FFmpeg allocates them, and
  // keep it to one thread (the caller manages parallelism).
  const unsigned probed_streams = format->nb_streams;
  std::vector<AVDictionary*> stream_options(probed_streams, nullptr);
  for (AVDictionary*& options : stream_options) {
    av_dict_set_int(&options, "max_pixels", max_pixels, 0);
    av_dict_set(&options, "threads", "1", 0);
  }
  const int probed =
      avformat_find_stream_info(format.get(), stream_options.empty() ? nullptr : stream_options.data());
  for (AVDictionary*& options : stream_options) av_dict_free(&options);
  if (probed < 0) return InvalidImageError(failed + DescribeUnrecognisedInput({}, probed));
  return format;
}

std::string DescribeUnrecognisedInput(std::span<const uint8_t> first_bytes, int av_error) {
  if (av_error == AVERROR_EOF) return "the file ends before its header does (truncated?)";
  if (av_error == AVERROR_INVALIDDATA && LooksLikeText(first_bytes)) return "it is a text file, not a video";
  if (av_error == AVERROR_INVALIDDATA) return "not a video FFmpeg recognises (" + ErrorText(av_error) + ")";
  return ErrorText(av_error);
}

std::vector<uint8_t> ReadFirstBytes(const std::string& path) {
  std::vector<uint8_t> bytes(64);
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (!file) return {};
  bytes.resize(std::fread(bytes.data(), 1, bytes.size(), file));
  std::fclose(file);
  return bytes;
}

}  // namespace handtrack::ffmpeg
