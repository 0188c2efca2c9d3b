// Hand gestures from landmark geometry: MediaPipe Gesture Recognizer's labels,
// finger counting and thumb-index pinch, computed from one HandResult.
//
//   for (const handtrack::HandResult& hand : result->hands) {
//     handtrack::HandGestures g = handtrack::ComputeGestures(hand, width, height);
//     std::printf("%s %.2f fingers=%d pinch=%d\n", handtrack::GestureName(g.gesture),
//                 g.gesture_score, g.finger_count, g.pinch);
//   }
//
// Finger extension is judged on the 3-D world landmarks (metres), so it does not
// depend on how the hand is turned or how large it appears. Image orientation is
// used only where a label is defined in the image: Pointing_Up (index within
// ~45 degrees of image-up) and Thumb_Up / Thumb_Down (thumb direction in the image).
// Pinch compares the thumb-tip-to-index-tip distance with the hand's size; in VIDEO
// and LIVE_STREAM use a PinchTracker per tracked hand, whose hysteresis turns the
// per-frame distance into start and end events that do not flicker.
//
// Threading: ComputeGestures and GestureName are pure functions. A PinchTracker is
// a plain value: one per tracked hand, used by one thread at a time.
// Errors: nothing here fails; degenerate landmarks (all equal, non-finite) or a
// non-positive image size give gesture None with score 0 and no pinch.
#pragma once

#include <array>
#include <cstdint>

#include "handtrack/hand_landmarker.h"

namespace handtrack {

// MediaPipe Gesture Recognizer's canned gestures, in its order.
enum class GestureLabel {
  kNone,        // none of the others (also OK sign, pinch, L shape, 3-4 fingers, grips...)
  kClosedFist,  // every digit curled, thumb alongside or across
  kOpenPalm,    // all five digits extended, any orientation
  kPointingUp,  // only the index extended, pointing within ~45 degrees of image-up
  kThumbDown,   // only the thumb extended, pointing down in the image
  kThumbUp,     // only the thumb extended, pointing up in the image
  kVictory,     // index and middle extended, the others curled
  kILoveYou,    // thumb, index and little finger extended
};

// "None", "Closed_Fist", "Open_Palm", "Pointing_Up", "Thumb_Down", "Thumb_Up",
// "Victory", "ILoveYou": MediaPipe's category names.
const char* GestureName(GestureLabel label);

// Thresholds of the geometry. The defaults follow from hand anatomy (explained per
// field) and were checked against hands labelled by eye in ../shared/golden.
struct GestureOptions {
  // A finger (index..little) is extended when both hold:
  //  - straightness: |tip - MCP| / (sum of its three bone lengths). 1 for a straight
  //    finger; a bend of about 35 degrees at both the PIP and the DIP joint gives 0.85.
  //    Bending at the knuckle (MCP) alone keeps a finger "extended", as when pointing
  //    at the camera from a fist.
  //  - reach: |tip - wrist| / |PIP - wrist|. A straight finger reaches about 1.3-1.4
  //    times as far from the wrist as its PIP joint; a curled one folds back (< 1).
  float finger_min_straightness = 0.85f;
  float finger_min_reach = 1.10f;

  // The thumb is extended when its tip stands out sideways, away from the little
  // finger, by at least this many palm lengths (wrist to middle-finger MCP) beyond
  // the index MCP: thumbs up, L shape, a spread hand. A thumb tucked into a fist or
  // folded over the palm lies at or inside the index MCP's line.
  float thumb_min_abduction = 0.30f;
  // When the four fingers are extended, a straight thumb held alongside them (a flat
  // hand, fingers together) counts as extended too, unless folded across the palm:
  // its tip more than this many palm lengths inside the index MCP (towards the
  // little finger), or its MCP + IP bends sum above thumb_max_bend_degrees.
  float thumb_max_across_palm = 0.30f;
  float thumb_max_bend_degrees = 60.0f;

  // Pointing_Up / Thumb_Up / Thumb_Down: the digit's direction in the image lies
  // within this angle of image-up (or image-down) ...
  float direction_max_angle_degrees = 45.0f;
  // ... and its 3-D direction leaves the image plane by at most this angle: a finger
  // aimed at the camera is not "up" even when its short image shadow points up.
  float direction_max_elevation_degrees = 60.0f;

  // Pinch: the thumb tip to index tip distance over the wrist to middle-finger MCP
  // length, both measured on the image landmarks in 3-D (x, y in pixels, z scaled
  // like x). The image landmarks follow the visible fingertips more closely than the
  // world landmarks do. Touching tips sit about one fingertip width apart (15-20 mm,
  // the landmarks mark the pads' centres) against a palm length of about 90 mm, so
  // about 0.2; the start threshold allows for landmark noise. A pinch ends only when
  // the distance exceeds the release threshold, so that noise around the start
  // threshold does not flicker (a release below the start is raised to it). An
  // IMAGE-mode decision (HandGestures::pinch) uses pinch_start_distance alone.
  float pinch_start_distance = 0.30f;
  float pinch_release_distance = 0.40f;
};

struct HandGestures {
  GestureLabel gesture = GestureLabel::kNone;
  // Confidence of `gesture`: at least 0.5, up to 1 as the weakest deciding
  // measurement clears its threshold by more, so values near 0.5 flag hands on a
  // boundary between labels. 0 for degenerate landmarks. A pinch (OK sign, O shape)
  // is always None: a thumb touching the index tip is not "extended".
  float gesture_score = 0;
  int finger_count = 0;             // extended digits, thumb included: 0-5
  std::array<bool, 5> extended{};   // thumb, index, middle, ring, little
  bool pinch = false;               // pinch_distance < pinch_start_distance
  float pinch_distance = 0;         // thumb tip to index tip over palm length (see GestureOptions)
  bool palm_facing_camera = false;  // palm (not the back of the hand) towards the camera
};

// Gestures of one detected hand. The palm's side is decided with the landmark
// model's own handedness (handedness.model_output > 0.5: a right hand in the image
// as given), so it holds whether or not HandLandmarkerOptions::mirrored swapped the
// label. image_width and image_height are those of the image the hand was found in.
HandGestures ComputeGestures(const HandResult& hand, int image_width, int image_height,
                             const GestureOptions& options = {});

enum class PinchEventType { kNone, kStart, kEnd };

struct PinchEvent {
  PinchEventType type = PinchEventType::kNone;
  int64_t timestamp_ms = 0;  // of the frame that caused the event
  int64_t duration_ms = 0;   // kEnd: how long the pinch lasted
};

// Pinch start and end events of one tracked hand over frames (VIDEO / LIVE_STREAM):
// a pinch starts when the distance drops below pinch_start_distance and ends when it
// rises above pinch_release_distance, or when the hand is lost.
class PinchTracker {
 public:
  explicit PinchTracker(const GestureOptions& options = {});

  // One frame of the hand. Timestamps must increase; a frame whose timestamp is not
  // after the previous frame's is ignored (no event, no change of state).
  PinchEvent Update(const HandGestures& gestures, int64_t timestamp_ms);
  // The hand was not found in this frame: ends a pinch in progress.
  PinchEvent HandLost(int64_t timestamp_ms);

  bool pinching() const { return pinching_; }

 private:
  PinchEvent End(int64_t timestamp_ms);

  float start_distance_;
  float release_distance_;
  bool pinching_ = false;
  bool has_frame_ = false;
  int64_t last_timestamp_ms_ = 0;
  int64_t pinch_start_ms_ = 0;
};

}  // namespace handtrack
