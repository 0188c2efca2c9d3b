// Public gesture API: labels, per-hand gestures and the pinch tracker. The
// geometry itself is in src/vision/gestures.cc.
#include "handtrack/gestures.h"

#include <algorithm>

#include "vision/gestures.h"

namespace handtrack {

const char* GestureName(GestureLabel label) {
  switch (label) {
    case GestureLabel::kNone:
      return "None";
    case GestureLabel::kClosedFist:
      return "Closed_Fist";
    case GestureLabel::kOpenPalm:
      return "Open_Palm";
    case GestureLabel::kPointingUp:
      return "Pointing_Up";
    case GestureLabel::kThumbDown:
      return "Thumb_Down";
    case GestureLabel::kThumbUp:
      return "Thumb_Up";
    case GestureLabel::kVictory:
      return "Victory";
    case GestureLabel::kILoveYou:
      return "ILoveYou";
  }
  return "None";
}

HandGestures ComputeGestures(const HandResult& hand, int image_width, int image_height,
                             const GestureOptions& options) {
  // model_output is the model's own sigmoid, untouched by the `mirrored` option.
  const bool is_right_hand = hand.handedness.model_output > 0.5f;
  return vision::ClassifyHand(hand.landmarks, hand.world_landmarks, image_width, image_height, is_right_hand,
                              options);
}

// A release threshold below the start threshold would end a pinch on the frame that
// starts it; it is raised to the start threshold (no hysteresis) instead.
PinchTracker::PinchTracker(const GestureOptions& options)
    : start_distance_(options.pinch_start_distance),
      release_distance_(std::max(options.pinch_start_distance, options.pinch_release_distance)) {}

PinchEvent PinchTracker::Update(const HandGestures& gestures, int64_t timestamp_ms) {
  if (has_frame_ && timestamp_ms <= last_timestamp_ms_) return {};
  has_frame_ = true;
  last_timestamp_ms_ = timestamp_ms;
  if (!pinching_ && gestures.pinch_distance < start_distance_) {
    pinching_ = true;
    pinch_start_ms_ = timestamp_ms;
    return {PinchEventType::kStart, timestamp_ms, 0};
  }
  if (pinching_ && gestures.pinch_distance > release_distance_) return End(timestamp_ms);
  return {};
}

PinchEvent PinchTracker::HandLost(int64_t timestamp_ms) {
  if (has_frame_ && timestamp_ms <= last_timestamp_ms_) return {};
  has_frame_ = true;
  last_timestamp_ms_ = timestamp_ms;
  return pinching_ ? End(timestamp_ms) : PinchEvent{};
}

PinchEvent PinchTracker::End(int64_t timestamp_ms) {
  pinching_ = false;
  return {PinchEventType::kEnd, timestamp_ms, timestamp_ms - pinch_start_ms_};
}

}  // namespace handtrack
