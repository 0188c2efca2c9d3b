#include "io/ffmpeg_util.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

#include <cstring>
#include <mutex>

namespace handtrack::ffmpeg {

std::string ErrorText(int av_error) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(av_error, text, sizeof(text)) < 0) return "FFmpeg error " + std::to_string(av_error);
  return text;
}

void QuietLogging() {
  static std::once_flag once;
  std::call_once(once, [] {
    // AV_LOG_INFO is FFmpeg's default: nobody asked for FFmpeg's messages, so none are printed.
    if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_QUIET);
  });
}

namespace {
// An enum field's bits as an int, without loading it through the enum type.
template <typename Enum>
int RawBits(const Enum& field) {
  static_assert(sizeof(Enum) == sizeof(int));
  int value = 0;
  std::memcpy(&value, &field, sizeof value);
  return value;
}
}  // namespace

int RawColorSpace(const AVFrame& frame) { return RawBits(frame.colorspace); }

int RawColorRange(const AVFrame& frame) { return RawBits(frame.color_range); }

void CopyColorDescription(const AVFrame& from, AVFrame* to) {
  std::memcpy(&to->colorspace, &from.colorspace, sizeof from.colorspace);
  std::memcpy(&to->color_range, &from.color_range, sizeof from.color_range);
}

}  // namespace handtrack::ffmpeg
