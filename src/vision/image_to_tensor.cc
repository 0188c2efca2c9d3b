#include "vision/image_to_tensor.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>

#include "vision/image_to_tensor_simd.h"

namespace handtrack::vision {
namespace {

constexpr double kPi = std::numbers::pi;

// cv::INTER_BITS: warpPerspective rounds source coordinates to 1/32 pixel.
constexpr int kInterBits = 5;
constexpr int kInterSteps = 1 << kInterBits;
// The bilinear weights below are (32 - f) * (32 - g) etc., summing to 1024. OpenCV's
// are 32 times larger (INTER_REMAP_COEF_BITS = 15); (32 s + 2^14) >> 15 equals
// (s + 2^9) >> 10, so the rounding is identical.
constexpr int kWeightBits = 2 * kInterBits;
constexpr int kWeightRounding = 1 << (kWeightBits - 1);

// convertTo(CV_32F, scale = 1.0f / 255, offset = 0): the float of every 8-bit level.
constexpr std::array<float, 256> kUnitLevels = [] {
  std::array<float, 256> levels{};
  for (int v = 0; v < 256; ++v) levels[v] = static_cast<float>(v) * (1.0f / 255.0f);
  return levels;
}();

constexpr uint8_t kBlackPixel[4] = {0, 0, 0, 0};

// saturate_cast<int>(double) rounds half to even. (v + 1.5 * 2^52) - 1.5 * 2^52
// does the same in the default rounding mode for |v| < 2^51, without a libm call.
inline int RoundHalfEven(double v) {
  constexpr double kLimit = 1 << 30;  // far outside any image; keeps the cast defined
  constexpr double kMagic = 6755399441055744.0;
  v = std::min(std::max(v, -kLimit), kLimit);  // minsd/maxsd, no branches
  return static_cast<int>((v + kMagic) - kMagic);
}

using internal::SamplingGrid;

// The corners come from cv::RotatedRect(center, size, degrees).points(), in float
// as OpenCV computes them; getPerspectiveTransform maps corner 1 to tensor (0, 0),
// corner 2 to (out_width, 0) and corner 0 to (0, out_height).
SamplingGrid GridFromBoxPoints(const PixelRect& roi, int out_width, int out_height) {
  // The converter passes roi.rotation * 180.f / M_PI, stored as float degrees.
  const float degrees = static_cast<float>(roi.rotation * 180.f / kPi);
  const double radians = degrees * kPi / 180.0;
  const float b = static_cast<float>(std::cos(radians)) * 0.5f;
  const float a = static_cast<float>(std::sin(radians)) * 0.5f;
  const float corner0_x = roi.center_x - a * roi.height - b * roi.width;
  const float corner0_y = roi.center_y + b * roi.height - a * roi.width;
  const float corner1_x = roi.center_x + a * roi.height - b * roi.width;
  const float corner1_y = roi.center_y - b * roi.height - a * roi.width;
  const float corner2_x = 2 * roi.center_x - corner0_x;
  const float corner2_y = 2 * roi.center_y - corner0_y;

  SamplingGrid grid;
  grid.origin_x = corner1_x;
  grid.origin_y = corner1_y;
  grid.column_step_x = (static_cast<double>(corner2_x) - corner1_x) / out_width;
  grid.column_step_y = (static_cast<double>(corner2_y) - corner1_y) / out_width;
  grid.row_step_x = (static_cast<double>(corner0_x) - corner1_x) / out_height;
  grid.row_step_y = (static_cast<double>(corner0_y) - corner1_y) / out_height;
  return grid;
}

// One output pixel from its four neighbours and 1/32-pixel fractions.
template <int kBytesPerPixel, bool kSwapRedBlue>
inline void BlendPixel(const uint8_t* p00, const uint8_t* p01, const uint8_t* p10, const uint8_t* p11, int fx,
                       int fy, float* dst) {
  const int wx1 = fx;
  const int wx0 = kInterSteps - fx;
  const int wy1 = fy;
  const int wy0 = kInterSteps - fy;
  // All twelve bytes are read before the first store (dst may alias pixels as far
  // as the compiler knows).
  const auto level = [&](int c) {
    const int top = p00[c] * wx0 + p01[c] * wx1;
    const int bottom = p10[c] * wx0 + p11[c] * wx1;
    return (top * wy0 + bottom * wy1 + kWeightRounding) >> kWeightBits;
  };
  const int red = level(kSwapRedBlue ? 2 : 0);
  const int green = level(1);
  const int blue = level(kSwapRedBlue ? 0 : 2);
  dst[0] = kUnitLevels[red];
  dst[1] = kUnitLevels[green];
  dst[2] = kUnitLevels[blue];
}

template <int kBytesPerPixel, bool kSwapRedBlue, BorderMode kBorder>
void WarpRows(const ImageView& image, const SamplingGrid& grid, int out_width, int out_height, float* out) {
  const uint8_t* const pixels = image.data;
  const ptrdiff_t stride = image.stride_bytes;
  const int width = image.width;
  const int height = image.height;
  // Pixel (x, y), or what the border mode puts there when it is outside.
  const auto pixel_at = [&](int x, int y) -> const uint8_t* {
    if constexpr (kBorder == BorderMode::kReplicate) {
      x = std::clamp(x, 0, width - 1);
      y = std::clamp(y, 0, height - 1);
    } else if (x < 0 || y < 0 || x >= width || y >= height) {
      return kBlackPixel;
    }
    return pixels + y * stride + static_cast<ptrdiff_t>(x) * kBytesPerPixel;
  };

  for (int y = 0; y < out_height; ++y) {
    // The row's start; along the row only one multiply-add per coordinate.
    const double row_x = grid.origin_x + y * grid.row_step_x;
    const double row_y = grid.origin_y + y * grid.row_step_y;
    float* dst = out + static_cast<size_t>(y) * out_width * 3;
    for (int x = 0; x < out_width; ++x, dst += 3) {
      const int fixed_x = RoundHalfEven((row_x + x * grid.column_step_x) * kInterSteps);
      const int fixed_y = RoundHalfEven((row_y + x * grid.column_step_y) * kInterSteps);
      const int sx = fixed_x >> kInterBits;
      const int sy = fixed_y >> kInterBits;
      const int fx = fixed_x & (kInterSteps - 1);
      const int fy = fixed_y & (kInterSteps - 1);
      if (static_cast<unsigned>(sx) < static_cast<unsigned>(width - 1) &&
          static_cast<unsigned>(sy) < static_cast<unsigned>(height - 1)) {
        const uint8_t* p00 = pixels + sy * stride + static_cast<ptrdiff_t>(sx) * kBytesPerPixel;
        const uint8_t* p10 = p00 + stride;
        BlendPixel<kBytesPerPixel, kSwapRedBlue>(p00, p00 + kBytesPerPixel, p10, p10 + kBytesPerPixel, fx, fy,
                                                 dst);
      } else {
        BlendPixel<kBytesPerPixel, kSwapRedBlue>(pixel_at(sx, sy), pixel_at(sx + 1, sy), pixel_at(sx, sy + 1),
                                                 pixel_at(sx + 1, sy + 1), fx, fy, dst);
      }
    }
  }
}

template <BorderMode kBorder>
void WarpRowsForFormat(const ImageView& image, const SamplingGrid& grid, int out_width, int out_height,
                       float* out) {
  switch (image.format) {
    case PixelFormat::kRGB:
      return WarpRows<3, false, kBorder>(image, grid, out_width, out_height, out);
    case PixelFormat::kBGR:
      return WarpRows<3, true, kBorder>(image, grid, out_width, out_height, out);
    case PixelFormat::kRGBA:
      return WarpRows<4, false, kBorder>(image, grid, out_width, out_height, out);
    case PixelFormat::kBGRA:
      return WarpRows<4, true, kBorder>(image, grid, out_width, out_height, out);
  }
  std::fill(out, out + static_cast<size_t>(out_width) * out_height * 3, 0.0f);  // not a PixelFormat
}

bool IsUsable(const PixelRect& roi) {
  // ValidateRoi rejects NaN and non-positive sizes; non-finite values are rejected too.
  return std::isfinite(roi.center_x) && std::isfinite(roi.center_y) && std::isfinite(roi.width) &&
         std::isfinite(roi.height) && std::isfinite(roi.rotation) && roi.width > 0 && roi.height > 0;
}

// PadRoi (image_to_tensor_utils.cc) with keep_aspect_ratio: grows the region to
// the tensor's aspect ratio and returns the padding, in float as MediaPipe.
std::array<float, 4> PadToAspect(int tensor_width, int tensor_height, PixelRect* roi) {
  const float tensor_aspect = static_cast<float>(tensor_height) / tensor_width;
  const float roi_aspect = roi->height / roi->width;
  float horizontal = 0.0f;
  float vertical = 0.0f;
  if (tensor_aspect > roi_aspect) {
    roi->height = roi->width * tensor_aspect;
    vertical = (1.0f - roi_aspect / tensor_aspect) / 2.0f;
  } else {
    roi->width = roi->height / tensor_aspect;
    horizontal = (1.0f - tensor_aspect / roi_aspect) / 2.0f;
  }
  return {horizontal, vertical, horizontal, vertical};
}

}  // namespace

PixelRect ToPixelRect(const RotatedRect& roi, int image_width, int image_height) {
  return {roi.x_center * image_width, roi.y_center * image_height, roi.width * image_width,
          roi.height * image_height, roi.rotation};
}

AffineTransform RoiToImageTransform(const PixelRect& roi, int image_width, int image_height) {
  const float a = roi.width;
  const float b = roi.height;
  const float c = std::cos(roi.rotation);
  const float d = std::sin(roi.rotation);
  const float e = roi.center_x;
  const float f = roi.center_y;
  const float g = 1.0f / image_width;
  const float h = 1.0f / image_height;
  AffineTransform transform;
  transform.xx = a * c * g;
  transform.xy = -b * d * g;
  transform.x0 = (-0.5f * a * c + 0.5f * b * d + e) * g;
  transform.yx = a * d * h;
  transform.yy = b * c * h;
  transform.y0 = (-0.5f * b * c - 0.5f * a * d + f) * h;
  return transform;
}

bool WarpRectToTensor(const ImageView& image, const PixelRect& roi, int out_width, int out_height,
                      BorderMode border, float* out, SamplerPath path) {
  if (out == nullptr || out_width <= 0 || out_height <= 0) return false;
  if (!image.Validate().ok() || !IsUsable(roi)) {
    std::fill(out, out + static_cast<size_t>(out_width) * out_height * 3, 0.0f);
    return false;
  }
  const SamplingGrid grid = GridFromBoxPoints(roi, out_width, out_height);
  if (path != SamplerPath::kPortable) {
    const internal::VectorIsa isa =
        path == SamplerPath::kSse41 ? internal::VectorIsa::kSse41 : internal::VectorIsa::kAvx2;
    if (internal::WarpRowsSimd(image, grid, out_width, out_height, border, isa, out)) return true;
  }
  if (border == BorderMode::kZero) {
    WarpRowsForFormat<BorderMode::kZero>(image, grid, out_width, out_height, out);
  } else {
    WarpRowsForFormat<BorderMode::kReplicate>(image, grid, out_width, out_height, out);
  }
  return true;
}

std::optional<backend::SamplingGrid> PlanWarp(const PixelRect& roi, int out_width, int out_height) {
  if (out_width <= 0 || out_height <= 0 || !IsUsable(roi)) return std::nullopt;
  return GridFromBoxPoints(roi, out_width, out_height);
}

namespace {

// GetRoi without a NORM_RECT: the whole image, unrotated, grown to the tensor's aspect ratio
// (sizes positive); the transform back to the image and its padding go to `letterbox`.
PixelRect LetterboxRegion(int image_width, int image_height, int out_width, int out_height,
                          LetterboxTransform* letterbox) {
  PixelRect roi{0.5f * image_width, 0.5f * image_height, static_cast<float>(image_width),
                static_cast<float>(image_height), 0.0f};
  letterbox->padding = PadToAspect(out_width, out_height, &roi);
  letterbox->tensor_to_image = RoiToImageTransform(roi, image_width, image_height);
  return roi;
}

}  // namespace

LetterboxPlan PlanLetterbox(int image_width, int image_height, int out_width, int out_height) {
  LetterboxPlan plan;
  if (image_width <= 0 || image_height <= 0 || out_width <= 0 || out_height <= 0) return plan;
  plan.grid = PlanWarp(LetterboxRegion(image_width, image_height, out_width, out_height, &plan.transform),
                       out_width, out_height);
  return plan;
}

LetterboxTransform LetterboxImage(const ImageView& image, int out_width, int out_height, float* out,
                                  SamplerPath path) {
  LetterboxTransform letterbox;
  if (out_width <= 0 || out_height <= 0 || !image.Validate().ok()) {
    if (out != nullptr && out_width > 0 && out_height > 0) {
      std::fill(out, out + static_cast<size_t>(out_width) * out_height * 3, 0.0f);
    }
    return letterbox;
  }
  const PixelRect roi = LetterboxRegion(image.width, image.height, out_width, out_height, &letterbox);
  WarpRectToTensor(image, roi, out_width, out_height, BorderMode::kZero, out, path);
  return letterbox;
}

bool CropRotatedRect(const ImageView& image, const RotatedRect& roi, int out_width, int out_height,
                     float* out, BorderMode border, SamplerPath path) {
  return WarpRectToTensor(image, ToPixelRect(roi, image.width, image.height), out_width, out_height, border,
                          out, path);
}

}  // namespace handtrack::vision
