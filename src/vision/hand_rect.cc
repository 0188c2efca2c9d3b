#include "vision/hand_rect.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>

namespace handtrack::vision {
namespace {

// hand_detector_graph.cc: wrist centre -> middle-finger MCP; 2.6x, shift -0.5, square.
constexpr int kPalmWristKeypoint = 0;
constexpr int kPalmMiddleMcpKeypoint = 2;
constexpr RectTransformOptions kPalmToHandTransform{2.6f, 2.6f, 0.0f, -0.5f, true};

// hand_landmarks_detector_graph.cc ConfigureHandRectTransformationCalculator.
constexpr RectTransformOptions kLandmarksToHandTransform{2.0f, 2.0f, 0.0f, -0.1f, true};

// hand_landmarks_to_rect_calculator.cc: the landmarks it keeps from a full list,
// and its indices into that subset.
constexpr std::array<int, 12> kRectLandmarkSubset = {0, 1, 2, 3, 5, 6, 9, 10, 13, 14, 17, 18};
constexpr int kSubsetWrist = 0;
constexpr int kSubsetIndexMcp = 4;   // named kIndexFingerPIPJoint there
constexpr int kSubsetMiddleMcp = 6;  // named kMiddleFingerPIPJoint there
constexpr int kSubsetRingMcp = 8;    // named kRingFingerPIPJoint there
constexpr float kLandmarksTargetAngle = static_cast<float>(std::numbers::pi * 0.5f);

}  // namespace

RotatedRect DetectionToRect(const Detection& detection, int image_width, int image_height, int start_keypoint,
                            int end_keypoint, float target_angle) {
  assert(start_keypoint >= 0 && start_keypoint < kNumPalmKeypoints);
  assert(end_keypoint >= 0 && end_keypoint < kNumPalmKeypoints);
  RotatedRect rect;
  rect.x_center = detection.xmin + detection.width / 2;
  rect.y_center = detection.ymin + detection.height / 2;
  rect.width = detection.width;
  rect.height = detection.height;
  // The angle is measured in pixels, y pointing up (hence the minus).
  const float x0 = detection.keypoints[start_keypoint].x * image_width;
  const float y0 = detection.keypoints[start_keypoint].y * image_height;
  const float x1 = detection.keypoints[end_keypoint].x * image_width;
  const float y1 = detection.keypoints[end_keypoint].y * image_height;
  rect.rotation = NormalizeRadians(target_angle - std::atan2(-(y1 - y0), x1 - x0));
  return rect;
}

RotatedRect TransformRect(const RotatedRect& rect, int image_width, int image_height,
                          const RectTransformOptions& options) {
  RotatedRect transformed = rect;
  float width = rect.width;
  float height = rect.height;
  const float rotation = rect.rotation;
  // The shift is applied in pixels along the rotated axes, then normalised again.
  if (rotation == 0.f) {
    transformed.x_center = rect.x_center + width * options.shift_x;
    transformed.y_center = rect.y_center + height * options.shift_y;
  } else {
    const float x_shift = (image_width * width * options.shift_x * std::cos(rotation) -
                           image_height * height * options.shift_y * std::sin(rotation)) /
                          image_width;
    const float y_shift = (image_width * width * options.shift_x * std::sin(rotation) +
                           image_height * height * options.shift_y * std::cos(rotation)) /
                          image_height;
    transformed.x_center = rect.x_center + x_shift;
    transformed.y_center = rect.y_center + y_shift;
  }
  if (options.square_long) {
    const float long_side = std::max(width * image_width, height * image_height);
    width = long_side / image_width;
    height = long_side / image_height;
  }
  transformed.width = width * options.scale_x;
  transformed.height = height * options.scale_y;
  return transformed;
}

RotatedRect DetectionToHandRect(const Detection& detection, int image_width, int image_height,
                                float target_angle) {
  const RotatedRect palm = DetectionToRect(detection, image_width, image_height, kPalmWristKeypoint,
                                           kPalmMiddleMcpKeypoint, target_angle);
  return TransformRect(palm, image_width, image_height, kPalmToHandTransform);
}

RotatedRect LandmarksToRect(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                            int image_width, int image_height) {
  std::array<NormalizedLandmark, kRectLandmarkSubset.size()> subset;
  for (size_t i = 0; i < subset.size(); ++i) subset[i] = landmarks[kRectLandmarkSubset[i]];

  const float x0 = subset[kSubsetWrist].x * image_width;
  const float y0 = subset[kSubsetWrist].y * image_height;
  float x1 = (subset[kSubsetIndexMcp].x + subset[kSubsetRingMcp].x) / 2.f;
  float y1 = (subset[kSubsetIndexMcp].y + subset[kSubsetRingMcp].y) / 2.f;
  x1 = (x1 + subset[kSubsetMiddleMcp].x) / 2.f * image_width;
  y1 = (y1 + subset[kSubsetMiddleMcp].y) / 2.f * image_height;
  const float rotation = NormalizeRadians(kLandmarksTargetAngle - std::atan2(-(y1 - y0), x1 - x0));
  const float reverse_angle = NormalizeRadians(-rotation);

  // MediaPipe starts its maxima at numeric_limits<float>::min() (the smallest
  // positive float, not the lowest): kept, it only matters for all-negative values.
  float max_x = std::numeric_limits<float>::min();
  float max_y = std::numeric_limits<float>::min();
  float min_x = std::numeric_limits<float>::max();
  float min_y = std::numeric_limits<float>::max();
  for (const NormalizedLandmark& landmark : subset) {
    max_x = std::max(max_x, landmark.x);
    max_y = std::max(max_y, landmark.y);
    min_x = std::min(min_x, landmark.x);
    min_y = std::min(min_y, landmark.y);
  }
  const float axis_aligned_center_x = (max_x + min_x) / 2.f;
  const float axis_aligned_center_y = (max_y + min_y) / 2.f;

  // Bounds in the frame turned back by the rotation, in pixels around that centre.
  max_x = std::numeric_limits<float>::min();
  max_y = std::numeric_limits<float>::min();
  min_x = std::numeric_limits<float>::max();
  min_y = std::numeric_limits<float>::max();
  for (const NormalizedLandmark& landmark : subset) {
    const float original_x = (landmark.x - axis_aligned_center_x) * image_width;
    const float original_y = (landmark.y - axis_aligned_center_y) * image_height;
    const float projected_x = original_x * std::cos(reverse_angle) - original_y * std::sin(reverse_angle);
    const float projected_y = original_x * std::sin(reverse_angle) + original_y * std::cos(reverse_angle);
    max_x = std::max(max_x, projected_x);
    max_y = std::max(max_y, projected_y);
    min_x = std::min(min_x, projected_x);
    min_y = std::min(min_y, projected_y);
  }
  const float projected_center_x = (max_x + min_x) / 2.f;
  const float projected_center_y = (max_y + min_y) / 2.f;
  const float center_x = projected_center_x * std::cos(rotation) - projected_center_y * std::sin(rotation) +
                         image_width * axis_aligned_center_x;
  const float center_y = projected_center_x * std::sin(rotation) + projected_center_y * std::cos(rotation) +
                         image_height * axis_aligned_center_y;

  RotatedRect rect;
  rect.x_center = center_x / image_width;
  rect.y_center = center_y / image_height;
  rect.width = (max_x - min_x) / image_width;
  rect.height = (max_y - min_y) / image_height;
  rect.rotation = rotation;
  return rect;
}

RotatedRect LandmarksToHandRect(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                                int image_width, int image_height) {
  return TransformRect(LandmarksToRect(landmarks, image_width, image_height), image_width, image_height,
                       kLandmarksToHandTransform);
}

std::vector<RotatedRect> AssociateHandRects(std::span<const RotatedRect> tracked,
                                            std::span<const RotatedRect> detected, float min_similarity) {
  std::vector<RotatedRect> kept(tracked.begin(), tracked.end());
  for (const RotatedRect& candidate : detected) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(), [&](const RotatedRect& existing) {
      return IntersectionOverUnion(existing, candidate) > min_similarity;
    });
    if (!overlaps) kept.push_back(candidate);
  }
  return kept;
}

}  // namespace handtrack::vision
