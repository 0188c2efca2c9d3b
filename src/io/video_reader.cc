// VideoReader over FFmpeg: demux (libavformat), decode (libavcodec), convert to RGB
// (libswscale) and turn upright. See video_io.h for the contract.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "base/cuda_capture_gate.h"
#include "handtrack/video_io.h"
#include "io/ffmpeg_cuda.h"
#include "io/ffmpeg_input.h"
#include "io/ffmpeg_util.h"
#include "io/frame_rotation.h"
#include "io/rgb_table.h"
#include "io/video_from_memory.h"

extern "C" {
#include <libavutil/display.h>
#include <libavutil/pixdesc.h>
}

namespace handtrack {
namespace {

// Videos in the CUDA runtime's primary context decode their first picture (NVDEC's decoder
// made) in turn: see FfmpegVideoReader::OpenStream.
std::mutex& FirstPictureTurn() {
  static std::mutex turn;
  return turn;
}

Status CheckOptions(const VideoReaderOptions& options, const std::string& name) {
  const std::string failed = "failed to open " + name + ": ";
  if (options.threads < 0) return InvalidArgumentError(failed + "threads must be >= 0");
  if (options.max_pixels <= 0) return InvalidArgumentError(failed + "max_pixels must be > 0");
  if (options.max_frames <= 0) return InvalidArgumentError(failed + "max_frames must be > 0");
  if (options.max_consecutive_decode_errors <= 0) {
    return InvalidArgumentError(failed + "max_consecutive_decode_errors must be > 0");
  }
  if (options.hardware_decode != HardwareDecode::kNone && options.hardware_decode != HardwareDecode::kAuto &&
      options.hardware_decode != HardwareDecode::kCuda) {
    return InvalidArgumentError(failed + "hardware_decode is not a HardwareDecode value");
  }
  if (options.cuda_decoding_context != CudaDecodingContext::kShared &&
      options.cuda_decoding_context != CudaDecodingContext::kSeparate) {
    return InvalidArgumentError(failed + "cuda_decoding_context is not a CudaDecodingContext value");
  }
  return Status::Ok();
}

const int32_t* DisplayMatrix(const AVStream* stream) {
#if LIBAVFORMAT_VERSION_INT >= AV_VERSION_INT(60, 15, 100)  // FFmpeg 6.1 moved stream side data
  const AVPacketSideData* side_data = av_packet_side_data_get(
      stream->codecpar->coded_side_data, stream->codecpar->nb_coded_side_data, AV_PKT_DATA_DISPLAYMATRIX);
  if (!side_data || side_data->size < 9 * sizeof(int32_t)) return nullptr;
  return reinterpret_cast<const int32_t*>(side_data->data);
#else
  size_t size = 0;
  const uint8_t* data = av_stream_get_side_data(stream, AV_PKT_DATA_DISPLAYMATRIX, &size);
  if (!data || size < 9 * sizeof(int32_t)) return nullptr;
  return reinterpret_cast<const int32_t*>(data);
#endif
}

// Clockwise rotation that makes the stored pictures upright, snapped to a multiple of 90
// degrees, as the ffmpeg tool's autorotation reads it: the display matrix, else the
// "rotate" tag of older files.
int RotationDegrees(const AVStream* stream) {
  double degrees = 0;
  if (const int32_t* matrix = DisplayMatrix(stream)) {
    degrees = -av_display_rotation_get(matrix);  // FFmpeg's angle is counter-clockwise
  } else if (const AVDictionaryEntry* tag = av_dict_get(stream->metadata, "rotate", nullptr, 0)) {
    degrees = std::strtod(tag->value, nullptr);
  }
  if (!std::isfinite(degrees)) return 0;
  const long quarter_turns = std::lround(std::fmod(degrees, 360.0) / 90.0);
  return static_cast<int>(((quarter_turns % 4) + 4) % 4) * 90;
}

bool IsValidRate(AVRational rate) { return rate.num > 0 && rate.den > 0; }

// Saturating a + b for timestamps from untrusted files.
int64_t AddSaturated(int64_t a, int64_t b) {
  int64_t sum = 0;
  if (__builtin_add_overflow(a, b, &sum)) return b > 0 ? std::numeric_limits<int64_t>::max() : 0;
  return sum;
}

// The swscale converter of one picture geometry, with its colour set-up.
struct RgbConverter {
  ffmpeg::SwsPtr context;
  int width = 0;
  int height = 0;
  int format = AV_PIX_FMT_NONE;
  int colorspace = -1;
  int full_range = -1;
};

// Adds the time from its construction to its destruction to *total.
class StepTimer {
 public:
  explicit StepTimer(double* total) : total_(total), start_(std::chrono::steady_clock::now()) {}
  ~StepTimer() {
    *total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  StepTimer(const StepTimer&) = delete;
  StepTimer& operator=(const StepTimer&) = delete;

 private:
  double* const total_;
  const std::chrono::steady_clock::time_point start_;
};

class FfmpegVideoReader final : public VideoReader {
 public:
  // `memory` is null for a file named `name`.
  static Result<std::unique_ptr<VideoReader>> Create(const std::string& name,
                                                     std::unique_ptr<ffmpeg::MemoryInput> memory,
                                                     const VideoReaderOptions& options);

  ~FfmpegVideoReader() override {
    // The decoder and its CUDA device go first, outside any graph capture (GpuUse).
    const ScopedCudaContextUse use = GpuUse();
    picture_.reset();
    decoder_.reset();
    transfer_.reset();
    planar_.reset();
    gpu_frames_.reset();  // frames still held keep the pool until they go (GpuFrame)
    cuda_device_.reset();
  }

  const VideoInfo& info() const override { return info_; }
  Result<bool> ReadFrame(VideoFrame* frame) override;
  VideoReadTimes read_times() const override { return times_; }

 private:
  FfmpegVideoReader(const std::string& name, const VideoReaderOptions& options)
      : name_(name), options_(options) {}

  // Around every FFmpeg call that may reach NVDEC in the CUDA runtime's primary context (not
  // nested: a capture waits for the uses in progress). No-op on the CPU and in FFmpeg's own
  // contexts.
  ScopedCudaContextUse GpuUse() const { return ScopedCudaContextUse(in_shared_context_); }

  Status OpenStream();
  Status ChooseDecoder(const AVCodec* codec);
  Status OpenDecoder(const AVCodec* codec);
  void DescribeStream();
  Status DecodeFirstPictureOnGpu();
  static AVPixelFormat PickPixelFormat(AVCodecContext* context, const AVPixelFormat* formats);

  Result<bool> ReceivePicture();

  Status FeedDecoder();
  Status CountDecodeError(int av_error);
  void StartDraining(Status input_status);
  Status InputEndStatus() const;
  Status EndStatus() const;
  Result<bool> Finish(Status status);

  Status DeliverFrame(VideoFrame* out);
  Result<const AVFrame*> DownloadPicture(const AVFrame& picture, const std::string& where);
  Status ConvertToRgb(const AVFrame& picture);
  int64_t NextTimestampMs(int64_t pts);

  const std::string name_;
  const VideoReaderOptions options_;
  // Declared before format_ so that they outlive it (members are destroyed in reverse order).
  std::unique_ptr<ffmpeg::MemoryInput> memory_;
  ffmpeg::IoContextPtr io_;
  ffmpeg::InputFormatPtr format_;
  ffmpeg::CodecContextPtr decoder_;
  ffmpeg::FramePtr picture_;
  ffmpeg::PacketPtr packet_;
  AVStream* stream_ = nullptr;
  VideoInfo info_;

  RgbConverter converter_;
  std::vector<uint8_t> rgb_;  // swscale's output, before rotation
  int rgb_stride_ = 0;

  bool draining_ = false;      // the input has ended; the decoder is giving out what it holds
  Status input_status_;        // why the input ended early, reported after the buffered frames
  std::optional<Status> end_;  // the answer once no frame is left: OK (clean end) or the error
  int64_t frames_returned_ = 0;
  int64_t packets_read_ = 0;
  int consecutive_decode_errors_ = 0;
  int64_t total_decode_errors_ = 0;
  int decode_errors_at_input_end_ = 0;
  // Kept for EndStatus, which runs after the demuxer is freed.
  std::string format_name_;
  int64_t stream_frames_ = 0;
  std::string last_decode_error_;
  int64_t first_pts_ = AV_NOPTS_VALUE;
  int64_t last_timestamp_ms_ = -1;
  VideoReadTimes times_;

  // Hardware decoding. The device is referenced by the decoder too; kept for its lifetime.
  ffmpeg::BufferPtr cuda_device_;
  bool on_gpu_ = false;             // decoding on the GPU (false again if the CPU took over while opening)
  bool in_shared_context_ = false;  // cuda_device_ is in the CUDA runtime's primary context
  // kAuto while opening: the GPU may still refuse the stream's first frame, and the CPU
  // then decodes it (said in info_, which changes only while opening).
  bool may_fall_back_ = false;
  std::string gpu_refusal_;       // why get_format could not have CUDA (an error from then on)
  bool picture_pending_ = false;  // picture_ holds the frame decoded while opening
  ffmpeg::BufferPtr gpu_frames_;  // frames_on_gpu: the pool of the pictures' copies on the GPU
  ffmpeg::FramePtr transfer_;     // the GPU's picture copied to memory (NV12, P010, P016)
  ffmpeg::FramePtr planar_;       // ... in the planar format the CPU decoder gives
};

Result<std::unique_ptr<VideoReader>> FfmpegVideoReader::Create(const std::string& name,
                                                               std::unique_ptr<ffmpeg::MemoryInput> memory,
                                                               const VideoReaderOptions& options) {
  HT_RETURN_IF_ERROR(CheckOptions(options, name));
  ffmpeg::QuietLogging();
  std::unique_ptr<FfmpegVideoReader> reader(new FfmpegVideoReader(name, options));
  if (memory) {
    reader->memory_ = std::move(memory);
    HT_ASSIGN_OR_RETURN(reader->io_, ffmpeg::MakeMemoryIoContext(reader->memory_.get()));
  }
  {
    const StepTimer timer(&reader->times_.open_container_seconds);
    HT_ASSIGN_OR_RETURN(reader->format_, ffmpeg::OpenContainer(name, reader->io_.get(), options.max_pixels));
  }
  HT_RETURN_IF_ERROR(reader->OpenStream());
  return std::unique_ptr<VideoReader>(std::move(reader));
}

Status FfmpegVideoReader::OpenStream() {
  const std::string failed = "failed to open " + name_ + ": ";
  const AVCodec* codec = nullptr;
  const int index = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, &codec, 0);
  if (index == AVERROR_DECODER_NOT_FOUND) {
    const int undecodable = av_find_best_stream(format_.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    const char* codec_name =
        undecodable >= 0 ? avcodec_get_name(format_->streams[undecodable]->codecpar->codec_id) : "unknown";
    return UnsupportedError(failed + "this FFmpeg build has no decoder for its '" + codec_name + "' video");
  }
  if (index < 0) return InvalidImageError(failed + "it has no video stream");
  stream_ = format_->streams[index];
  // Only the chosen stream is demuxed: the others are skipped without being read.
  for (unsigned i = 0; i < format_->nb_streams; ++i) {
    if (static_cast<int>(i) != index) format_->streams[i]->discard = AVDISCARD_ALL;
  }

  const AVCodecParameters& parameters = *stream_->codecpar;
  if (parameters.width <= 0 || parameters.height <= 0) {
    return InvalidImageError(failed + "the video stream gives no frame size");
  }
  const int64_t pixels = static_cast<int64_t>(parameters.width) * parameters.height;
  if (pixels > options_.max_pixels) {
    return ResourceExhaustedError(failed + "frames of " + std::to_string(parameters.width) + "x" +
                                  std::to_string(parameters.height) + " are above the limit of " +
                                  std::to_string(options_.max_pixels) + " pixels");
  }
  {
    const StepTimer timer(&times_.open_decoder_seconds);
    HT_RETURN_IF_ERROR(ChooseDecoder(codec));
    HT_RETURN_IF_ERROR(OpenDecoder(codec));
  }
  DescribeStream();
  format_name_ = format_->iformat->name;
  stream_frames_ = stream_->nb_frames;
  if (on_gpu_) {
    const StepTimer timer(&times_.open_first_picture_seconds);
    // NVDEC makes the decoder here. The driver makes them one at a time anyway (about 55 ms
    // each on an H100, docs/CUDA.md); taking turns in the runtime's context keeps at most one of
    // them inside a use of the capture gate, so that a graph capture (an engine starting while
    // videos open) waits for one decoder, not for every video opening at once.
    std::unique_lock<std::mutex> turn;
    if (in_shared_context_) turn = std::unique_lock(FirstPictureTurn());
    HT_RETURN_IF_ERROR(DecodeFirstPictureOnGpu());
  }
  // NVDEC's pictures stay on the GPU only where the CUDA backend can read them (the runtime's
  // primary context) and nothing is left to do on the host (no rotation).
  info_.frames_on_gpu =
      options_.frames_on_gpu && on_gpu_ && in_shared_context_ && info_.rotation_degrees == 0;
  return Status::Ok();
}

Status FfmpegVideoReader::ChooseDecoder(const AVCodec* codec) {
  info_.decoder = std::string(codec->name) + " (cpu)";
  if (options_.hardware_decode == HardwareDecode::kNone) return Status::Ok();
  ffmpeg::CudaDecoding cuda;
  {
    const ScopedCudaContextUse use(options_.cuda_decoding_context == CudaDecodingContext::kShared);
    cuda = ffmpeg::OpenCudaDecoding(*codec, *stream_->codecpar, options_.hardware_device,
                                    options_.cuda_decoding_context);
  }
  if (!cuda.device) {
    if (options_.hardware_decode == HardwareDecode::kCuda) {
      return UnavailableError("failed to open " + name_ + ": no CUDA decoder: " + cuda.unavailable_reason);
    }
    info_.hardware_fallback_reason = std::move(cuda.unavailable_reason);
    return Status::Ok();
  }
  cuda_device_ = std::move(cuda.device);
  in_shared_context_ = cuda.shared_context;
  on_gpu_ = true;
  may_fall_back_ = options_.hardware_decode == HardwareDecode::kAuto;
  info_.decoder = std::string(codec->name) + " (cuda)";
  return Status::Ok();
}

// Decodes the first frame while opening, so that info() tells the truth from the start: the
// GPU may refuse the stream only when the decoder meets it (its size or profile). The frame
// waits in picture_ for the first ReadFrame; an error waits in end_, as if read lazily.
Status FfmpegVideoReader::DecodeFirstPictureOnGpu() {
  const Result<bool> got = ReceivePicture();
  may_fall_back_ = false;
  if (got.ok() && *got) {
    picture_pending_ = true;
    return Status::Ok();
  }
  if (!gpu_refusal_.empty() && frames_returned_ == 0) {
    return UnavailableError("failed to open " + name_ + ": no CUDA decoder: " + gpu_refusal_);
  }
  return Status::Ok();
}

// The decoder's get_format: CUDA when offered. FFmpeg offers it again after a failed nvdec
// set-up only without it; then the CPU takes over while opening under kAuto, and anything
// else is an error (never a silent switch once frames came from the GPU).
AVPixelFormat FfmpegVideoReader::PickPixelFormat(AVCodecContext* context, const AVPixelFormat* formats) {
  auto* reader = static_cast<FfmpegVideoReader*>(context->opaque);
  const AVPixelFormat* format = formats;
  bool cuda_offered = false;
  for (; *format != AV_PIX_FMT_NONE; ++format) cuda_offered |= *format == AV_PIX_FMT_CUDA;
  // FFmpeg lists the software format last.
  const AVPixelFormat software = format != formats ? format[-1] : AV_PIX_FMT_NONE;
  const AVPixFmtDescriptor* software_desc = av_pix_fmt_desc_get(software);
  const bool software_usable = software_desc && !(software_desc->flags & AV_PIX_FMT_FLAG_HWACCEL);
  // Once the CPU took over (while opening), it keeps the stream, also across size changes.
  if (!reader->on_gpu_) return software_usable ? software : AV_PIX_FMT_NONE;
  if (cuda_offered) return AV_PIX_FMT_CUDA;
  const char* software_name = av_get_pix_fmt_name(context->sw_pix_fmt);
  const std::string refusal = "the GPU's video decoder does not take this " + std::to_string(context->width) +
                              "x" + std::to_string(context->height) + " " +
                              (software_name ? software_name : "unknown") + " " +
                              avcodec_get_name(context->codec_id) + " stream (its size, profile or format)";
  if (reader->may_fall_back_ && software_usable) {
    reader->on_gpu_ = false;
    reader->info_.decoder = std::string(context->codec->name) + " (cpu)";
    reader->info_.hardware_fallback_reason = refusal;
    return software;
  }
  reader->gpu_refusal_ = refusal;
  return AV_PIX_FMT_NONE;
}

Status FfmpegVideoReader::OpenDecoder(const AVCodec* codec) {
  const std::string failed = "failed to open " + name_ + ": ";
  decoder_.reset(avcodec_alloc_context3(codec));
  picture_.reset(av_frame_alloc());
  packet_.reset(av_packet_alloc());
  if (!decoder_ || !picture_ || !packet_) return ResourceExhaustedError(failed + "out of memory");
  int result = avcodec_parameters_to_context(decoder_.get(), stream_->codecpar);
  if (result < 0) return InvalidImageError(failed + ffmpeg::ErrorText(result));
  decoder_->pkt_timebase = stream_->time_base;
  decoder_->thread_count = options_.threads;
  // The decoder refuses larger pictures itself, also when the size changes mid-stream.
  decoder_->max_pixels = options_.max_pixels;
  if (on_gpu_) {
    decoder_->hw_device_ctx = av_buffer_ref(cuda_device_.get());
    transfer_.reset(av_frame_alloc());
    planar_.reset(av_frame_alloc());
    if (!decoder_->hw_device_ctx || !transfer_ || !planar_)
      return ResourceExhaustedError(failed + "out of memory");
    decoder_->opaque = this;
    decoder_->get_format = PickPixelFormat;
  }
  {
    const ScopedCudaContextUse use = GpuUse();
    result = avcodec_open2(decoder_.get(), codec, nullptr);
  }
  if (result < 0) {
    return InvalidImageError(failed + "the " + codec->name +
                             " decoder refused the stream: " + ffmpeg::ErrorText(result));
  }
  return Status::Ok();
}

void FfmpegVideoReader::DescribeStream() {
  const AVCodecParameters& parameters = *stream_->codecpar;
  info_.rotation_degrees = RotationDegrees(stream_);
  const bool sideways = info_.rotation_degrees == 90 || info_.rotation_degrees == 270;
  info_.width = sideways ? parameters.height : parameters.width;
  info_.height = sideways ? parameters.width : parameters.height;
  info_.codec = avcodec_get_name(parameters.codec_id);

  const AVRational rate =
      IsValidRate(stream_->avg_frame_rate) ? stream_->avg_frame_rate : stream_->r_frame_rate;
  info_.fps = IsValidRate(rate) ? av_q2d(rate) : 0;

  if (stream_->duration != AV_NOPTS_VALUE && stream_->duration > 0 && IsValidRate(stream_->time_base)) {
    info_.duration_ms = av_rescale_q(stream_->duration, stream_->time_base, AVRational{1, 1000});
  } else if (format_->duration != AV_NOPTS_VALUE && format_->duration > 0) {
    info_.duration_ms = format_->duration / (AV_TIME_BASE / 1000);
  }
  info_.duration_ms = std::max<int64_t>(info_.duration_ms, 0);

  double frames = 0;
  if (stream_->nb_frames > 0) {
    frames = static_cast<double>(stream_->nb_frames);
  } else if (info_.fps > 0) {
    frames = std::round(static_cast<double>(info_.duration_ms) * info_.fps / 1000.0);
  }
  info_.frame_count = static_cast<int64_t>(std::min(frames, static_cast<double>(options_.max_frames)));
}

Result<bool> FfmpegVideoReader::ReadFrame(VideoFrame* frame) {
  if (!picture_pending_) {
    HT_ASSIGN_OR_RETURN(const bool got, ReceivePicture());
    if (!got) return false;
  }
  picture_pending_ = false;
  const Status delivered = DeliverFrame(frame);
  {
    const ScopedCudaContextUse use = GpuUse();
    av_frame_unref(picture_.get());
  }
  if (!delivered.ok()) return Finish(delivered);
  return true;
}

// Decodes until picture_ holds the next picture (true), the clean end (false) or an error.
Result<bool> FfmpegVideoReader::ReceivePicture() {
  if (end_) return end_->ok() ? Result<bool>(false) : Result<bool>(*end_);
  const StepTimer timer(&times_.decode_seconds);
  for (;;) {
    int received = 0;
    {
      const ScopedCudaContextUse use = GpuUse();
      received = avcodec_receive_frame(decoder_.get(), picture_.get());
    }
    if (received >= 0) return true;
    if (received == AVERROR_EOF) return Finish(EndStatus());
    if (received != AVERROR(EAGAIN)) {  // a picture that failed to decode
      const Status counted = CountDecodeError(received);
      if (counted.ok()) continue;
      // Give out the pictures still held (bounded: one more run of errors ends it).
      if (draining_) return Finish(input_status_.ok() ? counted : input_status_);
      StartDraining(counted);
      continue;
    }
    if (draining_) return Finish(EndStatus());  // a flushed decoder never asks for more input
    const Status fed = FeedDecoder();
    if (!fed.ok()) return Finish(fed);
  }
}

// Sends the next packet of the video stream to the decoder, or starts draining when the
// input ends or is beyond repair.
Status FfmpegVideoReader::FeedDecoder() {
  for (;;) {
    const int read = av_read_frame(format_.get(), packet_.get());
    if (read == AVERROR_EOF) {
      StartDraining(InputEndStatus());
      return Status::Ok();
    }
    if (read < 0) {
      StartDraining(InvalidImageError("failed to read " + name_ + ": " + ffmpeg::ErrorText(read) + " after " +
                                      std::to_string(packets_read_) + " video packets"));
      return Status::Ok();
    }
    // An empty packet would tell the decoder that the input has ended.
    if (packet_->stream_index != stream_->index || packet_->size <= 0) {
      av_packet_unref(packet_.get());
      continue;
    }
    ++packets_read_;
    int sent = 0;
    {
      const ScopedCudaContextUse use = GpuUse();
      sent = avcodec_send_packet(decoder_.get(), packet_.get());
    }
    av_packet_unref(packet_.get());
    if (sent < 0 && sent != AVERROR(EAGAIN)) {
      const Status counted = CountDecodeError(sent);
      if (!counted.ok()) StartDraining(counted);
    }
    return Status::Ok();
  }
}

// Isolated corrupt packets are skipped, as the ffmpeg tool does; a long run of them means
// the rest of the stream is garbage, and decoding it would only waste time.
Status FfmpegVideoReader::CountDecodeError(int av_error) {
  last_decode_error_ = ffmpeg::ErrorText(av_error);
  // The GPU's failures are not the file's: no point in trying the next packets.
  if (on_gpu_ && (!gpu_refusal_.empty() || av_error == AVERROR_EXTERNAL)) {
    return UnavailableError("failed to decode " + name_ + ": the CUDA decoder stopped after " +
                            std::to_string(frames_returned_) +
                            " frames: " + (gpu_refusal_.empty() ? last_decode_error_ : gpu_refusal_));
  }
  ++total_decode_errors_;
  if (++consecutive_decode_errors_ < options_.max_consecutive_decode_errors) return Status::Ok();
  return InvalidImageError("failed to decode " + name_ + ": " + std::to_string(consecutive_decode_errors_) +
                           " corrupt packets in a row (last: " + last_decode_error_ + ")");
}

void FfmpegVideoReader::StartDraining(Status input_status) {
  input_status_ = std::move(input_status);
  draining_ = true;
  decode_errors_at_input_end_ = consecutive_decode_errors_;
  const ScopedCudaContextUse use = GpuUse();
  avcodec_send_packet(decoder_.get(), nullptr);  // frames still held come out, then AVERROR_EOF
}

// MP4/MOV headers list every frame (sample), so fewer packets than that means the data
// was cut short: a truncated download or copy. Other containers end wherever they end.
Status FfmpegVideoReader::InputEndStatus() const {
  const bool lists_samples = std::string_view(format_->iformat->name).starts_with("mov,");
  if (lists_samples && stream_->nb_frames > 0 && packets_read_ < stream_->nb_frames) {
    return InvalidImageError("failed to read " + name_ + ": the file ends after " +
                             std::to_string(packets_read_) + " of the " + std::to_string(stream_->nb_frames) +
                             " frames its header lists (truncated?)");
  }
  return Status::Ok();
}

Status FfmpegVideoReader::EndStatus() const {
  if (!input_status_.ok()) return input_status_;
  if (frames_returned_ == 0) {
    return InvalidImageError("failed to decode " + name_ + ": the video has no decodable frames" +
                             (last_decode_error_.empty() ? "" : " (last error: " + last_decode_error_ + ")"));
  }
  // Corrupt packets followed by good frames are skipped (as the ffmpeg tool does), but
  // a stream whose input ended in corrupt packets lost its tail, and an MP4 that gave
  // fewer frames than its header lists after corrupt packets lost frames: say so
  // rather than end cleanly. (Frames the decoder still held come out after the input
  // ends, so the run of errors is taken when the input ended.)
  const bool lists_samples = std::string_view(format_name_).starts_with("mov,");
  const bool lost_frames = lists_samples && stream_frames_ > 0 && frames_returned_ < stream_frames_;
  if (decode_errors_at_input_end_ > 0 || (total_decode_errors_ > 0 && lost_frames)) {
    return InvalidImageError("failed to decode " + name_ + ": " + std::to_string(total_decode_errors_) +
                             " corrupt packets, the stream is damaged after " +
                             std::to_string(frames_returned_) +
                             " good frames (last error: " + last_decode_error_ + ")");
  }
  return Status::Ok();
}

Result<bool> FfmpegVideoReader::Finish(Status status) {
  end_ = std::move(status);
  // The demuxer and decoder are no longer needed; free their memory early.
  const ScopedCudaContextUse use = GpuUse();
  decoder_.reset();
  format_.reset();
  io_.reset();
  memory_.reset();
  converter_.context.reset();
  rgb_ = {};
  transfer_.reset();
  planar_.reset();
  gpu_frames_.reset();
  cuda_device_.reset();
  return end_->ok() ? Result<bool>(false) : Result<bool>(*end_);
}

Status FfmpegVideoReader::DeliverFrame(VideoFrame* out) {
  const AVFrame& picture = *picture_;
  const std::string where = "frame " + std::to_string(frames_returned_) + " of " + name_;
  if (frames_returned_ >= options_.max_frames) {
    return ResourceExhaustedError("failed to read " + name_ + ": it has more than " +
                                  std::to_string(options_.max_frames) + " frames, the limit");
  }
  if (picture.width <= 0 || picture.height <= 0) {
    return InvalidImageError("failed to decode " + where + ": the decoder gave an empty picture");
  }
  if (static_cast<int64_t>(picture.width) * picture.height > options_.max_pixels) {
    return ResourceExhaustedError("failed to decode " + where + ": " + std::to_string(picture.width) + "x" +
                                  std::to_string(picture.height) + " pixels are above the limit of " +
                                  std::to_string(options_.max_pixels));
  }
  if (picture.format == AV_PIX_FMT_CUDA && info_.frames_on_gpu) {
    std::shared_ptr<const GpuFrame> kept;
    {
      const StepTimer timer(&times_.download_seconds);
      const ScopedCudaContextUse use = GpuUse();
      HT_ASSIGN_OR_RETURN(kept, ffmpeg::KeepCudaPicture(picture, in_shared_context_, options_.hardware_device,
                                                        decoder_->sw_pix_fmt, where, &gpu_frames_));
    }
    if (kept != nullptr) {
      out->gpu = std::move(kept);
      out->image = Image();
      out->index = frames_returned_++;
      out->timestamp_ms = NextTimestampMs(picture.best_effort_timestamp);
      consecutive_decode_errors_ = 0;
      return Status::Ok();
    }
  }
  out->gpu.reset();
  const AVFrame* source = &picture;
  if (picture.format == AV_PIX_FMT_CUDA) {
    const StepTimer timer(&times_.download_seconds);
    HT_ASSIGN_OR_RETURN(source, DownloadPicture(picture, where));
  }
  {
    const StepTimer timer(&times_.convert_seconds);
    HT_RETURN_IF_ERROR(ConvertToRgb(*source));
    RotateRgbClockwise(rgb_.data(), picture.width, picture.height, rgb_stride_, info_.rotation_degrees,
                       &out->image);
  }
  out->index = frames_returned_++;
  out->timestamp_ms = NextTimestampMs(picture.best_effort_timestamp);
  consecutive_decode_errors_ = 0;
  return Status::Ok();
}

Result<const AVFrame*> FfmpegVideoReader::DownloadPicture(const AVFrame& picture, const std::string& where) {
  const ScopedCudaContextUse use = GpuUse();
  return ffmpeg::DownloadCudaPicture(picture, decoder_->sw_pix_fmt, options_.pinned_download, where,
                                     transfer_.get(), planar_.get());
}

// Converts as the ffmpeg tool's automatic scale filter does, so pixels agree with
// `ffmpeg -i X frame%d.png`: bicubic flags (they matter only for odd sizes), the colour
// matrix the stream declares (BT.601 when it declares none), and full or limited range
// as the stream declares (yuvj* pixel formats are full range).
Status FfmpegVideoReader::ConvertToRgb(const AVFrame& picture) {
  const auto format = static_cast<AVPixelFormat>(picture.format);
  RgbConverter& converter = converter_;
  if (!converter.context || converter.width != picture.width || converter.height != picture.height ||
      converter.format != format) {
    converter.context = ffmpeg::CreateRgbConverter(picture.width, picture.height, format);
    if (!converter.context) {
      const char* format_name = av_get_pix_fmt_name(format);
      return UnsupportedError("failed to convert frame " + std::to_string(frames_returned_) + " of " + name_ +
                              " to RGB: pixel format '" + (format_name ? format_name : "unknown") +
                              "' is not supported");
    }
    converter.width = picture.width;
    converter.height = picture.height;
    converter.format = format;
    converter.colorspace = -1;
    // swscale's x86 YUV->RGB code converts whole blocks of 8 pixels, and silently skips
    // the last block of each row when the row is too short to take it whole (the ffmpeg
    // tool's frames always are long enough): room for 16 more pixels per row, and a spare
    // row at the bottom, keep every pixel converted and every write inside the buffer.
    rgb_stride_ = ((picture.width + 16) * 3 + 63) / 64 * 64;
    rgb_.assign(static_cast<size_t>(rgb_stride_) * (picture.height + 1) + 64, 0);
  }
  const int colorspace = ffmpeg::RawColorSpace(picture);
  const bool full_range = ffmpeg::IsFullRange(picture);
  if (converter.colorspace != colorspace || converter.full_range != static_cast<int>(full_range)) {
    ffmpeg::SetRgbColorspace(converter.context.get(), colorspace, full_range);
    converter.colorspace = colorspace;
    converter.full_range = full_range;
  }
  uint8_t* const destination[4] = {rgb_.data(), nullptr, nullptr, nullptr};
  const int destination_stride[4] = {rgb_stride_, 0, 0, 0};
  const int rows = sws_scale(converter.context.get(), picture.data, picture.linesize, 0, picture.height,
                             destination, destination_stride);
  if (rows != picture.height) {
    return InvalidImageError("failed to convert frame " + std::to_string(frames_returned_) + " of " + name_ +
                             " to RGB: swscale gave " + std::to_string(rows) + " rows");
  }
  return Status::Ok();
}

int64_t FfmpegVideoReader::NextTimestampMs(int64_t pts) {
  std::optional<int64_t> from_stream;
  if (pts != AV_NOPTS_VALUE) {
    if (first_pts_ == AV_NOPTS_VALUE) first_pts_ = pts;
    int64_t since_first = 0;
    if (!__builtin_sub_overflow(pts, first_pts_, &since_first) && IsValidRate(stream_->time_base)) {
      from_stream = av_rescale_q(since_first, stream_->time_base, AVRational{1, 1000});
    }
  }
  int64_t timestamp_ms = 0;
  if (last_timestamp_ms_ < 0) {
    timestamp_ms = from_stream && *from_stream >= 0 ? *from_stream : 0;
  } else if (from_stream && *from_stream > last_timestamp_ms_) {
    timestamp_ms = *from_stream;
  } else {
    const int64_t frame_ms = info_.fps > 0 ? std::max<int64_t>(1, std::llround(1000.0 / info_.fps)) : 1;
    timestamp_ms = AddSaturated(last_timestamp_ms_, frame_ms);
  }
  last_timestamp_ms_ = timestamp_ms;
  return timestamp_ms;
}

}  // namespace

const char* HardwareDecodeName(HardwareDecode mode) {
  switch (mode) {
    case HardwareDecode::kNone:
      return "none";
    case HardwareDecode::kAuto:
      return "auto";
    case HardwareDecode::kCuda:
      return "cuda";
  }
  return "unknown";
}

const char* CudaDecodingContextName(CudaDecodingContext context) {
  switch (context) {
    case CudaDecodingContext::kShared:
      return "shared";
    case CudaDecodingContext::kSeparate:
      return "separate";
  }
  return "unknown";
}

Result<std::unique_ptr<VideoReader>> VideoReader::Open(const std::string& path,
                                                       const VideoReaderOptions& options) {
  const std::string failed = "failed to open " + path + ": ";
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) return NotFoundError(failed + "no such file");
  if (status.type() == std::filesystem::file_type::directory) {
    return InvalidArgumentError(failed + "it is a directory, not a video file");
  }
  if (status.type() == std::filesystem::file_type::regular && std::filesystem::file_size(path, error) == 0 &&
      !error) {
    return InvalidImageError(failed + "the file is empty");
  }
  return FfmpegVideoReader::Create(path, nullptr, options);
}

Result<std::unique_ptr<VideoReader>> OpenVideoFromMemory(std::span<const uint8_t> bytes,
                                                         const std::string& name,
                                                         const VideoReaderOptions& options) {
  if (bytes.empty()) return InvalidImageError("failed to open " + name + ": the input is empty");
  auto memory = std::make_unique<ffmpeg::MemoryInput>();
  memory->bytes.assign(bytes.begin(), bytes.end());
  return FfmpegVideoReader::Create(name, std::move(memory), options);
}

}  // namespace handtrack
