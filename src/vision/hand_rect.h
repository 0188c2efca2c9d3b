// Hand regions of interest: from a palm detection (hand_detector_graph.cc:
// DetectionsToRectsCalculator + RectTransformationCalculator), from the previous
// frame's landmarks (hand_landmarks_detector_graph.cc: HandLandmarksToRectCalculator
// + RectTransformationCalculator), and the association of tracked and detected
// regions (HandAssociationCalculator). All arithmetic follows MediaPipe's float
// and double mix so that regions agree to the last bits.
//
// Threading: pure functions.
#pragma once

#include <array>
#include <numbers>
#include <span>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "vision/geometry.h"

namespace handtrack::vision {

// MediaPipe Tasks configures the palm's DetectionsToRectsCalculator with
// set_rotation_vector_target_angle(90): that field is in RADIANS, so the target
// is 90 rad (= 116.6 deg after wrapping), not 90 deg. An upright hand thus gets a
// region turned by NormalizeRadians(90 - pi/2) = 0.4646 rad. Kept for parity.
inline constexpr float kTasksPalmTargetAngle = 90.0f;
// The legacy solution's palm target (rotation_vector_target_angle_degrees: 90).
inline constexpr float kLegacyPalmTargetAngle = static_cast<float>(std::numbers::pi / 2);

// DetectionsToRectsCalculator: the detection's box as a region, rotated so that
// the vector from keypoint `start` to keypoint `end` points at target_angle
// (radians, counter-clockwise from +x on screen), measured in pixels.
RotatedRect DetectionToRect(const Detection& detection, int image_width, int image_height, int start_keypoint,
                            int end_keypoint, float target_angle);

// RectTransformationCalculator options (no extra rotation, no square_short).
struct RectTransformOptions {
  float scale_x = 1.0f;
  float scale_y = 1.0f;
  float shift_x = 0.0f;      // in units of the region's width, along its rotated x axis
  float shift_y = 0.0f;      // in units of the region's height, along its rotated y axis
  bool square_long = false;  // make the region square in pixels, side = the longer side
};

// RectTransformationCalculator on a NORM_RECT with IMAGE_SIZE.
RotatedRect TransformRect(const RotatedRect& rect, int image_width, int image_height,
                          const RectTransformOptions& options);

// Palm detection -> hand region: rotation from keypoint 0 (wrist) to 2 (middle
// MCP), then scale 2.6, shift_y -0.5, square_long.
RotatedRect DetectionToHandRect(const Detection& detection, int image_width, int image_height,
                                float target_angle = kTasksPalmTargetAngle);

// HandLandmarksToRectCalculator on all 21 landmarks. Since the Tasks graph passes
// the full list, the calculator keeps the subset {0,1,2,3,5,6,9,10,13,14,17,18};
// its "PIP" indices 4, 6, 8 are of that subset, i.e. landmarks 5, 9, 13 (the
// index, middle and ring MCPs). Rotation: wrist -> mean(mean(5, 13), 9), target
// pi/2; size: bounds of the subset in the de-rotated frame.
RotatedRect LandmarksToRect(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                            int image_width, int image_height);

// Tracking region for the next frame: LandmarksToRect, then scale 2.0,
// shift_y -0.1, square_long.
RotatedRect LandmarksToHandRect(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                                int image_width, int image_height);

// HandAssociationCalculator: all tracked regions first (in order), then each
// detected region whose IoU (rotation ignored) with every region kept so far is
// at most min_similarity (min_tracking_confidence).
std::vector<RotatedRect> AssociateHandRects(std::span<const RotatedRect> tracked,
                                            std::span<const RotatedRect> detected, float min_similarity);

}  // namespace handtrack::vision
