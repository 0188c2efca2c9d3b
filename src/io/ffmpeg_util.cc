#include "io/ffmpeg_util.h"

extern "C" {
#include <libavutil/error.h>
#include <libavutil/log.h>
}

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

}  // namespace handtrack::ffmpeg
