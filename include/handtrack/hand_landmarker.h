// HandLandmarker: MediaPipe's hand landmark pipeline (palm detection + 21 3-D
// landmarks, handedness, world landmarks), shaped like MediaPipe Tasks.
//
//   handtrack::HandLandmarkerOptions options;
//   options.num_hands = 2;
//   auto landmarker = handtrack::HandLandmarker::Create(options);
//   if (!landmarker.ok()) { /* landmarker.status().message() says why */ }
//   auto result = (*landmarker)->Detect(image_view);
//
// Ownership: Create returns a uniquely owned landmarker; it owns its models and
// backends. Images are only read during the call that receives them.
// Threading: one HandLandmarker serves one thread at a time; create one per
// thread (they are cheap to run side by side) for concurrent use.
// Errors: every call returns Status/Result; nothing throws, prints or aborts.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "handtrack/image.h"
#include "handtrack/models.h"
#include "handtrack/status.h"

namespace handtrack {

enum class RunningMode { kImage, kVideo, kLiveStream };

struct HandLandmarkerOptions {
  ModelOptions model;                      // model variant, directory, delegate, threads
  RunningMode running_mode = RunningMode::kImage;
  int num_hands = 1;                       // MediaPipe's default; at most 8
  float min_hand_detection_confidence = 0.5f;
  float min_hand_presence_confidence = 0.5f;
  float min_tracking_confidence = 0.5f;
  // false (default): handedness labels describe the real hand in a non-mirrored
  // image, as MediaPipe Tasks does. true: the input is a mirrored selfie view,
  // labels are swapped (as the legacy MediaPipe Hands solution reported them).
  bool mirrored = false;
};

// A landmark in normalised image coordinates: x, y in [0, 1] of the image
// width and height (they may fall slightly outside for hands at the border);
// z is depth relative to the wrist on about the scale of x, negative = closer.
struct NormalizedLandmark {
  float x = 0, y = 0, z = 0;
};

// A landmark in metres, origin near the hand's geometric centre.
struct WorldLandmark {
  float x = 0, y = 0, z = 0;
};

inline constexpr int kNumHandLandmarks = 21;

struct Handedness {
  std::string label;        // "Left" or "Right"
  float score = 0;          // confidence of the label, in [0.5, 1]
  int index = 0;            // MediaPipe's class index: 0 = "Right", 1 = "Left"
  float model_output = 0;   // the raw sigmoid of the landmark model (> 0.5: right hand)
};

struct HandResult {
  Handedness handedness;
  float presence = 0;       // hand presence score of the landmark model
  std::array<NormalizedLandmark, kNumHandLandmarks> landmarks{};
  std::array<WorldLandmark, kNumHandLandmarks> world_landmarks{};
};

struct HandLandmarkerResult {
  std::vector<HandResult> hands;
};

class HandLandmarker {
 public:
  // Loads and verifies the models, plans each model onto backends (see
  // ModelOptions::delegate) and returns a ready landmarker.
  static Result<std::unique_ptr<HandLandmarker>> Create(const HandLandmarkerOptions& options);

  ~HandLandmarker();
  HandLandmarker(const HandLandmarker&) = delete;
  HandLandmarker& operator=(const HandLandmarker&) = delete;

  // IMAGE mode: detects hands in one image, independently of earlier calls.
  // FailedPrecondition when the landmarker was created for another mode.
  Result<HandLandmarkerResult> Detect(const ImageView& image);

  const HandLandmarkerOptions& options() const;

  // Where each model runs: per model, the backend of each node group and the
  // reason for every fallback (human-readable, several lines).
  std::string DescribePlan() const;

  struct Impl;

 private:
  explicit HandLandmarker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
