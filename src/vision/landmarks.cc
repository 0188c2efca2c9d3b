#include "vision/landmarks.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace handtrack::vision {
namespace {

using HandLandmarks = std::array<NormalizedLandmark, kNumHandLandmarks>;

constexpr int kWrist = 0;
constexpr int kIndexFingerMcp = 5;
constexpr int kPinkyMcp = 17;
constexpr float kAllowedBaselineDistanceRatio = 0.2f;
constexpr int kNumMatchedLandmarksToSuppressHand = 10;
constexpr float kMinIouToSuppressHand = 0.2f;

// hand_landmarks_deduplication_calculator.cc Distance: std::pow promotes to double.
float PixelDistance(const NormalizedLandmark& a, const NormalizedLandmark& b, int width, int height) {
  return static_cast<float>(std::sqrt(std::pow((a.x - b.x) * width, 2) + std::pow((a.y - b.y) * height, 2)));
}

float BaselineDistance(const HandLandmarks& hand, int width, int height) {
  float distance = PixelDistance(hand[kWrist], hand[kIndexFingerMcp], width, height);
  distance = std::max(distance, PixelDistance(hand[kIndexFingerMcp], hand[kPinkyMcp], width, height));
  return std::max(distance, PixelDistance(hand[kPinkyMcp], hand[kWrist], width, height));
}

Box LandmarkBounds(const HandLandmarks& hand) {
  Box box{std::numeric_limits<float>::max(), std::numeric_limits<float>::max(),
          std::numeric_limits<float>::lowest(), std::numeric_limits<float>::lowest()};
  for (const NormalizedLandmark& landmark : hand) {
    box.xmin = std::min(box.xmin, landmark.x);
    box.ymin = std::min(box.ymin, landmark.y);
    box.xmax = std::max(box.xmax, landmark.x);
    box.ymax = std::max(box.ymax, landmark.y);
  }
  return box;
}

}  // namespace

std::array<NormalizedLandmark, kNumHandLandmarks> ProjectLandmarks(const float* raw, const RotatedRect& roi,
                                                                   int input_width, int input_height,
                                                                   float normalize_z) {
  std::array<NormalizedLandmark, kNumHandLandmarks> landmarks{};
  if (raw == nullptr || input_width <= 0 || input_height <= 0) return landmarks;
  const float cos_rotation = std::cos(roi.rotation);
  const float sin_rotation = std::sin(roi.rotation);
  for (int i = 0; i < kNumHandLandmarks; ++i) {
    // TensorsToLandmarksCalculator: normalised by the input size; z "scaled as x"
    // and divided by normalize_z.
    const float x = raw[3 * i] / input_width;
    const float y = raw[3 * i + 1] / input_height;
    const float z = raw[3 * i + 2] / input_width / normalize_z;
    // LandmarkProjectionCalculator with a NORM_RECT.
    const float centred_x = x - 0.5f;
    const float centred_y = y - 0.5f;
    const float rotated_x = cos_rotation * centred_x - sin_rotation * centred_y;
    const float rotated_y = sin_rotation * centred_x + cos_rotation * centred_y;
    landmarks[i].x = rotated_x * roi.width + roi.x_center;
    landmarks[i].y = rotated_y * roi.height + roi.y_center;
    landmarks[i].z = z * roi.width;
  }
  return landmarks;
}

std::array<WorldLandmark, kNumHandLandmarks> ProjectWorldLandmarks(const float* raw, const RotatedRect& roi) {
  std::array<WorldLandmark, kNumHandLandmarks> landmarks{};
  if (raw == nullptr) return landmarks;
  const float cos_rotation = std::cos(roi.rotation);
  const float sin_rotation = std::sin(roi.rotation);
  for (int i = 0; i < kNumHandLandmarks; ++i) {
    const float x = raw[3 * i];
    const float y = raw[3 * i + 1];
    landmarks[i].x = cos_rotation * x - sin_rotation * y;
    landmarks[i].y = sin_rotation * x + cos_rotation * y;
    landmarks[i].z = raw[3 * i + 2];
  }
  return landmarks;
}

std::vector<int> DeduplicateHands(std::span<const HandLandmarks> hands, int image_width, int image_height) {
  const int num_hands = static_cast<int>(hands.size());
  std::vector<float> baselines(num_hands);
  std::vector<Box> bounds(num_hands);
  for (int i = 0; i < num_hands; ++i) {
    baselines[i] = BaselineDistance(hands[i], image_width, image_height);
    bounds[i] = LandmarkBounds(hands[i]);
  }

  std::vector<int> kept;
  for (int i = 0; i < num_hands; ++i) {
    const bool duplicate = std::any_of(kept.begin(), kept.end(), [&](int j) {
      const float threshold = std::max(baselines[i], baselines[j]) * kAllowedBaselineDistanceRatio;
      int matched = 0;
      for (int k = 0; k < kNumHandLandmarks; ++k) {
        if (PixelDistance(hands[i][k], hands[j][k], image_width, image_height) < threshold) ++matched;
      }
      return matched >= kNumMatchedLandmarksToSuppressHand &&
             IntersectionOverUnion(bounds[i], bounds[j]) > kMinIouToSuppressHand;
    });
    if (!duplicate) kept.push_back(i);
  }
  return kept;
}

}  // namespace handtrack::vision
