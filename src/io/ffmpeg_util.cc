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

int RawColorSpace(const AVFrame& frame) {
  static_assert(sizeof(frame.colorspace) == sizeof(int));
  int value = 0;
  std::memcpy(&value, &frame.colorspace, sizeof value);
  return value;
}

int RawColorRange(const AVFrame& frame) {
  static_assert(sizeof(frame.color_range) == sizeof(int));
  int value = 0;
  std::memcpy(&value, &frame.color_range, sizeof value);
  return value;
}

void CopyColorDescription(const AVFrame& from, AVFrame* to) {
  std::memcpy(&to->colorspace, &from.colorspace, sizeof from.colorspace);
  std::memcpy(&to->color_range, &from.color_range, sizeof from.color_range);
}

}  // namespace handtrack::ffmpeg
