// Gesture geometry: which digits are extended, MediaPipe's gesture label, finger
// count, pinch and palm side of one hand, from its landmarks. The types and the
// thresholds (GestureOptions) are the public ones of handtrack/gestures.h.
//
// Each decision is made from a signed "evidence": the margin by which a measurement
// clears its threshold, in units of that measurement's typical noise (> 0: the state
// holds). The crisp answers are the signs; gesture_score turns the smallest margin
// of the chosen label into a confidence.
//
// Threading: pure functions.
#pragma once

#include <array>

#include "handtrack/gestures.h"
#include "handtrack/hand_landmarker.h"

namespace handtrack::vision {

// landmarks: normalised image landmarks of the hand; world_landmarks: the same
// hand in metres; image_width/height: the image's size in pixels (landmarks are
// turned into pixels for image directions and the pinch distance). is_right_hand:
// the hand is a right hand in the image as given (not mirrored), which tells the
// palm from the back of the hand.
HandGestures ClassifyHand(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                          const std::array<WorldLandmark, kNumHandLandmarks>& world_landmarks,
                          int image_width, int image_height, bool is_right_hand,
                          const GestureOptions& options);

}  // namespace handtrack::vision
