// Hardware decoding through FFmpeg's `hwaccel cuda` (NVDEC), internal to handtrack_io: whether
// it can run for a stream, and its pictures copied back to memory in the layout the CPU
// decoder gives, so that the RGB conversion is the CPU path's.
#pragma once

#include <memory>
#include <string>

#include "handtrack/gpu_frame.h"
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

// A decoded CUDA picture kept on the GPU (VideoReaderOptions::frames_on_gpu): copied there
// into a frame of *copies (a pool of CUDA frames the caller keeps; made or remade here to the
// picture's size), so that NVDEC's own surface goes back to the decoder at once, and waited
// for. Its colours convert through the table of the RGB frames' conversion (the picture
// downloaded, split into `planar_format`, the CPU decoder's, and converted by swscale:
// rgb_table.h), on the GPU and in ToHostRgb alike. Null (no error) when this picture cannot be
// a GpuFrame, and the caller downloads it instead: a decoding device outside the runtime's
// primary context (its addresses would not be the CUDA backend's), a format other than NV12
// (10-bit video), an odd height, a planar format that is not 8-bit 4:2:0, or a build without
// NVIDIA's codec headers. `what` names the picture in errors, ToHostRgb's included.
Result<std::shared_ptr<const GpuFrame>> KeepCudaPicture(const AVFrame& picture, bool shared_context,
                                                        int device, AVPixelFormat planar_format,
                                                        const std::string& what, BufferPtr* copies);

}  // namespace handtrack::ffmpeg
