// The two samplers that turn an image into a model input, reproducing the CPU
// path of MediaPipe's ImageToTensorCalculator (image_to_tensor_converter_opencv.cc),
// which MediaPipe Tasks uses with the CPU delegate:
//
//   - the region's corners come from cv::boxPoints and map onto the tensor's
//     corners; each tensor pixel index (x, y) samples the image at the pixel-index
//     coordinate corner + x * step_x + y * step_y. No half-pixel offset: tensor
//     pixel 0 samples the region's corner itself, and integer image coordinates
//     are pixel centres (cv::warpPerspective);
//   - sampling is OpenCV's fixed-point bilinear on 8-bit pixels: coordinates are
//     rounded to 1/32 pixel, weights are integers summing to 2^15, the result is
//     rounded back to 8 bits; only then is it scaled to float by * (1.0f / 255);
//   - an alpha channel is dropped; BGR(A) input is swapped to RGB.
//
// Output: float RGB in [0, 1], NHWC (1 x out_h x out_w x 3), written to a caller
// buffer of out_w * out_h * 3 floats. No allocation, no trigonometry per pixel.
//
// Threading: pure functions over caller memory; concurrent calls are safe.
#pragma once

#include <array>
#include <optional>

#include "backend/image_sampling.h"
#include "handtrack/image.h"
#include "vision/geometry.h"

namespace handtrack::vision {

// How pixels outside the image are extrapolated (ImageToTensorCalculatorOptions).
enum class BorderMode {
  kZero,       // BORDER_ZERO: outside pixels are black (palm detection input)
  kReplicate,  // BORDER_REPLICATE: nearest edge pixel; the proto's default, so the
               // Tasks landmark crop uses it (hand_landmarks_detector_graph.cc sets none)
};

// Which implementation samples; all give the same bits. kPortable is the plain
// per-pixel loop that defines them (and the oracle of the tests); kAuto uses AVX2
// or SSE4.1 where the CPU has them, else the portable loop; kSse41 stops at SSE4.1
// (so that tests cover that code on AVX2 machines too).
enum class SamplerPath { kAuto, kSse41, kPortable };

// A region in pixel-index coordinates of the image (MediaPipe's internal RotatedRect).
struct PixelRect {
  float center_x = 0;
  float center_y = 0;
  float width = 0;
  float height = 0;
  float rotation = 0;  // radians, as RotatedRect
};

// GetRoi: normalised region times the image size.
PixelRect ToPixelRect(const RotatedRect& roi, int image_width, int image_height);

// GetRotatedSubRectToRectTransformMatrix (image_to_tensor_utils.cc): maps
// normalised tensor coordinates [0, 1] of the sampled region to normalised image
// coordinates, computed in float as MediaPipe does.
AffineTransform RoiToImageTransform(const PixelRect& roi, int image_width, int image_height);

// Samples `roi` of `image` into an out_width x out_height RGB float tensor.
// Returns false, leaving `out` zero-filled, when the image view is invalid or
// the region is empty or not finite (MediaPipe skips such regions); returns
// false without writing when out is null or the output size is not positive.
bool WarpRectToTensor(const ImageView& image, const PixelRect& roi, int out_width, int out_height,
                      BorderMode border, float* out, SamplerPath path = SamplerPath::kAuto);

// Everything needed to bring letterboxed detections back to the image.
struct LetterboxTransform {
  // Normalised tensor coordinates -> normalised image coordinates (the MATRIX
  // output that DetectionProjectionCalculator applies in hand_detector_graph.cc).
  AffineTransform tensor_to_image;
  // Border of the letterbox in fractions of the tensor: left, top, right, bottom.
  std::array<float, 4> padding{};
};

// Palm detection input: the whole image, aspect ratio kept (PadRoi grows the
// region to the tensor's aspect), centred, zero border. An invalid image gives a
// zero tensor and an identity transform.
LetterboxTransform LetterboxImage(const ImageView& image, int out_width, int out_height, float* out,
                                  SamplerPath path = SamplerPath::kAuto);

// Maps a detection made on the letterboxed tensor back to normalised image coordinates.
inline Detection RemoveLetterbox(const Detection& detection, const LetterboxTransform& letterbox) {
  return ProjectDetection(detection, letterbox.tensor_to_image);
}

// The same inputs made on a device (backend/image_sampling.h): the grids the
// functions above sample, so that a device sampler gives the same bits.
//
// WarpRectToTensor's grid for `roi`; nullopt where it writes zeros (an empty or
// non-finite region).
std::optional<backend::SamplingGrid> PlanWarp(const PixelRect& roi, int out_width, int out_height);

struct LetterboxPlan {
  LetterboxTransform transform;
  std::optional<backend::SamplingGrid> grid;  // nullopt: a zero tensor
};
// LetterboxImage's transform and grid for an image of this size (positive).
LetterboxPlan PlanLetterbox(int image_width, int image_height, int out_width, int out_height);

// CropRotatedRect's grid.
inline std::optional<backend::SamplingGrid> PlanCrop(int image_width, int image_height,
                                                     const RotatedRect& roi, int out_width, int out_height) {
  return PlanWarp(ToPixelRect(roi, image_width, image_height), out_width, out_height);
}

// Hand landmark input: the rotated region `roi` (normalised by the image size)
// stretched to out_width x out_height (MediaPipe Tasks keeps no aspect ratio here;
// hand regions are square in pixels anyway). MediaPipe Tasks extrapolates with
// kReplicate for this crop. Returns false as WarpRectToTensor does.
bool CropRotatedRect(const ImageView& image, const RotatedRect& roi, int out_width, int out_height,
                     float* out, BorderMode border = BorderMode::kReplicate,
                     SamplerPath path = SamplerPath::kAuto);

}  // namespace handtrack::vision
