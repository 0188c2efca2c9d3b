// What HandLandmarker sees of a HandEngine: the two batching models and the
// group that counts their callers (streams register with it).
#pragma once

#include <memory>

#include "handtrack/hand_engine.h"
#include "runtime/batching_model.h"

namespace handtrack {

// The landmark models' outputs, in model order.
inline constexpr int kLandmarksOutput = 0, kPresenceOutput = 1, kHandednessOutput = 2, kWorldOutput = 3;
inline constexpr int kPalmInputSize = 192;
inline constexpr int kLandmarkInputSize = 224;

struct HandEngine::Impl {
  HandEngineOptions options;
  std::shared_ptr<runtime::BatchingGroup> group;
  // Palm model: one 1x192x192x3 input; 2016x18 boxes and 2016 scores.
  std::unique_ptr<runtime::BatchingModel> palm;
  // Landmark model: one 1x224x224x3 input; 63 landmarks, presence, handedness, 63 world landmarks.
  std::unique_ptr<runtime::BatchingModel> landmarks;
};

}  // namespace handtrack
