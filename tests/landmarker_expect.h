// Shared by the tests that compare two landmarkers' results frame by frame
// (engine_pool_test, cuda_multi_engine_test): VIDEO-mode options with two
// hands, and ExpectClose.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "handtrack/hand_landmarker.h"

namespace handtrack::testing {

inline HandLandmarkerOptions VideoOptions() {
  HandLandmarkerOptions options;
  options.running_mode = RunningMode::kVideo;
  options.num_hands = 2;
  return options;
}

// Within `tolerance` (0: bit for bit) in every landmark, the same hands, ids and handedness.
inline void ExpectClose(const HandLandmarkerResult& got, const HandLandmarkerResult& want, float tolerance,
                        const std::string& where) {
  ASSERT_EQ(got.hands.size(), want.hands.size()) << where;
  for (size_t h = 0; h < got.hands.size(); ++h) {
    EXPECT_EQ(got.hands[h].id, want.hands[h].id) << where;
    EXPECT_EQ(got.hands[h].handedness.label, want.hands[h].handedness.label) << where;
    for (int i = 0; i < kNumHandLandmarks; ++i) {
      const NormalizedLandmark& a = got.hands[h].landmarks[i];
      const NormalizedLandmark& b = want.hands[h].landmarks[i];
      EXPECT_LE(std::fabs(a.x - b.x), tolerance) << where << " hand " << h << " landmark " << i;
      EXPECT_LE(std::fabs(a.y - b.y), tolerance) << where << " hand " << h << " landmark " << i;
      EXPECT_LE(std::fabs(a.z - b.z), tolerance) << where << " hand " << h << " landmark " << i;
    }
  }
}

}  // namespace handtrack::testing
