// Shared by the tests that compare landmarkers' results frame by frame
// (engine_pool_test, hand_engine_test, cuda_multi_engine_test): VIDEO-mode
// options with two hands, ExpectClose, and the first frames of a shared video.
#pragma once

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <utility>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "handtrack/video_io.h"
#include "test_support.h"

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

// The first `count` frames of ../shared/data/hands/videos/NAME (fewer when it is shorter).
inline std::vector<VideoFrame> LoadFrames(const std::string& name, int count) {
  std::vector<VideoFrame> frames;
  auto reader = VideoReader::Open(SharedDir() + "/data/hands/videos/" + name);
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  if (!reader.ok()) return frames;
  for (int i = 0; i < count; ++i) {
    VideoFrame frame;
    Result<bool> got = (*reader)->ReadFrame(&frame);
    EXPECT_TRUE(got.ok()) << got.status().message();
    if (!got.ok() || !*got) break;
    frames.push_back(std::move(frame));
  }
  return frames;
}

}  // namespace handtrack::testing
