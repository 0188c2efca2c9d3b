// HandLandmarker on the CUDA backend in VIDEO mode: with both models on the
// device, a frame's palm detection runs alongside the tracked hands'
// landmarks (hand_landmarker.cc, ProcessFrame). That overlap must give the
// results of the sequential order, which the same frames give with the
// inputs made on the host (cuda.preprocess=0: no device sampling, so no
// overlap). Skips without a CUDA device (CI) or without the shared photos.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "test_support.h"

namespace handtrack {
namespace {

bool CudaAvailable(std::string& why) {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == "cuda") {
      why = backend.detail;
      return backend.available;
    }
  }
  why = "no cuda backend in this build";
  return false;
}

struct TrackRun {
  std::vector<HandLandmarkerResult> frames;
  HandEngineStats stats;
};

// The frames through one VIDEO landmarker (num_hands 2) on its own cuda engine.
TrackRun Track(const std::vector<Image>& frames, bool preprocess_on_device) {
  HandEngineOptions engine_options;
  engine_options.model.model_dir = testing::ModelDir();
  engine_options.model.delegate = Delegate::kCuda;
  engine_options.model.backend_settings["cuda.preprocess"] = preprocess_on_device ? "1" : "0";
  // Batches of two: the sequential order submits a frame's two crops as one run.
  engine_options.max_batch = 2;
  Result<std::shared_ptr<HandEngine>> engine = HandEngine::Create(engine_options);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  TrackRun run;
  if (!engine.ok()) return run;
  HandLandmarkerOptions options;
  options.running_mode = RunningMode::kVideo;
  options.num_hands = 2;
  options.engine = *engine;
  Result<std::unique_ptr<HandLandmarker>> landmarker = HandLandmarker::Create(options);
  EXPECT_TRUE(landmarker.ok()) << landmarker.status().message();
  if (!landmarker.ok()) return run;
  for (size_t i = 0; i < frames.size(); ++i) {
    Result<HandLandmarkerResult> result =
        (*landmarker)->DetectForVideo(frames[i].view(), static_cast<int64_t>(i) * 33);
    EXPECT_TRUE(result.ok()) << "frame " << i << ": " << result.status().message();
    if (!result.ok()) return run;
    run.frames.push_back(*result);
  }
  run.stats = (*engine)->stats();
  return run;
}

TEST(CudaLandmarkerTest, PalmDetectionAlongsideTrackedLandmarksGivesTheSequentialResults) {
  std::string why;
  if (!CudaAvailable(why)) GTEST_SKIP() << "cuda: " << why;
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "the models");
  const std::string images = testing::SharedDir() + "/data/hands/images/";
  // One hand, then two (same size, 296x296), then one again: palm detection runs on
  // every frame (fewer than num_hands tracked) while one hand is tracked, and on the
  // first two-hand frame it adds the second hand.
  Result<Image> one = ReadImageFile(images + "finger_gun_horizontal_01.jpg");
  Result<Image> two = ReadImageFile(images + "two_hands_L_shapes_torso_01.jpg");
  HT_REQUIRE_FIXTURE(one.ok() && two.ok(), "the shared photos");
  std::vector<Image> frames;
  for (const Result<Image>* image : {&one, &one, &one, &two, &two, &two, &one, &one}) {
    frames.push_back(**image);
  }

  const TrackRun overlapped = Track(frames, /*preprocess_on_device=*/true);
  const TrackRun sequential = Track(frames, /*preprocess_on_device=*/false);
  ASSERT_EQ(overlapped.frames.size(), frames.size());
  ASSERT_EQ(sequential.frames.size(), frames.size());
  int hands_compared = 0;
  for (size_t f = 0; f < frames.size(); ++f) {
    const HandLandmarkerResult& a = overlapped.frames[f];
    const HandLandmarkerResult& b = sequential.frames[f];
    EXPECT_EQ(a.palm_detection_ran, b.palm_detection_ran) << "frame " << f;
    ASSERT_EQ(a.hands.size(), b.hands.size()) << "frame " << f;
    for (size_t h = 0; h < a.hands.size(); ++h) {
      EXPECT_EQ(a.hands[h].id, b.hands[h].id) << "frame " << f;
      EXPECT_EQ(a.hands[h].handedness.label, b.hands[h].handedness.label) << "frame " << f;
      for (int k = 0; k < kNumHandLandmarks; ++k) {
        EXPECT_NEAR(a.hands[h].landmarks[k].x, b.hands[h].landmarks[k].x, 1e-4)
            << "frame " << f << " hand " << h;
        EXPECT_NEAR(a.hands[h].landmarks[k].y, b.hands[h].landmarks[k].y, 1e-4)
            << "frame " << f << " hand " << h;
        EXPECT_NEAR(a.hands[h].landmarks[k].z, b.hands[h].landmarks[k].z, 1e-4)
            << "frame " << f << " hand " << h;
      }
      ++hands_compared;
    }
  }
  // The photos hold one and two hands: the second hand must have been found and tracked.
  EXPECT_EQ(overlapped.frames[4].hands.size(), 2u);
  EXPECT_GE(hands_compared, 8);
  // The overlap ran: on the frame where palm detection added the second hand, the tracked
  // hand's crop and the new one went to the landmark model in two submissions (two runs),
  // where the sequential order submits both at once (one batch-2 run).
  EXPECT_GT(overlapped.stats.landmarks.runs, sequential.stats.landmarks.runs);
}

}  // namespace
}  // namespace handtrack
