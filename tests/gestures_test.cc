// Gestures on synthetic hands built from joint angles, turned in 3-D and in the
// image plane, and the pinch tracker's hysteresis.
#include "handtrack/gestures.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

namespace handtrack {
namespace {

constexpr int kWidth = 640;
constexpr int kHeight = 480;
constexpr float kPixelsPerMetre = 2000;  // a 9 cm palm spans 180 pixels

struct Vec3 {
  float x = 0, y = 0, z = 0;
};
Vec3 operator+(Vec3 a, Vec3 b) { return {a.x + b.x, a.y + b.y, a.z + b.z}; }
Vec3 operator-(Vec3 a, Vec3 b) { return {a.x - b.x, a.y - b.y, a.z - b.z}; }
Vec3 operator*(Vec3 a, float s) { return {a.x * s, a.y * s, a.z * s}; }
float Radians(float degrees) { return degrees * std::numbers::pi_v<float> / 180; }

// Camera axes: x right, y down, z away from the camera. The hand is built as a
// right hand showing its palm, fingers up: the thumb is on the image's right and
// fingers curl towards the camera (-z).
struct FingerPose {
  float spread_degrees = 0;         // in the palm plane, positive towards the thumb
  float mcp = 0, pip = 0, dip = 0;  // flexion of each joint, degrees
};
constexpr FingerPose kStraight{};
constexpr FingerPose kCurled{0, 80, 100, 50};

enum class ThumbPose { kOut, kTucked };

using Skeleton = std::array<Vec3, kNumHandLandmarks>;

// Index, middle, ring, little: MCP position and bone lengths (metres).
struct FingerShape {
  Vec3 mcp;
  std::array<float, 3> bones;
};
constexpr std::array<FingerShape, 4> kShapes = {{{{0.025f, -0.085f, 0}, {0.039f, 0.023f, 0.020f}},
                                                 {{0.003f, -0.088f, 0}, {0.043f, 0.027f, 0.022f}},
                                                 {{-0.017f, -0.083f, 0}, {0.040f, 0.026f, 0.022f}},
                                                 {{-0.034f, -0.074f, 0}, {0.031f, 0.019f, 0.019f}}}};

Skeleton BuildHand(ThumbPose thumb, const std::array<FingerPose, 4>& fingers) {
  Skeleton hand{};
  hand[0] = {0, 0, 0};
  const Vec3 cmc{0.020f, -0.025f, -0.005f};
  hand[1] = cmc;
  if (thumb == ThumbPose::kOut) {
    const Vec3 out{0.958f, -0.287f, 0};  // sideways, slightly up: a thumbs-up once the fist is turned
    hand[2] = cmc + out * 0.035f;
    hand[3] = cmc + out * 0.065f;
    hand[4] = cmc + out * 0.090f;
  } else {  // folded over the curled fingers, towards the little finger
    hand[2] = {0.035f, -0.050f, -0.020f};
    hand[3] = {0.020f, -0.065f, -0.040f};
    hand[4] = {-0.005f, -0.068f, -0.045f};
  }
  for (int f = 0; f < 4; ++f) {
    const float spread = Radians(fingers[f].spread_degrees);
    const Vec3 up{std::sin(spread), -std::cos(spread), 0};
    const Vec3 towards_palm{0, 0, -1};
    const float flexion[3] = {fingers[f].mcp, fingers[f].pip, fingers[f].dip};
    Vec3 joint = kShapes[f].mcp;
    hand[5 + 4 * f] = joint;
    float bend = 0;
    for (int bone = 0; bone < 3; ++bone) {
      bend += Radians(flexion[bone]);
      joint = joint + (up * std::cos(bend) + towards_palm * std::sin(bend)) * kShapes[f].bones[bone];
      hand[6 + 4 * f + bone] = joint;
    }
  }
  return hand;
}

// Turns the hand about its wrist: yaw about y, pitch about x, then roll in the image
// plane (positive = clockwise on screen).
Skeleton Rotate(Skeleton hand, float yaw_degrees, float pitch_degrees, float roll_degrees) {
  const float yaw = Radians(yaw_degrees), pitch = Radians(pitch_degrees), roll = Radians(roll_degrees);
  for (Vec3& p : hand) {
    p = {p.x * std::cos(yaw) + p.z * std::sin(yaw), p.y, -p.x * std::sin(yaw) + p.z * std::cos(yaw)};
    p = {p.x, p.y * std::cos(pitch) - p.z * std::sin(pitch), p.y * std::sin(pitch) + p.z * std::cos(pitch)};
    p = {p.x * std::cos(roll) - p.y * std::sin(roll), p.x * std::sin(roll) + p.y * std::cos(roll), p.z};
  }
  return hand;
}

// A HandResult as the landmarker reports it: world landmarks around the hand's
// centre; image landmarks in pixels-per-metre scale, z relative to the wrist.
HandResult ToResult(const Skeleton& hand, bool right = true) {
  HandResult result;
  result.handedness.model_output = right ? 0.9f : 0.1f;
  const float mirror = right ? 1.0f : -1.0f;  // a left hand is a right hand mirrored in x
  for (int i = 0; i < kNumHandLandmarks; ++i) {
    const Vec3 p{hand[i].x * mirror, hand[i].y, hand[i].z};
    result.world_landmarks[i] = {p.x, p.y + 0.05f, p.z};
    result.landmarks[i] = {0.5f + p.x * kPixelsPerMetre / kWidth, 0.6f + p.y * kPixelsPerMetre / kHeight,
                           p.z * kPixelsPerMetre / kWidth};
  }
  return result;
}

HandGestures Classify(const Skeleton& hand, bool right = true) {
  return ComputeGestures(ToResult(hand, right), kWidth, kHeight);
}

const Skeleton kOpenPalm =
    BuildHand(ThumbPose::kOut, {FingerPose{8}, kStraight, FingerPose{-6}, FingerPose{-14}});
const Skeleton kFist = BuildHand(ThumbPose::kTucked, {kCurled, kCurled, kCurled, kCurled});
const Skeleton kVictory = BuildHand(ThumbPose::kTucked, {FingerPose{12}, FingerPose{-8}, kCurled, kCurled});
const Skeleton kPointing = BuildHand(ThumbPose::kTucked, {kStraight, kCurled, kCurled, kCurled});
const Skeleton kThumbOut = BuildHand(ThumbPose::kOut, {kCurled, kCurled, kCurled, kCurled});

struct Turn {
  float yaw, pitch, roll;
};
// 3-D turns a camera sees hands in, combined with image-plane rolls up to upside down.
std::vector<Turn> Turns() {
  std::vector<Turn> turns;
  for (float yaw : {-40.0f, 0.0f, 35.0f}) {
    for (float pitch : {-30.0f, 0.0f, 25.0f}) {
      for (float roll : {0.0f, 60.0f, 180.0f, -120.0f}) turns.push_back({yaw, pitch, roll});
    }
  }
  return turns;
}

std::string Describe(const Turn& t) {
  return "yaw " + std::to_string(t.yaw) + " pitch " + std::to_string(t.pitch) + " roll " +
         std::to_string(t.roll);
}

TEST(GesturesTest, OpenPalmFistAndVictoryHoldInEveryOrientation) {
  struct Case {
    const Skeleton* hand;
    GestureLabel label;
    int fingers;
  };
  for (const Case& c :
       {Case{&kOpenPalm, GestureLabel::kOpenPalm, 5}, Case{&kFist, GestureLabel::kClosedFist, 0},
        Case{&kVictory, GestureLabel::kVictory, 2}}) {
    for (const Turn& turn : Turns()) {
      for (bool right : {true, false}) {
        const HandGestures g = Classify(Rotate(*c.hand, turn.yaw, turn.pitch, turn.roll), right);
        SCOPED_TRACE(std::string(GestureName(c.label)) + " " + Describe(turn) + (right ? " right" : " left"));
        EXPECT_EQ(g.gesture, c.label) << GestureName(g.gesture);
        EXPECT_EQ(g.finger_count, c.fingers);
        EXPECT_GT(g.gesture_score, 0.5f);
        EXPECT_LE(g.gesture_score, 1.0f);
        EXPECT_FALSE(g.pinch);
      }
    }
  }
}

TEST(GesturesTest, ExtendedDigitsAreReportedInOrder) {
  const HandGestures victory = Classify(kVictory);
  EXPECT_EQ(victory.extended, (std::array<bool, 5>{false, true, true, false, false}));
  const HandGestures open = Classify(kOpenPalm);
  EXPECT_EQ(open.extended, (std::array<bool, 5>{true, true, true, true, true}));
}

TEST(GesturesTest, PointingUpNeedsTheIndexUpInTheImage) {
  for (float yaw : {-30.0f, 0.0f, 30.0f}) {
    EXPECT_EQ(Classify(Rotate(kPointing, yaw, 0, 0)).gesture, GestureLabel::kPointingUp) << yaw;
    EXPECT_EQ(Classify(Rotate(kPointing, yaw, 0, 30)).gesture, GestureLabel::kPointingUp) << yaw;
  }
  // Sideways, downwards, or aimed at the camera: one finger, but not Pointing_Up.
  for (const Turn& turn : {Turn{0, 0, 90}, Turn{0, 0, -70}, Turn{0, 0, 180}, Turn{0, 80, 0}}) {
    const HandGestures g = Classify(Rotate(kPointing, turn.yaw, turn.pitch, turn.roll));
    EXPECT_EQ(g.gesture, GestureLabel::kNone) << Describe(turn);
    EXPECT_EQ(g.finger_count, 1) << Describe(turn);
  }
}

TEST(GesturesTest, ThumbDirectionInTheImageDecidesUpOrDown) {
  // The thumb sticks out sideways from the upright fist: turning the fist a quarter
  // turn counter-clockwise points it up, clockwise points it down.
  for (float yaw : {-30.0f, 0.0f, 30.0f}) {
    EXPECT_EQ(Classify(Rotate(kThumbOut, yaw, 0, -90)).gesture, GestureLabel::kThumbUp) << yaw;
    EXPECT_EQ(Classify(Rotate(kThumbOut, yaw, 0, 90)).gesture, GestureLabel::kThumbDown) << yaw;
  }
  const HandGestures sideways = Classify(kThumbOut);
  EXPECT_EQ(sideways.gesture, GestureLabel::kNone);
  EXPECT_EQ(sideways.finger_count, 1);
}

TEST(GesturesTest, OkSignIsAPinchWithThreeFingers) {
  Skeleton ok = BuildHand(ThumbPose::kOut, {FingerPose{40, 30, 60, 30}, kStraight, kStraight, kStraight});
  // The thumb tip rests 18 mm beside the curled index tip. As in real OK signs it
  // stands out beyond the index MCP, so only the ring it closes keeps it from
  // counting as extended.
  ok[4] = ok[8] + Vec3{0.018f, 0, 0};
  ok[3] = ok[1] + (ok[4] - ok[1]) * 0.7f + Vec3{0.010f, 0, 0};
  ok[2] = ok[1] + (ok[3] - ok[1]) * 0.5f;
  for (const Turn& turn : {Turn{0, 0, 0}, Turn{40, 0, 90}, Turn{0, -30, 180}}) {
    const HandGestures g = Classify(Rotate(ok, turn.yaw, turn.pitch, turn.roll));
    EXPECT_TRUE(g.pinch) << Describe(turn);
    EXPECT_LT(g.pinch_distance, 0.3f) << Describe(turn);
    EXPECT_EQ(g.gesture, GestureLabel::kNone) << Describe(turn);
    EXPECT_EQ(g.finger_count, 3) << Describe(turn);
    EXPECT_FALSE(g.extended[0]) << Describe(turn);
  }
  EXPECT_GT(Classify(kOpenPalm).pinch_distance, 0.5f);
}

TEST(GesturesTest, PalmSideFollowsHandedness) {
  EXPECT_TRUE(Classify(kOpenPalm, /*right=*/true).palm_facing_camera);
  EXPECT_TRUE(Classify(kOpenPalm, /*right=*/false).palm_facing_camera);
  EXPECT_FALSE(Classify(Rotate(kOpenPalm, 180, 0, 0), true).palm_facing_camera);
  EXPECT_FALSE(Classify(Rotate(kOpenPalm, 180, 0, 0), false).palm_facing_camera);
  // Upside down is still the palm.
  EXPECT_TRUE(Classify(Rotate(kOpenPalm, 0, 0, 180), true).palm_facing_camera);
}

TEST(GesturesTest, DegenerateHandIsNoneWithoutScore) {
  const HandGestures zeros = ComputeGestures(HandResult{}, kWidth, kHeight);
  EXPECT_EQ(zeros.gesture, GestureLabel::kNone);
  EXPECT_EQ(zeros.gesture_score, 0.0f);
  EXPECT_FALSE(zeros.pinch);
  HandResult nan = ToResult(kOpenPalm);
  nan.world_landmarks[8].x = std::nanf("");
  EXPECT_EQ(ComputeGestures(nan, kWidth, kHeight).gesture_score, 0.0f);
  EXPECT_EQ(ComputeGestures(ToResult(kOpenPalm), 0, kHeight).gesture_score, 0.0f);
}

TEST(GesturesTest, GestureNamesAreMediaPipes) {
  EXPECT_STREQ(GestureName(GestureLabel::kNone), "None");
  EXPECT_STREQ(GestureName(GestureLabel::kClosedFist), "Closed_Fist");
  EXPECT_STREQ(GestureName(GestureLabel::kOpenPalm), "Open_Palm");
  EXPECT_STREQ(GestureName(GestureLabel::kPointingUp), "Pointing_Up");
  EXPECT_STREQ(GestureName(GestureLabel::kThumbDown), "Thumb_Down");
  EXPECT_STREQ(GestureName(GestureLabel::kThumbUp), "Thumb_Up");
  EXPECT_STREQ(GestureName(GestureLabel::kVictory), "Victory");
  EXPECT_STREQ(GestureName(GestureLabel::kILoveYou), "ILoveYou");
}

HandGestures WithDistance(float distance) {
  HandGestures g;
  g.pinch_distance = distance;
  return g;
}

TEST(PinchTrackerTest, HysteresisGivesOneStartAndOneEnd) {
  // Noise around each threshold: 0.29 starts, values up to the release threshold
  // (0.40) keep the pinch, 0.41 ends it, and 0.35 afterwards does not restart it.
  const std::vector<float> distances = {0.80f, 0.50f, 0.35f, 0.31f, 0.29f, 0.25f, 0.33f,
                                        0.38f, 0.31f, 0.39f, 0.41f, 0.35f, 0.38f, 0.60f};
  PinchTracker tracker;
  std::vector<PinchEvent> events;
  int64_t timestamp_ms = 0;
  for (float distance : distances) {
    timestamp_ms += 33;
    const PinchEvent event = tracker.Update(WithDistance(distance), timestamp_ms);
    if (event.type != PinchEventType::kNone) events.push_back(event);
  }
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, PinchEventType::kStart);
  EXPECT_EQ(events[0].timestamp_ms, 5 * 33);
  EXPECT_EQ(events[1].type, PinchEventType::kEnd);
  EXPECT_EQ(events[1].timestamp_ms, 11 * 33);
  EXPECT_EQ(events[1].duration_ms, 6 * 33);
  EXPECT_FALSE(tracker.pinching());
}

TEST(PinchTrackerTest, LosingTheHandEndsThePinch) {
  PinchTracker tracker;
  EXPECT_EQ(tracker.Update(WithDistance(0.1f), 100).type, PinchEventType::kStart);
  EXPECT_TRUE(tracker.pinching());
  const PinchEvent end = tracker.HandLost(250);
  EXPECT_EQ(end.type, PinchEventType::kEnd);
  EXPECT_EQ(end.duration_ms, 150);
  EXPECT_EQ(tracker.HandLost(300).type, PinchEventType::kNone);
}

TEST(PinchTrackerTest, OutOfOrderFramesAreIgnored) {
  PinchTracker tracker;
  EXPECT_EQ(tracker.Update(WithDistance(0.1f), 100).type, PinchEventType::kStart);
  EXPECT_EQ(tracker.Update(WithDistance(0.9f), 100).type, PinchEventType::kNone);
  EXPECT_EQ(tracker.Update(WithDistance(0.9f), 50).type, PinchEventType::kNone);
  EXPECT_TRUE(tracker.pinching());
  EXPECT_EQ(tracker.Update(WithDistance(0.9f), 133).type, PinchEventType::kEnd);
}

TEST(PinchTrackerTest, ThresholdsComeFromTheOptions) {
  GestureOptions options;
  options.pinch_start_distance = 0.2f;
  options.pinch_release_distance = 0.1f;  // below the start: raised to it
  PinchTracker tracker(options);
  EXPECT_EQ(tracker.Update(WithDistance(0.25f), 1).type, PinchEventType::kNone);
  EXPECT_EQ(tracker.Update(WithDistance(0.15f), 2).type, PinchEventType::kStart);
  EXPECT_EQ(tracker.Update(WithDistance(0.19f), 3).type, PinchEventType::kNone);
  EXPECT_EQ(tracker.Update(WithDistance(0.21f), 4).type, PinchEventType::kEnd);
}

}  // namespace
}  // namespace handtrack
