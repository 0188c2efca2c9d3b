// Reading recorded video (FFmpeg) and folders of frames, and writing overlay videos.
//
// VideoReader decodes the video stream of a file (MP4, MOV, MKV, WebM, AVI, ...: whatever
// containers and codecs the linked FFmpeg handles, e.g. H.264, HEVC, VP8, VP9, AV1, MJPEG)
// into upright, packed RGB frames, one at a time:
//
//   auto reader = handtrack::VideoReader::Open("clip.mp4");
//   if (!reader.ok()) return reader.status();
//   handtrack::VideoFrame frame;
//   for (;;) {
//     HT_ASSIGN_OR_RETURN(bool got, (*reader)->ReadFrame(&frame));
//     if (!got) break;  // clean end
//     ... frame.image, frame.index, frame.timestamp_ms ...
//   }
//
// Frames are those of `ffmpeg -i clip.mp4 -vsync 0 frame%d.png` with the same FFmpeg: the
// same conversion (the colour matrix and range the stream declares, BT.601 limited range
// when it declares none) gives the same pixels, and the rotation stored in the file (phone
// videos) is applied, as the ffmpeg tool does by default. Other FFmpeg versions may
// differ by +-1.
//
// The bytes are untrusted: frame sizes are checked against max_pixels before any frame
// memory is allocated, corrupt data stops after a bounded number of consecutive errors,
// and every failure is an error Status "failed to <verb> <file>: <reason>". When a file
// fails half-way (truncated, corrupt), ReadFrame first returns every frame decoded before
// the failure, then the error, so callers keep partial results.
//
// FFmpeg's own console logging is switched off on first use, unless the application has
// already changed FFmpeg's log level (av_log_set_level) itself.
//
// Threading: a reader or writer serves one thread at a time; distinct objects are
// independent. The decoder uses `threads` threads of its own (1 by default: callers that
// run several videos or models at once manage the parallelism).
//
// Hardware decoding (VideoReaderOptions::hardware_decode) uses FFmpeg's `hwaccel cuda`
// (NVDEC) on one CUDA context of its own that every reader of the process shares (FFmpeg
// cannot join the CUDA runtime's primary context once handtrack's CUDA backend has made it).
// libavcodec loads the NVIDIA driver's libcuda.so.1 and libnvcuvid.so.1 at run time, so
// nothing more is linked and machines without them decode on the CPU (kAuto) or refuse
// to open (kCuda). Decoded pictures are copied to memory and their planes rearranged
// into the planar format the CPU decoder gives, then converted exactly as on the CPU;
// H.264, HEVC, VP9 and the other standard decoders are bit-exact, so the frames are
// expected to equal the CPU's. Which decoder runs is in VideoInfo::decoder, and why the
// GPU was not used in VideoInfo::hardware_fallback_reason. A GPU failure after opening
// ends the file with an Unavailable error (after the frames decoded before it); it never
// switches to the CPU half-way.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "handtrack/gpu_frame.h"
#include "handtrack/image.h"
#include "handtrack/status.h"

namespace handtrack {

// Where VideoReader::Open decodes (frame folders are always decoded on the CPU).
enum class HardwareDecode {
  // FFmpeg's software decoders: the frames of the ffmpeg tool.
  kNone,
  // The GPU when this FFmpeg has a CUDA hwaccel for the codec, a CUDA device and NVIDIA's
  // video decoder library load, and the GPU takes the stream (checked on its first
  // frame, while opening); else the CPU, with the reason in
  // VideoInfo::hardware_fallback_reason.
  kAuto,
  // The GPU or nothing: Open fails with Unavailable "failed to open FILE: no CUDA
  // decoder: REASON" when kAuto would fall back.
  kCuda,
};

// "none", "auto" or "cuda".
const char* HardwareDecodeName(HardwareDecode mode);

// The CUDA context NVDEC decodes in (hardware_decode kAuto or kCuda).
enum class CudaDecodingContext {
  // The CUDA runtime's primary context of the GPU: the one handtrack's CUDA backend runs
  // its models in, with a stream of its own per video. The decoder's work and the models'
  // kernels then run side by side; in contexts of their own the GPU switches between them
  // (time slices), and the models' runs took twice their GPU time next to 16 decoders.
  // Builds without NVIDIA's codec headers (ffnvcodec), and a primary context that cannot be
  // used, take kSeparate's contexts instead.
  kShared,
  // Contexts of FFmpeg's own, two per GPU, shared by every video of the process.
  kSeparate,
};

// "shared" or "separate".
const char* CudaDecodingContextName(CudaDecodingContext context);

struct VideoReaderOptions {
  // Decoder threads; 0 lets FFmpeg choose (one per core).
  int threads = 1;
  // Frames with more pixels than this are refused (ResourceExhausted) before any frame
  // memory is allocated. 100 megapixels, as for images.
  int64_t max_pixels = 100'000'000;
  // Reading stops with ResourceExhausted after this many frames (about 92 hours at
  // 30 fps), so endless or absurd inputs cannot run forever.
  int64_t max_frames = 10'000'000;
  // Reading stops with InvalidImage after this many corrupt packets in a row (isolated
  // corrupt packets are skipped, as the ffmpeg tool does).
  int max_consecutive_decode_errors = 50;
  // CPU by default, so that frames stay those of the ffmpeg tool without a GPU in reach.
  HardwareDecode hardware_decode = HardwareDecode::kNone;
  // The GPU that decodes (index as ModelOptions::device): give it the engine's device, so
  // that a video is decoded on the GPU whose engine tracks it. Which CUDA context decodes:
  // cuda_decoding_context. An index that does not exist fails like a missing GPU (kCuda) or falls back
  // (kAuto).
  int hardware_device = 0;
  // Where NVDEC runs on that GPU (see CudaDecodingContext).
  CudaDecodingContext cuda_decoding_context = CudaDecodingContext::kShared;
  // Hardware decoding: each picture is copied to the host into page-locked memory the reader
  // keeps. false: into pageable memory FFmpeg allocates per picture, which the driver stages
  // through buffers of its own (1.3 ms a 640x480 picture with 16 videos decoding at once on an
  // H100, against 0.25 ms pinned). For comparisons.
  bool pinned_download = true;
  // Hardware decoding in the runtime's primary context (kShared): NVDEC's pictures stay on the
  // GPU, VideoFrame::gpu instead of RGB pixels, for HandLandmarker::DetectForVideoFrames to
  // sample there (handtrack/gpu_frame.h), converted by a table of this reader's own RGB
  // conversion: the same pixels as without this option. Nothing is copied to the host or
  // converted there. Pictures that cannot stay (10-bit video, an odd height, a rotation to
  // apply, a decoding context of FFmpeg's own) come as RGB frames as without this option.
  // Memory: each frame held keeps a copy of the decoder's picture in GPU memory (1.5 bytes a
  // pixel, 460 KB at 640x480), and the table takes 64 MB on the host and on the GPU, once per
  // process and colour set-up.
  bool frames_on_gpu = false;
};

struct VideoInfo {
  // Size of the frames ReadFrame returns, i.e. after rotation.
  int width = 0;
  int height = 0;
  // Frames per second: the stream's average rate, else its base rate; 0 when the file
  // gives neither.
  double fps = 0;
  // Length of the stream; 0 when unknown.
  int64_t duration_ms = 0;
  // From the container header (or duration x fps), capped at max_frames: an estimate,
  // 0 when unknown. Decoding may give fewer or more frames.
  int64_t frame_count = 0;
  // FFmpeg's codec name ("h264", "vp9", "mjpeg", ...); for a frame folder, the type of its
  // first file ("png" or "jpeg").
  std::string codec;
  // Clockwise rotation (0, 90, 180 or 270) applied to the stored pictures.
  int rotation_degrees = 0;
  // The decoder that runs and where: FFmpeg's decoder name and "(cuda)" or "(cpu)", e.g.
  // "h264 (cuda)", "hevc (cpu)"; for a frame folder "png (cpu)" or "jpeg (cpu)".
  std::string decoder;
  // Why hardware decoding was asked for (kAuto) but the CPU decodes, one line, e.g.
  // "no CUDA device: libcuda.so.1 cannot be loaded (...)"; empty when nothing fell back.
  std::string hardware_fallback_reason;
  // VideoReaderOptions::frames_on_gpu was asked for and the video's pictures can stay there
  // (decoded on the GPU in the runtime's primary context, no rotation to apply).
  bool frames_on_gpu = false;
};

struct VideoFrame {
  Image image;  // packed RGB, upright; empty when `gpu` holds the frame
  // The decoder's picture in GPU memory (VideoReaderOptions::frames_on_gpu), else null.
  std::shared_ptr<const GpuFrame> gpu;
  int width() const { return gpu ? gpu->nv12().width : image.width(); }
  int height() const { return gpu ? gpu->nv12().height : image.height(); }
  // 0-based position in decoding output order (display order).
  int64_t index = 0;
  // Presentation time relative to the first frame (which is at 0), from the stream's
  // timestamps; strictly increasing (a missing or non-increasing timestamp is replaced
  // by the previous one plus one frame duration).
  int64_t timestamp_ms = 0;
};

// Where a reader's calls spent their time, summed since it opened (seconds on the thread
// that reads): to tell a decoder that bounds a pipeline from one that waits on its caller.
struct VideoReadTimes {
  // Reading packets and decoding them: the CPU's work, or on the GPU the calls that hand
  // packets to NVDEC and take its pictures.
  double decode_seconds = 0;
  // GPU pictures copied to memory (hardware decoding only).
  double download_seconds = 0;
  // Pictures converted to packed RGB and turned upright.
  double convert_seconds = 0;
  // Opening, once (video files; 0 for frame folders): the container read and probed; the
  // decoder chosen and set up (with hardware decoding, its CUDA device); the first picture
  // decoded while opening (hardware decoding only: NVDEC makes its decoder there; also counted
  // in decode_seconds). Many videos opening at once on one GPU show here where they wait.
  double open_container_seconds = 0;
  double open_decoder_seconds = 0;
  double open_first_picture_seconds = 0;
};

class VideoReader {
 public:
  virtual ~VideoReader() = default;

  // Opens a video file and its best video stream. Reads the header only; errors:
  // NotFound (no file), InvalidArgument (a directory), InvalidImage (not a video, no
  // video stream, corrupt header), Unsupported (no decoder for the codec in this FFmpeg
  // build), ResourceExhausted (frames above max_pixels).
  static Result<std::unique_ptr<VideoReader>> Open(const std::string& path,
                                                   const VideoReaderOptions& options = {});

  // Reads the PNG and JPEG files of a folder as a video at `fps` frames per second,
  // sorted by name with digit runs compared as numbers (frame2.png before frame10.png,
  // as `ffmpeg ... frame%d.png` numbers them). Each file is decoded by ReadImageFile
  // (EXIF orientation applied); frames may differ in size.
  static Result<std::unique_ptr<VideoReader>> OpenFrameDirectory(const std::string& directory,
                                                                 double fps = 30,
                                                                 const VideoReaderOptions& options = {});

  virtual const VideoInfo& info() const = 0;

  // Decodes the next frame into *frame (reusing its pixel memory when the size is
  // unchanged). Returns true with a frame, false at the clean end of the video, or an
  // error; after false or an error, further calls repeat the same answer.
  virtual Result<bool> ReadFrame(VideoFrame* frame) = 0;

  // The time ReadFrame (and opening) spent so far; zeros where a reader does not time its
  // steps (frame folders). Same thread rules as ReadFrame.
  virtual VideoReadTimes read_times() const { return {}; }
};

struct VideoWriterOptions {
  // FFmpeg encoder name. Empty: H.264 (libx264) when the container takes it, else the
  // container's default codec (e.g. VP9 for .webm), else MPEG-4 part 2.
  std::string codec;
  // Constant quality, x264 CRF scale: 0 (lossless/best) to 51 (worst); ~18 looks
  // transparent. Encoders without CRF get a comparable fixed quantizer.
  int quality = 23;
  // Encoder threads; 0 lets the encoder choose.
  int threads = 1;
};

// Encodes frames into a video file; the container comes from the file extension (.mp4,
// .mov, .mkv, .webm, .avi, ...). Frames are stored as YUV 4:2:0 (yuv420p), which needs
// even sizes: an odd width or height is padded by one column or row repeating the edge,
// so the file is width() x height(). MP4 and MOV files get their index at the front
// ("faststart") so players can start before the download ends.
class VideoWriter {
 public:
  static Result<std::unique_ptr<VideoWriter>> Open(const std::string& path, int width, int height, double fps,
                                                   const VideoWriterOptions& options = {});
  // Closes the file if Close() was not called; errors are lost then.
  ~VideoWriter();
  VideoWriter(const VideoWriter&) = delete;
  VideoWriter& operator=(const VideoWriter&) = delete;

  // Appends one frame (RGB, RGBA, BGR or BGRA) of the size given to Open.
  Status WriteFrame(const ImageView& image);
  // Flushes the encoder and finishes the file. Further calls return the same status.
  Status Close();

  // Size stored in the file (the size given to Open, rounded up to even).
  int width() const;
  int height() const;
  // The encoder chosen, e.g. "libx264".
  const std::string& codec() const;

 private:
  class Impl;
  explicit VideoWriter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
