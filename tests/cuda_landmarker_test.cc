// HandLandmarker on the CUDA backend in VIDEO mode: with both models on the
// device, a frame's palm detection runs alongside the tracked hands'
// landmarks (hand_landmarker.cc, ProcessFrame). That overlap must give the
// results of the sequential order, which the same frames give with the
// inputs made on the host (cuda.preprocess=0: no device sampling, so no
// overlap). Skips without a CUDA device (CI) or without the shared photos.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "handtrack/video_io.h"
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

// A VIDEO landmarker (num_hands 2) on an engine of its own made with `engine_options` (at most
// two frames a run: the sequential order submits a frame's two crops as one run); null after a
// test failure.
std::unique_ptr<HandLandmarker> VideoLandmarker(HandEngineOptions engine_options,
                                                std::shared_ptr<HandEngine>* engine) {
  engine_options.max_batch = 2;
  Result<std::shared_ptr<HandEngine>> made = HandEngine::Create(engine_options);
  EXPECT_TRUE(made.ok()) << made.status().message();
  if (!made.ok()) return nullptr;
  *engine = *made;
  HandLandmarkerOptions options;
  options.running_mode = RunningMode::kVideo;
  options.num_hands = 2;
  options.engine = *made;
  Result<std::unique_ptr<HandLandmarker>> landmarker = HandLandmarker::Create(options);
  EXPECT_TRUE(landmarker.ok()) << landmarker.status().message();
  return landmarker.ok() ? std::move(landmarker).value() : nullptr;
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
  std::shared_ptr<HandEngine> engine;
  std::unique_ptr<HandLandmarker> landmarker = VideoLandmarker(engine_options, &engine);
  TrackRun run;
  if (landmarker == nullptr) return run;
  for (size_t i = 0; i < frames.size(); ++i) {
    Result<HandLandmarkerResult> result =
        landmarker->DetectForVideo(frames[i].view(), static_cast<int64_t>(i) * 33);
    EXPECT_TRUE(result.ok()) << "frame " << i << ": " << result.status().message();
    if (!result.ok()) return run;
    run.frames.push_back(*result);
  }
  run.stats = engine->stats();
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

// NVDEC's pictures kept on the GPU (VideoReaderOptions::frames_on_gpu) and sampled there as
// NV12 through the reader's colour table give the results of the same video's RGB frames (NVDEC
// too, downloaded and converted by swscale): the same pixels (ToHostRgb against the RGB frames,
// byte for byte) and the same landmarks. Holding every frame at once also shows that the
// decoder does not run out of pictures.
TEST(CudaLandmarkerTest, NvdecFramesKeptOnTheGpuGiveTheResultsOfTheRgbFrames) {
  std::string why;
  if (!CudaAvailable(why)) GTEST_SKIP() << "cuda: " << why;
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "the models");
  const std::string video = testing::SharedDir() + "/data/hands/videos/asl_sign_book_two_hands_webcam_01.mp4";
  constexpr int kFrames = 40;
  std::vector<VideoFrame> frames(kFrames), rgb_frames(kFrames);
  for (const bool on_gpu : {true, false}) {
    VideoReaderOptions reader_options;
    reader_options.hardware_decode = HardwareDecode::kCuda;
    reader_options.frames_on_gpu = on_gpu;
    Result<std::unique_ptr<VideoReader>> reader = VideoReader::Open(video, reader_options);
    if (!reader.ok() && reader.status().code() == StatusCode::kUnavailable)
      GTEST_SKIP() << reader.status().message();
    ASSERT_TRUE(reader.ok()) << reader.status().message();
    ASSERT_EQ((*reader)->info().frames_on_gpu, on_gpu) << (*reader)->info().decoder;
    for (VideoFrame& frame : on_gpu ? frames : rgb_frames) {
      Result<bool> got = (*reader)->ReadFrame(&frame);
      ASSERT_TRUE(got.ok() && *got) << (got.ok() ? "ended early" : got.status().message());
      ASSERT_EQ(frame.gpu != nullptr, on_gpu) << "frame " << frame.index;
    }
  }
  for (int i = 0; i < kFrames; ++i) {
    Result<Image> host = frames[i].gpu->ToHostRgb();
    ASSERT_TRUE(host.ok()) << host.status().message();
    ASSERT_EQ(host->width(), rgb_frames[i].image.width());
    ASSERT_EQ(host->height(), rgb_frames[i].image.height());
    const size_t bytes = static_cast<size_t>(host->width()) * host->height() * 3;
    ASSERT_TRUE(std::equal(host->data(), host->data() + bytes, rgb_frames[i].image.data())) << "frame " << i;
  }
  for (const Precision precision : {Precision::kFp32, Precision::kFp16}) {
    std::vector<std::vector<HandLandmarkerResult>> runs;
    for (const bool from_gpu : {true, false}) {
      HandEngineOptions engine_options;
      engine_options.model.model_dir = testing::ModelDir();
      engine_options.model.delegate = Delegate::kCuda;
      engine_options.model.precision = precision;
      std::shared_ptr<HandEngine> engine;
      const std::unique_ptr<HandLandmarker> landmarker = VideoLandmarker(engine_options, &engine);
      ASSERT_NE(landmarker, nullptr);
      std::vector<VideoFrameView> views;
      for (int i = 0; i < kFrames; ++i) {
        views.push_back(from_gpu ? VideoFrameView{ImageView{}, frames[i].timestamp_ms, frames[i].gpu.get()}
                                 : VideoFrameView{rgb_frames[i].image.view(), rgb_frames[i].timestamp_ms});
      }
      std::vector<HandLandmarkerResult> results;
      for (Result<HandLandmarkerResult>& result : landmarker->DetectForVideoFrames(views)) {
        ASSERT_TRUE(result.ok()) << result.status().message();
        results.push_back(std::move(result).value());
      }
      runs.push_back(std::move(results));
    }
    int hands = 0;
    for (int f = 0; f < kFrames; ++f) {
      ASSERT_EQ(runs[0][f].hands.size(), runs[1][f].hands.size()) << "frame " << f;
      for (size_t h = 0; h < runs[0][f].hands.size(); ++h, ++hands) {
        for (int k = 0; k < kNumHandLandmarks; ++k) {
          EXPECT_NEAR(runs[0][f].hands[h].landmarks[k].x, runs[1][f].hands[h].landmarks[k].x, 1e-5) << f;
          EXPECT_NEAR(runs[0][f].hands[h].landmarks[k].y, runs[1][f].hands[h].landmarks[k].y, 1e-5) << f;
        }
      }
    }
    EXPECT_GE(hands, kFrames / 2) << "hands on most frames of the video";
  }
}

}  // namespace
}  // namespace handtrack
