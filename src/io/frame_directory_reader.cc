// VideoReader over a folder of PNG/JPEG frames (VideoReader::OpenFrameDirectory).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handtrack/image_io.h"
#include "handtrack/video_io.h"

namespace handtrack {
namespace {

std::string LowerCase(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
  return text;
}

// "png", "jpeg", or empty for files that are not frames.
std::string FrameType(const std::filesystem::path& file) {
  const std::string extension = LowerCase(file.extension().string());
  if (extension == ".png") return "png";
  if (extension == ".jpg" || extension == ".jpeg") return "jpeg";
  return "";
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// Name order with digit runs compared as numbers: "frame2" < "frame10" (the ffmpeg tool
// numbers frames without zero padding). Ties fall back to plain order, so that the order
// is strict and total.
bool NaturalLess(std::string_view a, std::string_view b) {
  size_t i = 0;
  size_t j = 0;
  while (i < a.size() && j < b.size()) {
    if (IsDigit(a[i]) && IsDigit(b[j])) {
      size_t a_end = i;
      size_t b_end = j;
      while (a_end < a.size() && IsDigit(a[a_end])) ++a_end;
      while (b_end < b.size() && IsDigit(b[b_end])) ++b_end;
      std::string_view a_number = a.substr(i, a_end - i);
      std::string_view b_number = b.substr(j, b_end - j);
      a_number.remove_prefix(std::min(a_number.find_first_not_of('0'), a_number.size()));
      b_number.remove_prefix(std::min(b_number.find_first_not_of('0'), b_number.size()));
      if (a_number.size() != b_number.size()) return a_number.size() < b_number.size();
      if (a_number != b_number) return a_number < b_number;
      i = a_end;
      j = b_end;
      continue;
    }
    if (a[i] != b[j]) return a[i] < b[j];
    ++i;
    ++j;
  }
  if ((a.size() - i) != (b.size() - j)) return (a.size() - i) < (b.size() - j);
  return a < b;
}

class FrameDirectoryReader final : public VideoReader {
 public:
  FrameDirectoryReader(std::vector<std::string> files, VideoInfo info, Image first_image,
                       const VideoReaderOptions& options)
      : files_(std::move(files)), info_(std::move(info)), first_image_(std::move(first_image)) {
    limits_.max_pixels = options.max_pixels;
  }

  const VideoInfo& info() const override { return info_; }

  Result<bool> ReadFrame(VideoFrame* frame) override {
    if (end_) return end_->ok() ? Result<bool>(false) : Result<bool>(*end_);
    if (next_ >= files_.size()) return Finish(Status::Ok());
    if (next_ == 0) {
      frame->image = std::move(first_image_);  // decoded by Open already
    } else {
      Result<Image> image = ReadImageFile(files_[next_], limits_);
      if (!image.ok()) return Finish(image.status());
      frame->image = std::move(image).value();
    }
    frame->gpu.reset();
    frame->index = static_cast<int64_t>(next_);
    // Rounding can give equal times above 1000 fps; keep them strictly increasing.
    const int64_t timestamp_ms = std::llround(static_cast<double>(next_) * 1000.0 / info_.fps);
    frame->timestamp_ms = next_ == 0 ? 0 : std::max(timestamp_ms, last_timestamp_ms_ + 1);
    last_timestamp_ms_ = frame->timestamp_ms;
    ++next_;
    return true;
  }

 private:
  Result<bool> Finish(Status status) {
    end_ = std::move(status);
    return end_->ok() ? Result<bool>(false) : Result<bool>(*end_);
  }

  const std::vector<std::string> files_;
  const VideoInfo info_;
  Image first_image_;
  DecodeLimits limits_;
  size_t next_ = 0;
  int64_t last_timestamp_ms_ = 0;
  std::optional<Status> end_;
};

}  // namespace

Result<std::unique_ptr<VideoReader>> VideoReader::OpenFrameDirectory(const std::string& directory, double fps,
                                                                     const VideoReaderOptions& options) {
  namespace fs = std::filesystem;
  const std::string failed = "failed to open " + directory + ": ";
  if (!std::isfinite(fps) || fps <= 0) {
    return InvalidArgumentError(failed + "the frame rate must be a positive number, not " +
                                std::to_string(fps));
  }
  if (options.max_pixels <= 0 || options.max_frames <= 0) {
    return InvalidArgumentError(failed + "max_pixels and max_frames must be > 0");
  }
  // PNG and JPEG files are decoded by libpng and TurboJPEG, on the CPU.
  constexpr char kOnCpu[] = "frame folders (PNG, JPEG) are decoded on the CPU";
  if (options.hardware_decode == HardwareDecode::kCuda) {
    return UnavailableError(failed + "no CUDA decoder: " + kOnCpu);
  }
  std::error_code error;
  const fs::file_status status = fs::status(directory, error);
  if (status.type() == fs::file_type::not_found) return NotFoundError(failed + "no such directory");
  if (status.type() != fs::file_type::directory) return InvalidArgumentError(failed + "not a directory");

  std::vector<std::string> files;
  for (fs::directory_iterator it(directory, error), end; !error && it != end; it.increment(error)) {
    std::error_code type_error;
    if (!it->is_regular_file(type_error) || FrameType(it->path()).empty()) continue;
    if (static_cast<int64_t>(files.size()) >= options.max_frames) {
      return ResourceExhaustedError(failed + "it has more than " + std::to_string(options.max_frames) +
                                    " frames, the limit");
    }
    files.push_back(it->path().string());
  }
  if (error) return InvalidArgumentError(failed + error.message());
  if (files.empty()) return InvalidImageError(failed + "it has no PNG or JPEG files");
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return NaturalLess(fs::path(a).filename().string(), fs::path(b).filename().string());
  });

  // The first frame gives the size, and a folder whose first frame is unreadable fails here.
  DecodeLimits limits;
  limits.max_pixels = options.max_pixels;
  Result<Image> first_image = ReadImageFile(files.front(), limits);
  if (!first_image.ok()) return first_image.status();

  VideoInfo info;
  info.width = first_image->width();
  info.height = first_image->height();
  info.fps = fps;
  info.frame_count = static_cast<int64_t>(files.size());
  info.duration_ms = std::llround(static_cast<double>(files.size()) * 1000.0 / fps);
  info.codec = FrameType(files.front());
  info.decoder = info.codec + " (cpu)";
  if (options.hardware_decode == HardwareDecode::kAuto) info.hardware_fallback_reason = kOnCpu;
  return std::unique_ptr<VideoReader>(
      new FrameDirectoryReader(std::move(files), std::move(info), std::move(first_image).value(), options));
}

}  // namespace handtrack
