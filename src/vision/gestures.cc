#include "vision/gestures.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace handtrack::vision {
namespace {

constexpr int kWrist = 0;
constexpr int kThumbCmc = 1;
constexpr int kThumbMcp = 2;
constexpr int kThumbIp = 3;
constexpr int kThumbTip = 4;
constexpr int kIndexMcp = 5;
constexpr int kIndexTip = 8;
constexpr int kMiddleMcp = 9;
constexpr int kPinkyMcp = 17;

struct FingerJoints {
  int mcp, pip, dip, tip;
};
// Index, middle, ring, little (landmark order of PIPELINE.md section 4).
constexpr std::array<FingerJoints, 4> kFingers = {
    {{5, 6, 7, 8}, {9, 10, 11, 12}, {13, 14, 15, 16}, {17, 18, 19, 20}}};
constexpr int kThumb = 0;  // digit index of the thumb in HandGestures::extended

// One unit of evidence per measurement: about the scatter of that measurement on
// MediaPipe's landmarks of one pose, so one unit of margin is a clear decision.
constexpr float kStraightnessUnit = 0.05f;
constexpr float kReachUnit = 0.10f;
constexpr float kThumbOffsetUnit = 0.10f;  // palm lengths
constexpr float kThumbBendUnitDegrees = 15.0f;
constexpr float kAngleUnitDegrees = 10.0f;
constexpr float kPinchUnit = 0.05f;
// gesture_score = logistic(kScoreSharpness * margin): one unit of margin gives 0.88.
constexpr float kScoreSharpness = 2.0f;
// A hand smaller than this has no usable geometry (metres, pixels).
constexpr float kMinWorldPalmLength = 1e-3f;
constexpr float kMinImagePalmLength = 1e-3f;
// Pinch distances are capped here: beyond a few palm lengths they mean nothing.
constexpr float kMaxPinchDistance = 10.0f;

struct Vec3 {
  float x = 0, y = 0, z = 0;
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(float s) const { return {x * s, y * s, z * s}; }
};
float Dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
float Norm(const Vec3& a) { return std::sqrt(Dot(a, a)); }
Vec3 Cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
// a / b, or 0 when b is (nearly) zero: degenerate joints then read as "not extended".
float SafeDivide(float a, float b) { return b > 1e-9f ? a / b : 0.0f; }
Vec3 Normalized(const Vec3& a) { return a * SafeDivide(1.0f, Norm(a)); }
float Degrees(float radians) { return radians * 180.0f / std::numbers::pi_v<float>; }
float AngleDegrees(const Vec3& a, const Vec3& b) {
  const float cosine = SafeDivide(Dot(a, b), Norm(a) * Norm(b));
  return Degrees(std::acos(std::clamp(cosine, -1.0f, 1.0f)));
}
float Logistic(float x) { return 1.0f / (1.0f + std::exp(-x)); }

using Points = std::array<Vec3, kNumHandLandmarks>;

Points WorldPoints(const std::array<WorldLandmark, kNumHandLandmarks>& world) {
  Points points;
  for (int i = 0; i < kNumHandLandmarks; ++i) points[i] = {world[i].x, world[i].y, world[i].z};
  return points;
}

// Image landmarks in pixels; z is "on the scale of x", so it is scaled by the width.
Points PixelPoints(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks, int width,
                   int height) {
  Points points;
  for (int i = 0; i < kNumHandLandmarks; ++i) {
    points[i] = {landmarks[i].x * width, landmarks[i].y * height, landmarks[i].z * width};
  }
  return points;
}

bool AllFinite(const Points& points) {
  return std::all_of(points.begin(), points.end(), [](const Vec3& p) {
    return std::isfinite(p.x) && std::isfinite(p.y) && std::isfinite(p.z);
  });
}

// The bend at joint b of the chain a-b-c: 0 when straight.
float BendDegrees(const Points& p, int a, int b, int c) { return AngleDegrees(p[b] - p[a], p[c] - p[b]); }

float FingerExtensionEvidence(const Points& world, const FingerJoints& finger,
                              const GestureOptions& options) {
  const float bones = Norm(world[finger.pip] - world[finger.mcp]) +
                      Norm(world[finger.dip] - world[finger.pip]) +
                      Norm(world[finger.tip] - world[finger.dip]);
  const float straightness = SafeDivide(Norm(world[finger.tip] - world[finger.mcp]), bones);
  const float reach =
      SafeDivide(Norm(world[finger.tip] - world[kWrist]), Norm(world[finger.pip] - world[kWrist]));
  return std::min((straightness - options.finger_min_straightness) / kStraightnessUnit,
                  (reach - options.finger_min_reach) / kReachUnit);
}

// The thumb tip's offset from the index MCP across the palm, in palm lengths:
// along the index MCP -> little MCP line (made perpendicular to the wrist -> middle
// MCP axis, so that spreading the fingers does not change it). Negative: outside
// the hand on the thumb's side; positive: over the palm towards the little finger.
float ThumbTipAcrossPalm(const Points& world, float palm_length) {
  const Vec3 along = Normalized(world[kMiddleMcp] - world[kWrist]);
  const Vec3 width = world[kPinkyMcp] - world[kIndexMcp];
  const Vec3 across = Normalized(width - along * Dot(width, along));
  return Dot(world[kThumbTip] - world[kIndexMcp], across) / palm_length;
}

float ThumbExtensionEvidence(const Points& world, float palm_length, bool fingers_extended,
                             const GestureOptions& options) {
  const float across = ThumbTipAcrossPalm(world, palm_length);
  float evidence = (-across - options.thumb_min_abduction) / kThumbOffsetUnit;
  if (fingers_extended) {
    const float bend = BendDegrees(world, kThumbCmc, kThumbMcp, kThumbIp) +
                       BendDegrees(world, kThumbMcp, kThumbIp, kThumbTip);
    const float alongside = std::min((options.thumb_max_across_palm - across) / kThumbOffsetUnit,
                                     (options.thumb_max_bend_degrees - bend) / kThumbBendUnitDegrees);
    evidence = std::max(evidence, alongside);
  }
  return evidence;
}

enum class Direction { kAny, kIndexUp, kThumbUp, kThumbDown };

// How clearly the digit base -> tip points up (or down) the image: its image
// direction within the allowed angle of the vertical, and its 3-D direction (world)
// not aimed far out of the image plane.
float VerticalEvidence(const Points& pixels, const Points& world, int base, int tip, bool up,
                       const GestureOptions& options) {
  const Vec3 image = pixels[tip] - pixels[base];
  const float from_up = Degrees(std::atan2(std::abs(image.x), -image.y));  // image y grows downwards
  const float off_vertical = up ? from_up : 180.0f - from_up;
  const Vec3 direction = world[tip] - world[base];
  const float elevation =
      Degrees(std::asin(std::min(1.0f, SafeDivide(std::abs(direction.z), Norm(direction)))));
  return std::min((options.direction_max_angle_degrees - off_vertical) / kAngleUnitDegrees,
                  (options.direction_max_elevation_degrees - elevation) / kAngleUnitDegrees);
}

struct GesturePattern {
  GestureLabel label;
  std::array<bool, 5> extended;  // thumb, index, middle, ring, little
  Direction direction;
};
constexpr std::array<GesturePattern, 7> kPatterns = {{
    {GestureLabel::kClosedFist, {false, false, false, false, false}, Direction::kAny},
    {GestureLabel::kOpenPalm, {true, true, true, true, true}, Direction::kAny},
    {GestureLabel::kPointingUp, {false, true, false, false, false}, Direction::kIndexUp},
    {GestureLabel::kThumbDown, {true, false, false, false, false}, Direction::kThumbDown},
    {GestureLabel::kThumbUp, {true, false, false, false, false}, Direction::kThumbUp},
    {GestureLabel::kVictory, {false, true, true, false, false}, Direction::kAny},
    {GestureLabel::kILoveYou, {true, true, false, false, true}, Direction::kAny},
}};

float DirectionEvidence(Direction direction, const Points& pixels, const Points& world,
                        const GestureOptions& options) {
  switch (direction) {
    case Direction::kAny:
      return std::numeric_limits<float>::infinity();
    case Direction::kIndexUp:
      return VerticalEvidence(pixels, world, kIndexMcp, kIndexTip, true, options);
    case Direction::kThumbUp:
      return VerticalEvidence(pixels, world, kThumbMcp, kThumbTip, true, options);
    case Direction::kThumbDown:
      return VerticalEvidence(pixels, world, kThumbMcp, kThumbTip, false, options);
  }
  return 0.0f;
}

// The palm's outward normal, index MCP x little MCP seen from the wrist, for a right
// hand (the cross product flips for a left hand). Camera axes: x right, y down, z away
// from the camera, so the palm faces the camera when its normal has z < 0.
bool PalmFacesCamera(const Points& world, bool is_right_hand) {
  const Vec3 normal = Cross(world[kIndexMcp] - world[kWrist], world[kPinkyMcp] - world[kWrist]);
  return (normal.z < 0) == is_right_hand;
}

}  // namespace

HandGestures ClassifyHand(const std::array<NormalizedLandmark, kNumHandLandmarks>& landmarks,
                          const std::array<WorldLandmark, kNumHandLandmarks>& world_landmarks,
                          int image_width, int image_height, bool is_right_hand,
                          const GestureOptions& options) {
  HandGestures result;
  result.pinch_distance = kMaxPinchDistance;
  if (image_width <= 0 || image_height <= 0) return result;
  const Points world = WorldPoints(world_landmarks);
  const Points pixels = PixelPoints(landmarks, image_width, image_height);
  if (!AllFinite(world) || !AllFinite(pixels)) return result;
  const float palm_length = Norm(world[kMiddleMcp] - world[kWrist]);
  const float image_palm_length = Norm(pixels[kMiddleMcp] - pixels[kWrist]);
  if (palm_length < kMinWorldPalmLength || image_palm_length < kMinImagePalmLength) return result;

  result.pinch_distance =
      std::min(kMaxPinchDistance, Norm(pixels[kThumbTip] - pixels[kIndexTip]) / image_palm_length);
  const float pinch_evidence = (options.pinch_start_distance - result.pinch_distance) / kPinchUnit;
  result.pinch = pinch_evidence > 0;
  result.palm_facing_camera = PalmFacesCamera(world, is_right_hand);

  std::array<float, 5> extension{};
  for (size_t i = 0; i < kFingers.size(); ++i) {
    extension[i + 1] = FingerExtensionEvidence(world, kFingers[i], options);
  }
  const bool fingers_extended =
      std::all_of(extension.begin() + 1, extension.end(), [](float e) { return e > 0; });
  // A thumb whose tip rests on the index tip closes a ring (OK sign, pinch): it is
  // not held out, whatever its angle.
  extension[kThumb] =
      std::min(ThumbExtensionEvidence(world, palm_length, fingers_extended, options), -pinch_evidence);
  for (int i = 0; i < 5; ++i) {
    result.extended[i] = extension[i] > 0;
    result.finger_count += result.extended[i] ? 1 : 0;
  }

  // Each label's margin is its weakest requirement; a pinch ring is none of them.
  float best_margin = -std::numeric_limits<float>::infinity();
  for (const GesturePattern& pattern : kPatterns) {
    float margin = std::min(-pinch_evidence, DirectionEvidence(pattern.direction, pixels, world, options));
    for (int i = 0; i < 5; ++i) margin = std::min(margin, pattern.extended[i] ? extension[i] : -extension[i]);
    if (margin > best_margin) {
      best_margin = margin;
      result.gesture = pattern.label;
    }
  }
  if (best_margin > 0) {
    result.gesture_score = Logistic(kScoreSharpness * best_margin);
  } else {
    result.gesture = GestureLabel::kNone;
    result.gesture_score = Logistic(-kScoreSharpness * best_margin);
  }
  return result;
}

}  // namespace handtrack::vision
