// The YUV -> RGB arithmetic of ConvertNv12ToRgb (handtrack/gpu_frame.h), shared by the host
// conversion and the CUDA sampling kernel so that both give the same bits: a table lookup
// where the frame has one, else coefficients in 16-bit fixed point, computed once on the
// host, then integer operations only.
#pragma once

#include <cstdint>

#include "handtrack/gpu_frame.h"

#if defined(__CUDACC__)
#define HT_HOST_DEVICE __host__ __device__
#else
#define HT_HOST_DEVICE
#endif

namespace handtrack {

struct YuvToRgbCoefficients {
  int luma_offset = 16;  // 0 for full range
  int luma_scale = 0;    // x 2^16
  int red_v = 0;         // R = Y' + red_v V'
  int green_u = 0;       // G = Y' - green_u U' - green_v V'
  int green_v = 0;
  int blue_u = 0;  // B = Y' + blue_u U'
};

YuvToRgbCoefficients YuvCoefficients(YuvMatrix matrix, bool full_range);

HT_HOST_DEVICE inline uint8_t ClampToByte(int value) {
  return static_cast<uint8_t>(value < 0 ? 0 : (value > 255 ? 255 : value));
}

// One pixel: luma y, chroma u and v (8 bits each) to rgb[0..2].
HT_HOST_DEVICE inline void YuvPixelToRgb(const YuvToRgbCoefficients& k, int y, int u, int v, uint8_t* rgb) {
  constexpr int kHalf = 1 << 15;
  const int luma = (y - k.luma_offset) * k.luma_scale + kHalf;
  u -= 128;
  v -= 128;
  rgb[0] = ClampToByte((luma + k.red_v * v) >> 16);
  rgb[1] = ClampToByte((luma - k.green_u * u - k.green_v * v) >> 16);
  rgb[2] = ClampToByte((luma + k.blue_u * u) >> 16);
}

// One pixel through a conversion table (Nv12View::rgb_table).
HT_HOST_DEVICE inline void TableRgb(const uint32_t* table, int y, int u, int v, uint8_t* rgb) {
  const uint32_t entry =
      table[(static_cast<uint32_t>(u) << 16) | (static_cast<uint32_t>(v) << 8) | static_cast<uint32_t>(y)];
  rgb[0] = static_cast<uint8_t>(entry & 0xff);
  rgb[1] = static_cast<uint8_t>((entry >> 8) & 0xff);
  rgb[2] = static_cast<uint8_t>((entry >> 16) & 0xff);
}

}  // namespace handtrack
