// Hand landmark post-processing: raw landmark-model outputs -> landmarks in the
// image, as hand_landmarks_detector_graph.cc wires TensorsToLandmarksCalculator
// (normalize_z 0.4) -> LandmarkLetterboxRemovalCalculator (no padding: the Tasks
// crop keeps no aspect ratio) -> LandmarkProjectionCalculator (NORM_RECT only),
// and WorldLandmarkProjectionCalculator; plus HandLandmarksDeduplicationCalculator.
//
// Threading: pure functions.
#pragma once

#include <array>
#include <span>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "vision/geometry.h"

namespace handtrack::vision {

inline constexpr int kHandLandmarkInputSize = 224;
inline constexpr float kHandLandmarkNormalizeZ = 0.4f;  // kLandmarksNormalizeZ

// raw: 21 x (x, y, z) in pixels of the input_width x input_height model input,
// which was sampled from `roi` (normalised by the image size). Returns landmarks
// normalised by the image size:
//   x, y: (raw / input size - 0.5), rotated by roi.rotation, times the region's
//         normalised size, plus its centre. (MediaPipe rotates in normalised
//         space; that is exact for regions square in pixels, as hand regions are.)
//   z:    raw z / input_width / normalize_z * roi.width.
std::array<NormalizedLandmark, kNumHandLandmarks> ProjectLandmarks(
    const float* raw, const RotatedRect& roi, int input_width = kHandLandmarkInputSize,
    int input_height = kHandLandmarkInputSize, float normalize_z = kHandLandmarkNormalizeZ);

// raw: 21 x (x, y, z) world landmarks in metres. x and y are rotated by
// roi.rotation; z and the origin are kept.
std::array<WorldLandmark, kNumHandLandmarks> ProjectWorldLandmarks(const float* raw, const RotatedRect& roi);

// HandLandmarksDeduplicationCalculator: walks the hands in order; a hand is
// dropped when, against some hand kept before it, at least 10 of its 21
// landmarks lie closer (in pixels) than 0.2 x the larger of the two hands'
// baselines (max of |wrist - index MCP|, |index MCP - pinky MCP|,
// |pinky MCP - wrist|) and the landmarks' bounding boxes have IoU > 0.2.
// Returns the indices of the hands kept, ascending.
std::vector<int> DeduplicateHands(std::span<const std::array<NormalizedLandmark, kNumHandLandmarks>> hands,
                                  int image_width, int image_height);

}  // namespace handtrack::vision
