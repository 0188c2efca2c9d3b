// Frames that stay in GPU memory: a hardware video decoder's pictures handed to the
// landmarker without a copy to the host.
//
// VideoReader gives them (VideoReaderOptions::frames_on_gpu, VideoFrame::gpu) and
// HandLandmarker::DetectForVideoFrames takes them (VideoFrameView::gpu). On a CUDA engine of
// the same GPU the palm letterbox and the hand crops are sampled straight from the picture's
// NV12 planes, the colour conversion included, so the frame never crosses to the host;
// anywhere else (the CPU, another GPU) the landmarker asks the frame for host RGB pixels.
//
// The colour conversion of both paths is the frame's: VideoReader's GPU frames carry a table
// of what its RGB frames' conversion (swscale) gives for every (Y, U, V), so that a video gives
// the same pixels, and the same landmarks, whether its frames stay on the GPU or come to the
// host. A view without a table is converted by the BT.601/709/2020 formulas, rounded.
//
// Threading: a GpuFrame is immutable once made; its methods may be called from any thread.
#pragma once

#include <cstdint>

#include "handtrack/image.h"
#include "handtrack/status.h"

namespace handtrack {

// The matrix that maps a video's Y'CbCr to R'G'B' (what the stream declares; BT.601 when it
// declares none, as the ffmpeg tool assumes).
enum class YuvMatrix { kBt601, kBt709, kBt2020 };

// 8-bit YUV 4:2:0 with interleaved chroma (NV12): a luma plane of width x height bytes and a
// chroma plane of (width + 1) / 2 U,V pairs per row, (height + 1) / 2 rows. Pixel (x, y) takes
// the chroma pair (x / 2, y / 2).
struct Nv12View {
  const uint8_t* luma = nullptr;
  const uint8_t* chroma = nullptr;
  int width = 0;
  int height = 0;
  int luma_stride_bytes = 0;
  int chroma_stride_bytes = 0;
  YuvMatrix matrix = YuvMatrix::kBt601;
  // Full range (JPEG, 0-255) or limited range (video, luma 16-235, chroma 16-240).
  bool full_range = false;
  // Where set, the conversion instead of `matrix` and `full_range`: the RGB of every (Y, U, V),
  // entry (U << 16) | (V << 8) | Y holding R | G << 8 | B << 16 (2^24 entries, 64 MB), in the
  // planes' memory.
  const uint32_t* rgb_table = nullptr;

  // OK when the planes and sizes are usable (pointers non-null, strides large enough, sides
  // positive and at most 1048576); InvalidArgument naming the problem otherwise.
  Status Validate() const;
};

// Converts `image` (in host memory, its table too) to packed RGB at `out` (width x height x 3
// bytes, rows packed): each pixel's luma and its chroma pair looked up in rgb_table, or without
// one through `matrix` in 16-bit fixed point, rounded to nearest and clamped. Call Validate()
// first.
void ConvertNv12ToRgb(const Nv12View& image, uint8_t* out);

// A frame in the memory of a CUDA device.
class GpuFrame {
 public:
  virtual ~GpuFrame() = default;

  // The NV12 planes: device addresses in the CUDA runtime's primary context of cuda_device(),
  // valid and unchanged while this object lives.
  virtual const Nv12View& nv12() const = 0;
  virtual int cuda_device() const = 0;

  // The frame as packed RGB in host memory (copied back and converted as on the GPU),
  // for engines that cannot read it where it is. Errors (the GPU lost, out of memory) are
  // Unavailable or ResourceExhausted "failed to copy frame N of FILE from the GPU: ...".
  virtual Result<Image> ToHostRgb() const = 0;
};

}  // namespace handtrack
