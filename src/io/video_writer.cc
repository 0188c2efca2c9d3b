// VideoWriter over FFmpeg: RGB frames -> YUV (libswscale) -> encoder (libavcodec) -> container
// (libavformat). See video_io.h for the contract.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "handtrack/video_io.h"
#include "io/ffmpeg_util.h"

extern "C" {
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
}

namespace handtrack {
namespace {

AVPixelFormat SwsSourceFormat(PixelFormat format) {
  switch (format) {
    case PixelFormat::kRGB:
      return AV_PIX_FMT_RGB24;
    case PixelFormat::kRGBA:
      return AV_PIX_FMT_RGBA;
    case PixelFormat::kBGR:
      return AV_PIX_FMT_BGR24;
    case PixelFormat::kBGRA:
      return AV_PIX_FMT_BGRA;
  }
  return AV_PIX_FMT_RGB24;
}

// H.264 through libx264 where the container takes it (MP4, MOV, MKV, AVI): the format every
// player reads. Else the container's own choice (VP9 for WebM), else MPEG-4 part 2.
const AVCodec* ChooseEncoder(const AVOutputFormat* container) {
  if (avformat_query_codec(container, AV_CODEC_ID_H264, FF_COMPLIANCE_NORMAL) == 1) {
    if (const AVCodec* x264 = avcodec_find_encoder_by_name("libx264")) return x264;
  }
  if (container->video_codec != AV_CODEC_ID_NONE) {
    if (const AVCodec* preferred = avcodec_find_encoder(container->video_codec)) return preferred;
  }
  return avcodec_find_encoder(AV_CODEC_ID_MPEG4);
}

// yuv420p where the encoder takes it (players expect it), else the encoder's first format.
AVPixelFormat ChoosePixelFormat(const AVCodec* encoder) {
  if (!encoder->pix_fmts) return AV_PIX_FMT_YUV420P;
  for (const AVPixelFormat* format = encoder->pix_fmts; *format != AV_PIX_FMT_NONE; ++format) {
    if (*format == AV_PIX_FMT_YUV420P) return AV_PIX_FMT_YUV420P;
  }
  return encoder->pix_fmts[0];
}

bool IsFullRangeOnly(AVCodecID codec, AVPixelFormat format) {
  return codec == AV_CODEC_ID_MJPEG || format == AV_PIX_FMT_YUVJ420P || format == AV_PIX_FMT_YUVJ422P ||
         format == AV_PIX_FMT_YUVJ444P;
}

// Sets constant quality on the x264 CRF scale: "crf" where the encoder has it (x264, VP9,
// AV1), else a fixed quantizer. CRF +6 doubles the quantizer step; CRF 18 ~ qscale 2.
void SetQuality(AVCodecContext* encoder, int quality) {
  if (av_opt_set_int(encoder->priv_data, "crf", quality, 0) >= 0) {
    encoder->bit_rate = 0;  // libvpx: constant quality, no bitrate cap
    return;
  }
  const double qscale = 2.0 * std::exp2((quality - 18) / 6.0);
  encoder->flags |= AV_CODEC_FLAG_QSCALE;
  encoder->global_quality = static_cast<int>(FF_QP2LAMBDA * std::clamp(std::round(qscale), 1.0, 31.0));
}

// Encoder speed settings for previews: fast enough to keep up with tracking.
void SetSpeed(AVCodecContext* encoder, std::string_view encoder_name) {
  if (encoder_name == "libx264") av_opt_set(encoder->priv_data, "preset", "veryfast", 0);
  if (encoder_name == "libvpx-vp9" || encoder_name == "libvpx")
    av_opt_set(encoder->priv_data, "cpu-used", "5", 0);
  if (encoder_name == "libaom-av1") av_opt_set(encoder->priv_data, "cpu-used", "6", 0);
}

}  // namespace

class VideoWriter::Impl {
 public:
  Status Open(const std::string& path, int width, int height, double fps, const VideoWriterOptions& options);
  Status WriteFrame(const ImageView& image);
  Status Close();

  int coded_width() const { return coded_width_; }
  int coded_height() const { return coded_height_; }
  const std::string& codec() const { return codec_; }

 private:
  Status OpenEncoder(const AVCodec* encoder, double fps, const VideoWriterOptions& options);
  Status ConvertToYuv(const ImageView& image);
  void CopyToPaddedBuffer(const ImageView& image);
  Status WritePackets();

  std::string path_;
  std::string codec_;
  int width_ = 0;
  int height_ = 0;
  int coded_width_ = 0;
  int coded_height_ = 0;
  bool full_range_ = false;
  ffmpeg::OutputFormatPtr format_;
  ffmpeg::CodecContextPtr encoder_;
  AVStream* stream_ = nullptr;
  ffmpeg::FramePtr yuv_;
  ffmpeg::PacketPtr packet_;
  ffmpeg::SwsPtr converter_;
  AVPixelFormat converter_source_ = AV_PIX_FMT_NONE;
  std::vector<uint8_t> padded_;  // the picture being converted; see CopyToPaddedBuffer
  int padded_stride_ = 0;
  int64_t frames_written_ = 0;
  std::optional<Status> closed_;
};

Status VideoWriter::Impl::Open(const std::string& path, int width, int height, double fps,
                               const VideoWriterOptions& options) {
  const std::string failed = "failed to open " + path + ": ";
  path_ = path;
  width_ = width;
  height_ = height;
  if (width <= 0 || height <= 0 || width > (1 << 16) || height > (1 << 16)) {
    return InvalidArgumentError(failed + "frame size " + std::to_string(width) + "x" +
                                std::to_string(height) + " is out of range");
  }
  if (!std::isfinite(fps) || fps <= 0 || fps > 1000) {
    return InvalidArgumentError(failed + "frame rate " + std::to_string(fps) + " is not in (0, 1000]");
  }
  if (options.quality < 0 || options.quality > 51 || options.threads < 0) {
    return InvalidArgumentError(failed + "quality must be in [0, 51] and threads >= 0");
  }
  ffmpeg::QuietLogging();

  AVFormatContext* context = nullptr;
  if (avformat_alloc_output_context2(&context, nullptr, nullptr, path.c_str()) < 0 || !context) {
    return InvalidArgumentError(failed +
                                "no video container for its file extension (use .mp4, .mov, .mkv, "
                                ".webm or .avi)");
  }
  format_.reset(context);
  // Image sequences (.png, .jpg: the image2 muxer) and audio-only containers are not videos.
  if (format_->oformat->flags & AVFMT_NOFILE || format_->oformat->video_codec == AV_CODEC_ID_NONE) {
    return InvalidArgumentError(failed + "its extension names no video container (" + format_->oformat->name +
                                "); use .mp4, .mov, .mkv, .webm or .avi");
  }

  const AVCodec* encoder = options.codec.empty() ? ChooseEncoder(format_->oformat)
                                                 : avcodec_find_encoder_by_name(options.codec.c_str());
  if (!encoder || encoder->type != AVMEDIA_TYPE_VIDEO) {
    return UnsupportedError(failed + "this FFmpeg build has no video encoder '" +
                            (options.codec.empty() ? std::string("for the container") : options.codec) + "'");
  }
  HT_RETURN_IF_ERROR(OpenEncoder(encoder, fps, options));

  stream_ = avformat_new_stream(format_.get(), nullptr);
  packet_.reset(av_packet_alloc());
  if (!stream_ || !packet_) return ResourceExhaustedError(failed + "out of memory");
  int result = avcodec_parameters_from_context(stream_->codecpar, encoder_.get());
  if (result < 0) return InternalError(failed + ffmpeg::ErrorText(result));
  stream_->time_base = encoder_->time_base;
  stream_->avg_frame_rate = encoder_->framerate;

  // "file:" keeps a name like "a:b.mp4" from being read as a URL of protocol "a".
  result = avio_open(&format_->pb, ("file:" + path).c_str(), AVIO_FLAG_WRITE);
  if (result < 0) return InvalidArgumentError(failed + ffmpeg::ErrorText(result));
  AVDictionary* muxer_options = nullptr;
  const std::string_view container = format_->oformat->name;
  if (container == "mp4" || container == "mov") av_dict_set(&muxer_options, "movflags", "+faststart", 0);
  result = avformat_write_header(format_.get(), &muxer_options);
  av_dict_free(&muxer_options);
  if (result < 0) return InvalidArgumentError(failed + ffmpeg::ErrorText(result));
  return Status::Ok();
}

Status VideoWriter::Impl::OpenEncoder(const AVCodec* encoder, double fps, const VideoWriterOptions& options) {
  const std::string failed = "failed to open " + path_ + ": ";
  const AVPixelFormat pixel_format = ChoosePixelFormat(encoder);
  const AVPixFmtDescriptor* layout = av_pix_fmt_desc_get(pixel_format);
  if (!layout)
    return UnsupportedError(failed + "the " + encoder->name + " encoder has no usable pixel format");
  // Subsampled chroma covers 2x2 (4:2:0) pixel blocks: round the size up to whole blocks.
  const int block_width = 1 << layout->log2_chroma_w;
  const int block_height = 1 << layout->log2_chroma_h;
  coded_width_ = (width_ + block_width - 1) / block_width * block_width;
  coded_height_ = (height_ + block_height - 1) / block_height * block_height;
  full_range_ = IsFullRangeOnly(encoder->id, pixel_format);

  encoder_.reset(avcodec_alloc_context3(encoder));
  yuv_.reset(av_frame_alloc());
  if (!encoder_ || !yuv_) return ResourceExhaustedError(failed + "out of memory");
  const AVRational rate = av_d2q(fps, 100000);
  encoder_->width = coded_width_;
  encoder_->height = coded_height_;
  encoder_->pix_fmt = pixel_format;
  encoder_->framerate = rate;
  encoder_->time_base = av_inv_q(rate);
  encoder_->thread_count = options.threads;
  // Tagged as BT.601, the matrix swscale converts with, so that players invert it exactly.
  encoder_->colorspace = AVCOL_SPC_SMPTE170M;
  encoder_->color_range = full_range_ ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;
  if (format_->oformat->flags & AVFMT_GLOBALHEADER) encoder_->flags |= AV_CODEC_FLAG_GLOBAL_HEADER;
  SetQuality(encoder_.get(), options.quality);
  SetSpeed(encoder_.get(), encoder->name);
  codec_ = encoder->name;

  int result = avcodec_open2(encoder_.get(), encoder, nullptr);
  if (result < 0) {
    return UnsupportedError(failed + "the " + codec_ + " encoder refused " + std::to_string(coded_width_) +
                            "x" + std::to_string(coded_height_) + " at " + std::to_string(fps) +
                            " fps: " + ffmpeg::ErrorText(result));
  }
  yuv_->format = pixel_format;
  yuv_->width = coded_width_;
  yuv_->height = coded_height_;
  result = av_frame_get_buffer(yuv_.get(), 0);
  if (result < 0) return ResourceExhaustedError(failed + ffmpeg::ErrorText(result));
  return Status::Ok();
}

Status VideoWriter::Impl::WriteFrame(const ImageView& image) {
  const std::string failed =
      "failed to write frame " + std::to_string(frames_written_) + " to " + path_ + ": ";
  if (closed_) return FailedPreconditionError(failed + "the writer is closed");
  const Status valid = image.Validate();
  if (!valid.ok()) return InvalidArgumentError(failed + valid.message());
  if (image.width != width_ || image.height != height_) {
    return InvalidArgumentError(failed + "it is " + std::to_string(image.width) + "x" +
                                std::to_string(image.height) + ", the video is " + std::to_string(width_) +
                                "x" + std::to_string(height_));
  }
  HT_RETURN_IF_ERROR(ConvertToYuv(image));
  yuv_->pts = frames_written_++;
  const int sent = avcodec_send_frame(encoder_.get(), yuv_.get());
  if (sent < 0) return InvalidArgumentError(failed + ffmpeg::ErrorText(sent));
  return WritePackets();
}

Status VideoWriter::Impl::ConvertToYuv(const ImageView& image) {
  const std::string failed =
      "failed to convert frame " + std::to_string(frames_written_) + " for " + path_ + ": ";
  const AVPixelFormat source_format = SwsSourceFormat(image.format);
  if (!converter_ || converter_source_ != source_format) {
    converter_.reset(sws_getContext(coded_width_, coded_height_, source_format, coded_width_, coded_height_,
                                    encoder_->pix_fmt, SWS_BICUBIC, nullptr, nullptr, nullptr));
    if (!converter_) return UnsupportedError(failed + "swscale cannot convert to the encoder's pixel format");
    const int* bt601 = sws_getCoefficients(SWS_CS_ITU601);
    sws_setColorspaceDetails(converter_.get(), bt601, /*srcRange=*/1, bt601, full_range_ ? 1 : 0, 0, 1 << 16,
                             1 << 16);
    converter_source_ = source_format;
  }
  CopyToPaddedBuffer(image);
  // The encoder may still hold the previous frame's buffers.
  const int writable = av_frame_make_writable(yuv_.get());
  if (writable < 0) return ResourceExhaustedError(failed + ffmpeg::ErrorText(writable));
  const uint8_t* const source_planes[4] = {padded_.data(), nullptr, nullptr, nullptr};
  const int source_strides[4] = {padded_stride_, 0, 0, 0};
  const int rows = sws_scale(converter_.get(), source_planes, source_strides, 0, coded_height_, yuv_->data,
                             yuv_->linesize);
  if (rows != coded_height_) return InternalError(failed + "swscale gave " + std::to_string(rows) + " rows");
  return Status::Ok();
}

// swscale's vector code reads whole blocks of pixels past the end of a row, which the
// ffmpeg tool's frames always have room for but a caller's packed image may not; and an
// odd size must be rounded up to whole chroma blocks (converting the odd size directly
// would make swscale resample the chroma by a ratio a little off 2:1, smearing colours at
// the edges). So every picture is first copied into padded_: rows with room to spare, the
// last column and row repeated into the rounding margin, and a spare row at the bottom.
void VideoWriter::Impl::CopyToPaddedBuffer(const ImageView& image) {
  const int pixel_bytes = BytesPerPixel(image.format);
  padded_stride_ = ((coded_width_ + 16) * pixel_bytes + 63) / 64 * 64;
  padded_.resize(static_cast<size_t>(padded_stride_) * (coded_height_ + 1) + 64);
  const size_t row_bytes = static_cast<size_t>(width_) * pixel_bytes;
  for (int y = 0; y < coded_height_; ++y) {
    const uint8_t* from = image.data + static_cast<ptrdiff_t>(std::min(y, height_ - 1)) * image.stride_bytes;
    uint8_t* to = padded_.data() + static_cast<ptrdiff_t>(y) * padded_stride_;
    std::memcpy(to, from, row_bytes);
    for (int x = width_; x < coded_width_; ++x) {
      std::memcpy(to + x * pixel_bytes, from + (width_ - 1) * pixel_bytes, pixel_bytes);
    }
  }
}

Status VideoWriter::Impl::WritePackets() {
  for (;;) {
    const int received = avcodec_receive_packet(encoder_.get(), packet_.get());
    if (received == AVERROR(EAGAIN) || received == AVERROR_EOF) return Status::Ok();
    if (received < 0)
      return InvalidArgumentError("failed to encode " + path_ + ": " + ffmpeg::ErrorText(received));
    av_packet_rescale_ts(packet_.get(), encoder_->time_base, stream_->time_base);
    packet_->stream_index = stream_->index;
    const int written = av_interleaved_write_frame(format_.get(), packet_.get());  // takes the packet
    if (written < 0)
      return InvalidArgumentError("failed to write " + path_ + ": " + ffmpeg::ErrorText(written));
  }
}

Status VideoWriter::Impl::Close() {
  if (closed_) return *closed_;
  Status status = Status::Ok();
  const int flushed = avcodec_send_frame(encoder_.get(), nullptr);  // the encoder gives out what it holds
  if (flushed < 0)
    status = InvalidArgumentError("failed to encode " + path_ + ": " + ffmpeg::ErrorText(flushed));
  if (status.ok()) status = WritePackets();
  if (status.ok()) {
    const int finished = av_write_trailer(format_.get());
    if (finished < 0)
      status = InvalidArgumentError("failed to write " + path_ + ": " + ffmpeg::ErrorText(finished));
  }
  if (format_->pb) {
    const int file_closed = avio_closep(&format_->pb);
    if (file_closed < 0 && status.ok()) {
      status = InvalidArgumentError("failed to write " + path_ + ": " + ffmpeg::ErrorText(file_closed));
    }
  }
  closed_ = status;
  converter_.reset();
  encoder_.reset();
  format_.reset();
  return status;
}

VideoWriter::VideoWriter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

VideoWriter::~VideoWriter() {
  if (impl_) (void)impl_->Close();
}

Result<std::unique_ptr<VideoWriter>> VideoWriter::Open(const std::string& path, int width, int height,
                                                       double fps, const VideoWriterOptions& options) {
  auto impl = std::make_unique<Impl>();
  HT_RETURN_IF_ERROR(impl->Open(path, width, height, fps, options));
  return std::unique_ptr<VideoWriter>(new VideoWriter(std::move(impl)));
}

Status VideoWriter::WriteFrame(const ImageView& image) { return impl_->WriteFrame(image); }
Status VideoWriter::Close() { return impl_->Close(); }
int VideoWriter::width() const { return impl_->coded_width(); }
int VideoWriter::height() const { return impl_->coded_height(); }
const std::string& VideoWriter::codec() const { return impl_->codec(); }

}  // namespace handtrack
