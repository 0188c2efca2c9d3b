// Hardware decoding through FFmpeg's `hwaccel cuda` (NVDEC), internal to handtrack_io: whether
// it can run for a stream, and its pictures copied back to memory in the layout the CPU
// decoder gives, so that the RGB conversion is the CPU path's.
#pragma once

#include <string>

#include "handtrack/status.h"
#include "handtrack/video_io.h"
#include "io/ffmpeg_util.h"

namespace handtrack::ffmpeg {

// CUDA device `device` for decoding a stream with `codec`, or why there is none.
struct CudaDecoding {
  BufferPtr device;                // the video's CUDA decoding device; null when unavailable
  std::string unavailable_reason;  // one line, e.g. "no CUDA device: libcuda.so.1 cannot be loaded (...)"
  // `device` is in the CUDA runtime's primary context: its FFmpeg calls go through
  // ScopedCudaContextUse (base/cuda_capture_gate.h).
  bool shared_context = false;
};

// Checks, cheapest first: `codec` has a CUDA hwaccel in this FFmpeg, the stream's pixel format
// (when the header gives it) is one NVDEC decodes, a CUDA device opens in `context` (see
// CudaDecodingContext; kShared is kSeparate in builds without ffnvcodec), and NVIDIA's video
// decoder library loads. Whether the GPU takes the stream's size and profile shows only when
// the decoder meets its first frame (the caller's get_format).
CudaDecoding OpenCudaDecoding(const AVCodec& codec, const AVCodecParameters& parameters, int device,
                              CudaDecodingContext context);

// Copies a decoded CUDA picture to memory (*transfer, in the GPU's layout: NV12, P010 or
// P016), then splits its interleaved chroma into `planar_format`, the planar format the CPU
// decoder gives for the stream (*planar). Returns the picture to convert: *planar, or
// *transfer when the two formats do not pair up. Errors are Unavailable: "failed to decode
// WHAT: copying it from the GPU failed: ...". Both frames are reused from call to call.
// With `pinned`, *transfer gets page-locked memory (kept while the pictures' size stays) where
// the driver lets it; else, as without, FFmpeg's pageable memory for each picture.
Result<const AVFrame*> DownloadCudaPicture(const AVFrame& picture, AVPixelFormat planar_format, bool pinned,
                                           const std::string& what, AVFrame* transfer, AVFrame* planar);

}  // namespace handtrack::ffmpeg
