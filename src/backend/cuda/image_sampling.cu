// Pre-processing on the device (backend/image_sampling.h): 8-bit images into
// float RGB model inputs with the CPU samplers' exact arithmetic, so that a
// crop made here equals vision::WarpRectToTensor's bit for bit.
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// cv::INTER_BITS (vision/image_to_tensor.cc): coordinates rounded to 1/32 pixel.
constexpr int kInterBits = 5;
constexpr int kInterSteps = 1 << kInterBits;
constexpr int kWeightBits = 2 * kInterBits;
constexpr int kWeightRounding = 1 << (kWeightBits - 1);
// The CPU clamps coordinates to +-2^30 before rounding (far outside any image).
constexpr double kCoordinateLimit = 1 << 30;

// Round half to even, as saturate_cast<int>(double) and the CPU's RoundHalfEven.
__device__ __forceinline__ int FixedPoint(double v) {
  v = fmin(fmax(v, -kCoordinateLimit), kCoordinateLimit);
  return __double2int_rn(v);
}

// blockIdx.y: the frame; one thread per output pixel. T: float, or __half for fp16 segments,
// which then need no conversion kernel after it (the same float value, rounded once).
template <typename T>
__global__ void SampleImagesKernel(const ImageSamplingParams* __restrict__ all, int out_width, int out_height,
                                   T* __restrict__ out) {
  const int pixels = out_width * out_height;
  const int index = blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= pixels) return;
  const ImageSamplingParams p = all[blockIdx.y];
  T* dst = out + (static_cast<int64_t>(blockIdx.y) * pixels + index) * 3;
  if (p.pixels == nullptr) {
    dst[0] = dst[1] = dst[2] = FromFloat<T>(0.0f);
    return;
  }
  const int x = index % out_width;
  const int y = index / out_width;
  // Exactly the CPU's order of double operations, each rounded (no fused multiply-add).
  const double row_x = __dadd_rn(p.origin_x, __dmul_rn(static_cast<double>(y), p.row_step_x));
  const double row_y = __dadd_rn(p.origin_y, __dmul_rn(static_cast<double>(y), p.row_step_y));
  const int fixed_x = FixedPoint(
      __dmul_rn(__dadd_rn(row_x, __dmul_rn(static_cast<double>(x), p.column_step_x)), kInterSteps));
  const int fixed_y = FixedPoint(
      __dmul_rn(__dadd_rn(row_y, __dmul_rn(static_cast<double>(x), p.column_step_y)), kInterSteps));
  const int sx = fixed_x >> kInterBits;
  const int sy = fixed_y >> kInterBits;
  const int fx = fixed_x & (kInterSteps - 1);
  const int fy = fixed_y & (kInterSteps - 1);

  // The four neighbours' RGB: with a replicated border the nearest edge pixel, else black.
  uint8_t corner[4][3];
  for (int k = 0; k < 4; ++k) {
    int cx = sx + (k & 1);
    int cy = sy + (k >> 1);
    if (p.replicate_border) {
      cx = min(max(cx, 0), p.width - 1);
      cy = min(max(cy, 0), p.height - 1);
    } else if (cx < 0 || cy < 0 || cx >= p.width || cy >= p.height) {
      corner[k][0] = corner[k][1] = corner[k][2] = 0;
      continue;
    }
    if (p.chroma != nullptr) {
      // NV12: the pixel's luma and its 2x2 block's chroma pair, converted as on the host.
      const uint8_t* uv = p.chroma + (cy >> 1) * p.chroma_stride_bytes + static_cast<int64_t>(cx >> 1) * 2;
      const int luma = p.pixels[cy * p.stride_bytes + cx];
      if (p.rgb_table != nullptr) {
        TableRgb(p.rgb_table, luma, uv[0], uv[1], corner[k]);
      } else {
        YuvPixelToRgb(p.yuv, luma, uv[0], uv[1], corner[k]);
      }
      continue;
    }
    const uint8_t* pixel = p.pixels + cy * p.stride_bytes + static_cast<int64_t>(cx) * p.bytes_per_pixel;
    for (int c = 0; c < 3; ++c) corner[k][c] = pixel[p.swap_red_blue ? 2 - c : c];
  }
  const int wx1 = fx;
  const int wx0 = kInterSteps - fx;
  const int wy1 = fy;
  const int wy0 = kInterSteps - fy;
  for (int c = 0; c < 3; ++c) {
    const int top = corner[0][c] * wx0 + corner[1][c] * wx1;
    const int bottom = corner[2][c] * wx0 + corner[3][c] * wx1;
    const int level = (top * wy0 + bottom * wy1 + kWeightRounding) >> kWeightBits;
    dst[c] = FromFloat<T>(__fmul_rn(static_cast<float>(level), 1.0f / 255.0f));
  }
}

}  // namespace

cudaError_t EnqueueImageSampling(const ImageSamplingParams* params, int frames, int out_width, int out_height,
                                 float* out, cudaStream_t stream, bool half) {
  const int pixels = out_width * out_height;
  const dim3 grid((pixels + kThreadsPerBlock - 1) / kThreadsPerBlock, frames);
  if (half) {
    SampleImagesKernel<<<grid, kThreadsPerBlock, 0, stream>>>(params, out_width, out_height, As<__half>(out));
  } else {
    SampleImagesKernel<<<grid, kThreadsPerBlock, 0, stream>>>(params, out_width, out_height, out);
  }
  return cudaGetLastError();
}

}  // namespace handtrack::backend::cuda
