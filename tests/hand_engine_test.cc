// HandEngine shared by threads and streams: concurrent IMAGE-mode calls on one
// landmarker, VIDEO streams batched together on one engine, the batch policy
// (a lone caller and a stream that ends hold nobody back), and errors of a
// batched run reaching every caller. Results must equal the sequential ones bit
// for bit (batch-N runs equal N batch-1 runs on the CPU backends).
#include "handtrack/hand_engine.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "handtrack/video_io.h"
#include "landmarker_expect.h"
#include "test_support.h"

namespace handtrack {
namespace {

// XNNPACK when this build has it (fast), else the reference backend.
Delegate CpuDelegate() {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == "xnnpack" && backend.available) return Delegate::kXnnpack;
  }
  return Delegate::kReference;
}

HandLandmarkerOptions LandmarkerOptions(RunningMode mode, std::shared_ptr<HandEngine> engine = nullptr) {
  HandLandmarkerOptions options;
  options.running_mode = mode;
  options.num_hands = 2;
  options.model.delegate = CpuDelegate();
  options.engine = std::move(engine);
  return options;
}

// Switched on and off by tests while engines run (ModelOptions::fault_hook): every model run
// of the engines MakeEngine made fails while it is set.
std::atomic<bool> g_fail_runs{false};

std::shared_ptr<HandEngine> MakeEngine(int max_batch, int batch_wait_us = 2000,
                                       Delegate delegate = CpuDelegate()) {
  HandEngineOptions options;
  options.model.delegate = delegate;
  options.model.fault_hook = [](std::string_view backend, std::string_view stage) {
    (void)backend;
    return g_fail_runs.load() && stage == "run";
  };
  options.max_batch = max_batch;
  options.batch_wait_us = batch_wait_us;
  auto engine = HandEngine::Create(options);
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  return engine.ok() ? *engine : nullptr;
}

std::unique_ptr<HandLandmarker> MakeLandmarker(const HandLandmarkerOptions& options) {
  auto landmarker = HandLandmarker::Create(options);
  EXPECT_TRUE(landmarker.ok()) << landmarker.status().message();
  return landmarker.ok() ? std::move(landmarker).value() : nullptr;
}

// Photos with none, one and two hands.
const char* const kPhotos[] = {
    "two_hands_heart_torso_01.jpg", "count_five_open_hand_webcam_01.jpg", "no_hand_city_street_01.jpg",
    "thumbs_up_rotated90_01.jpg",   "two_hands_L_shapes_torso_01.jpg",    "victory_palm_facing_01.jpg",
};

std::vector<Image> LoadPhotos() {
  std::vector<Image> photos;
  for (const char* name : kPhotos) {
    auto image = ReadImageFile(testing::SharedDir() + "/data/hands/images/" + name);
    EXPECT_TRUE(image.ok()) << image.status().message();
    if (image.ok()) photos.push_back(std::move(image).value());
  }
  return photos;
}

using testing::LoadFrames;

bool HaveFixtures() { return !testing::ModelDir().empty() && !testing::SharedDir().empty(); }

// Bit for bit: every field of every hand.
void ExpectSame(const HandLandmarkerResult& got, const HandLandmarkerResult& want, const std::string& where) {
  ASSERT_EQ(got.hands.size(), want.hands.size()) << where;
  EXPECT_EQ(got.timestamp_ms, want.timestamp_ms) << where;
  EXPECT_EQ(got.palm_detection_ran, want.palm_detection_ran) << where;
  for (size_t h = 0; h < got.hands.size(); ++h) {
    const HandResult& a = got.hands[h];
    const HandResult& b = want.hands[h];
    EXPECT_EQ(a.id, b.id) << where << " hand " << h;
    EXPECT_EQ(a.handedness.label, b.handedness.label) << where << " hand " << h;
    EXPECT_EQ(a.handedness.model_output, b.handedness.model_output) << where << " hand " << h;
    EXPECT_EQ(a.presence, b.presence) << where << " hand " << h;
    for (int i = 0; i < kNumHandLandmarks; ++i) {
      EXPECT_TRUE(a.landmarks[i].x == b.landmarks[i].x && a.landmarks[i].y == b.landmarks[i].y &&
                  a.landmarks[i].z == b.landmarks[i].z)
          << where << " hand " << h << " landmark " << i;
      EXPECT_TRUE(a.world_landmarks[i].x == b.world_landmarks[i].x &&
                  a.world_landmarks[i].y == b.world_landmarks[i].y &&
                  a.world_landmarks[i].z == b.world_landmarks[i].z)
          << where << " hand " << h << " world landmark " << i;
    }
  }
}

// Fails the test (and stops the process: a hung thread cannot be joined) when `work`
// has not finished after `limit`. The limits are far above the expected seconds: they
// catch a hang or a policy that waits out its timeout, not slowness.
void FinishesWithin(std::chrono::seconds limit, const std::function<void()>& work) {
  std::packaged_task<void()> task(work);
  std::future<void> done = task.get_future();
  std::thread thread(std::move(task));
  if (done.wait_for(limit) != std::future_status::ready) {
    ADD_FAILURE() << "still running after " << limit.count()
                  << " s: the engine hangs or waits out its timeouts";
    std::fflush(nullptr);
    std::abort();
  }
  thread.join();
}

// Each video through its own landmarker, one frame after another: what any sharing must give.
std::vector<std::vector<HandLandmarkerResult>> TrackAlone(
    const std::vector<std::vector<VideoFrame>>& videos) {
  std::vector<std::vector<HandLandmarkerResult>> results(videos.size());
  for (size_t v = 0; v < videos.size(); ++v) {
    auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo));
    if (landmarker == nullptr) return {};
    for (const VideoFrame& frame : videos[v]) {
      auto result = landmarker->DetectForVideo(frame.image.view(), frame.timestamp_ms);
      EXPECT_TRUE(result.ok()) << result.status().message();
      results[v].push_back(result.ok() ? *result : HandLandmarkerResult{});
    }
  }
  return results;
}

// IMAGE mode: calls on one landmarker from 4 threads at once, each thread going through the
// photos in its own order several times, give exactly the sequential results.
void CheckConcurrentImageCalls(std::shared_ptr<HandEngine> engine) {
  const std::vector<Image> photos = LoadPhotos();
  ASSERT_EQ(photos.size(), std::size(kPhotos));
  auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kImage, engine));
  ASSERT_NE(landmarker, nullptr);
  std::vector<HandLandmarkerResult> sequential;
  for (const Image& photo : photos) {
    auto result = landmarker->Detect(photo.view());
    ASSERT_TRUE(result.ok()) << result.status().message();
    sequential.push_back(*result);
  }
  constexpr int kThreads = 4, kRounds = 3;
  std::vector<std::vector<Result<HandLandmarkerResult>>> got(kThreads);
  FinishesWithin(std::chrono::seconds(600), [&] {
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int i = 0; i < kRounds * static_cast<int>(photos.size()); ++i) {
          got[t].push_back(landmarker->Detect(photos[(t + i) % photos.size()].view()));
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
  });
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < static_cast<int>(got[t].size()); ++i) {
      const size_t p = (t + i) % photos.size();
      ASSERT_TRUE(got[t][i].ok()) << got[t][i].status().message();
      ExpectSame(*got[t][i], sequential[p], std::string("thread ") + std::to_string(t) + ", " + kPhotos[p]);
    }
  }
}

TEST(HandEngineTest, RejectsBadOptions) {
  HandEngineOptions options;
  options.max_batch = 3;
  EXPECT_EQ(HandEngine::Create(options).status().code(), StatusCode::kInvalidArgument);
  options = {};
  options.max_batch = 128;
  EXPECT_EQ(HandEngine::Create(options).status().code(), StatusCode::kInvalidArgument);
  options = {};
  options.batch_wait_us = -1;
  EXPECT_EQ(HandEngine::Create(options).status().code(), StatusCode::kInvalidArgument);
  // Each refused with the option and its value named.
  const std::pair<int HandEngineOptions::*, std::vector<int>> named_refusals[] = {
      {&HandEngineOptions::max_concurrent_runs, {-1, 65}}, {&HandEngineOptions::batch_step, {-1, 3, 128}}};
  for (const auto& [field, values] : named_refusals) {
    const std::string name = field == &HandEngineOptions::batch_step ? "batch_step " : "max_concurrent_runs ";
    for (int value : values) {
      options = {};
      options.*field = value;
      const Status status = HandEngine::Create(options).status();
      EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << name << value;
      EXPECT_NE(status.message().find(name + std::to_string(value)), std::string::npos) << status.message();
    }
  }
  options = {};
  options.model.num_threads = 0;
  EXPECT_EQ(HandEngine::Create(options).status().code(), StatusCode::kInvalidArgument);
  options = {};
  options.model.model_dir = "/nonexistent/models";
  auto engine = HandEngine::Create(options);
  EXPECT_EQ(engine.status().code(), StatusCode::kNotFound);
  EXPECT_NE(engine.status().message().find("failed to load model /nonexistent/models/"), std::string::npos)
      << engine.status().message();
}

TEST(HandEngineTest, LandmarkerOnASharedEngineReportsItsModelOptions) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HandEngineOptions engine_options;
  engine_options.model.delegate = Delegate::kReference;
  engine_options.max_batch = 4;
  auto engine = HandEngine::Create(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  HandLandmarkerOptions options = LandmarkerOptions(RunningMode::kImage, *engine);
  options.model.delegate = Delegate::kXnnpack;  // ignored: the engine's models run
  options.model.num_threads = 0;                // ignored too, so not an error
  auto landmarker = MakeLandmarker(options);
  ASSERT_NE(landmarker, nullptr);
  EXPECT_EQ(landmarker->options().model.delegate, Delegate::kReference);
  EXPECT_EQ(landmarker->options().engine, *engine);
  const std::string plan = landmarker->DescribePlan();
  EXPECT_NE(plan.find("reference:"), std::string::npos) << plan;
  EXPECT_NE(plan.find("batching: up to 4 frames per run"), std::string::npos) << plan;
}

// (a) One landmarker (its own engine), 4 threads of IMAGE-mode calls.
TEST(HandEngineTest, ConcurrentImageDetectEqualsSequential) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  CheckConcurrentImageCalls(nullptr);
}

// (a) The same with the calls of the threads batched together.
TEST(HandEngineTest, ConcurrentImageDetectWithBatchingEqualsSequential) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  CheckConcurrentImageCalls(MakeEngine(4));
}

// (b) Four VIDEO streams, each on its own thread, one engine batching up to 4 frames: every
// stream gets exactly what it gets alone, and batches of several streams did run.
TEST(HandEngineTest, VideoStreamsSharingABatchingEngineEqualSeparateLandmarkers) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const char* const kVideos[] = {
      "two_hands_zoom_gesture_with_overlays_01.mp4", "asl_sign_walk_two_hands_webcam_01.mp4",
      "open_palm_to_fist_closeup_with_overlays_01.mp4", "hand_swipe_left_right_with_overlays_01.mp4"};
  std::vector<std::vector<VideoFrame>> videos;
  for (const char* name : kVideos) videos.push_back(LoadFrames(name, 20));
  const auto alone = TrackAlone(videos);
  ASSERT_EQ(alone.size(), videos.size());

  // A long wait: batches here form because every stream is waiting, not by timeout.
  auto engine = MakeEngine(4, 1'000'000);
  ASSERT_NE(engine, nullptr);
  std::vector<std::unique_ptr<HandLandmarker>> landmarkers;
  for (size_t v = 0; v < videos.size(); ++v) {
    landmarkers.push_back(MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine)));
    ASSERT_NE(landmarkers.back(), nullptr);
  }
  std::vector<std::vector<Result<HandLandmarkerResult>>> shared(videos.size());
  FinishesWithin(std::chrono::seconds(600), [&] {
    std::vector<std::thread> threads;
    for (size_t v = 0; v < videos.size(); ++v) {
      threads.emplace_back([&, v] {
        for (const VideoFrame& frame : videos[v]) {
          shared[v].push_back(landmarkers[v]->DetectForVideo(frame.image.view(), frame.timestamp_ms));
        }
        landmarkers[v].reset();  // the stream ends
      });
    }
    for (std::thread& thread : threads) thread.join();
  });
  for (size_t v = 0; v < videos.size(); ++v) {
    ASSERT_EQ(shared[v].size(), alone[v].size());
    for (size_t f = 0; f < shared[v].size(); ++f) {
      ASSERT_TRUE(shared[v][f].ok()) << shared[v][f].status().message();
      ExpectSame(*shared[v][f], alone[v][f], std::string(kVideos[v]) + " frame " + std::to_string(f));
    }
  }
  const HandEngineStats stats = engine->stats();
  EXPECT_GT(stats.palm.max_frames_per_run, 1) << "no palm batch held frames of several streams";
  EXPECT_GT(stats.landmarks.max_frames_per_run, 1) << "no landmark batch held several hands";
  EXPECT_LE(stats.landmarks.max_frames_per_run, 4);
}

// DetectForVideoFrames gives each frame what DetectForVideo gives it frame by frame, on a
// batching engine (palm detection ahead, windows of up to max_batch frames, a call longer
// than that): one hand with num_hands 2 (palm detection due on every frame), two hands (due
// only until both are tracked), a hand that enters (at frame 23, inside the 11-frame call).
// With max_batch 2 a call of 11 frames has six windows. Calls on an engine without batching
// go one frame at a time, the path every `track` run takes (track_jobs_test.sh).
TEST(HandEngineTest, VideoFramesAtOnceEqualOneByOne) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::pair<const char*, int> kVideos[] = {{"asl_fingerspelling_one_hand_portrait_01.mp4", 16},
                                                 {"two_hands_zoom_gesture_with_overlays_01.mp4", 16},
                                                 {"hand_enters_thumbs_up_face_01.mp4", 30}};
  std::vector<std::vector<VideoFrame>> videos;
  for (const auto& [name, frames] : kVideos) videos.push_back(LoadFrames(name, frames));
  const auto alone = TrackAlone(videos);
  ASSERT_EQ(alone.size(), videos.size());
  const size_t kCallSizes[] = {5, 1, 8, 3, 11};
  for (const int max_batch : {8, 2}) {
    SCOPED_TRACE("max_batch " + std::to_string(max_batch));
    auto engine = MakeEngine(max_batch);
    ASSERT_NE(engine, nullptr);
    for (size_t v = 0; v < videos.size(); ++v) {
      auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
      ASSERT_NE(landmarker, nullptr);
      size_t f = 0;
      for (size_t call = 0; f < videos[v].size(); ++call) {
        const size_t count = std::min(kCallSizes[call % std::size(kCallSizes)], videos[v].size() - f);
        std::vector<VideoFrameView> views;
        for (size_t i = f; i < f + count; ++i)
          views.push_back({videos[v][i].image.view(), videos[v][i].timestamp_ms});
        const std::vector<Result<HandLandmarkerResult>> got = landmarker->DetectForVideoFrames(views);
        ASSERT_EQ(got.size(), count);
        for (size_t i = 0; i < count; ++i, ++f) {
          const std::string where = std::string(kVideos[v].first) + " frame " + std::to_string(f);
          ASSERT_TRUE(got[i].ok()) << where << ": " << got[i].status().message();
          ExpectSame(*got[i], alone[v][f], where);
        }
      }
    }
    const HandEngineStats stats = engine->stats();
    EXPECT_GT(stats.palm.max_frames_per_run, max_batch / 2) << "palm detection did not run ahead";
    EXPECT_LE(stats.palm.max_frames_per_run, max_batch);
  }
}

// DetectForVideoFrames stops at the first frame that fails (a timestamp that does not
// increase, an empty image, a failing model run): the frames before it keep their results,
// it keeps its error, the later ones are not processed, and the stream goes on from the
// failed frame as if the call had never seen it.
TEST(HandEngineTest, VideoFramesAtOnceStopAtTheFirstFailure) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::vector<std::vector<VideoFrame>> videos = {
      LoadFrames("asl_fingerspelling_one_hand_portrait_01.mp4", 12)};
  ASSERT_EQ(videos[0].size(), 12u);
  const std::vector<VideoFrame>& frames = videos[0];
  const auto views_of = [&](size_t begin, size_t end) {
    std::vector<VideoFrameView> views;
    for (size_t i = begin; i < end; ++i) views.push_back({frames[i].image.view(), frames[i].timestamp_ms});
    return views;
  };
  const auto expect_stopped_at = [&](const std::vector<Result<HandLandmarkerResult>>& got, size_t failed,
                                     const std::string& reason, const std::string& what) {
    for (size_t i = 0; i < got.size(); ++i) {
      if (i < failed) {
        ASSERT_TRUE(got[i].ok()) << what << " frame " << i << ": " << got[i].status().message();
      } else {
        ASSERT_FALSE(got[i].ok()) << what << " frame " << i;
        const std::string& message = got[i].status().message();
        EXPECT_NE(message.find(i == failed ? reason : "not processed"), std::string::npos)
            << what << " frame " << i << ": " << message;
        EXPECT_EQ(message.find('\n'), std::string::npos) << message;
      }
    }
  };
  const std::string what = "batch 4";
  const auto alone = TrackAlone(videos);
  ASSERT_EQ(alone.size(), 1u);
  auto engine = MakeEngine(4);
  ASSERT_NE(engine, nullptr);
  auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  ASSERT_NE(landmarker, nullptr);
  // Frames 0-2 fine, frame 3 repeats frame 2's timestamp.
  std::vector<VideoFrameView> views = views_of(0, 6);
  views[3].timestamp_ms = views[2].timestamp_ms;
  std::vector<Result<HandLandmarkerResult>> got = landmarker->DetectForVideoFrames(views);
  ASSERT_EQ(got.size(), 6u);
  expect_stopped_at(got, 3, "timestamp", what);
  for (size_t i = 0; i < 3; ++i) ExpectSame(*got[i], alone[0][i], what + " frame " + std::to_string(i));
  // Frame 4 has no pixels.
  views = views_of(3, 7);
  views[1].image = ImageView{};
  got = landmarker->DetectForVideoFrames(views);
  expect_stopped_at(got, 1, "failed to", what + ", empty image");
  ASSERT_TRUE(got[0].ok());
  ExpectSame(*got[0], alone[0][3], what + " frame 3");
  // Every model run fails: the window's palm run, then the frame's own.
  g_fail_runs = true;
  got = landmarker->DetectForVideoFrames(views_of(4, 8));
  g_fail_runs = false;
  expect_stopped_at(got, 0, "fault injected", what + ", faulty runs");
  // From the failed frame on, as if those calls had not been.
  got = landmarker->DetectForVideoFrames(views_of(4, 12));
  expect_stopped_at(got, got.size(), "", what + ", again");
  for (size_t i = 0; i < got.size(); ++i)
    ExpectSame(*got[i], alone[0][4 + i], what + " frame " + std::to_string(4 + i));
  // A landmarker of another mode refuses every frame.
  auto image_mode = MakeLandmarker(LandmarkerOptions(RunningMode::kImage));
  ASSERT_NE(image_mode, nullptr);
  const std::vector<Result<HandLandmarkerResult>> refused = image_mode->DetectForVideoFrames(views_of(0, 3));
  ASSERT_EQ(refused.size(), 3u);
  for (const auto& result : refused) EXPECT_EQ(result.status().code(), StatusCode::kFailedPrecondition);
}

// (c) A lone caller never waits for a batch to fill: with a 10 s wait, each of its model runs
// would otherwise take 10 s.
TEST(HandEngineTest, LoneCallerIsNotHeldBackByALargeBatch) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::vector<Image> photos = LoadPhotos();
  ASSERT_FALSE(photos.empty());
  auto alone = MakeLandmarker(LandmarkerOptions(RunningMode::kImage));
  auto engine = MakeEngine(8, 10'000'000);
  ASSERT_NE(engine, nullptr);
  auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kImage, engine));
  ASSERT_NE(alone, nullptr);
  ASSERT_NE(landmarker, nullptr);
  FinishesWithin(std::chrono::seconds(60), [&] {
    for (size_t p = 0; p < photos.size(); ++p) {
      auto got = landmarker->Detect(photos[p].view());
      auto want = alone->Detect(photos[p].view());
      ASSERT_TRUE(got.ok() && want.ok()) << got.status().message() << want.status().message();
      ExpectSame(*got, *want, kPhotos[p]);
    }
  });
}

// (c) Streams that end (one after two frames, one after a frame that fails) stop holding
// back the stream that goes on, even with a 10 s wait for full batches.
TEST(HandEngineTest, StreamsThatEndDoNotHoldBackTheOthers) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  std::vector<std::vector<VideoFrame>> videos = {
      LoadFrames("two_hands_zoom_gesture_with_overlays_01.mp4", 12)};
  ASSERT_EQ(videos[0].size(), 12u);
  const auto alone = TrackAlone(videos);
  ASSERT_EQ(alone.size(), 1u);
  auto engine = MakeEngine(8, 10'000'000);
  ASSERT_NE(engine, nullptr);
  auto going_on = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  auto stopping = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  auto failing = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  ASSERT_TRUE(going_on && stopping && failing);
  std::vector<Result<HandLandmarkerResult>> results;
  FinishesWithin(std::chrono::seconds(120), [&] {
    std::thread stopper([&] {
      for (int f = 0; f < 2; ++f) {
        EXPECT_TRUE(stopping->DetectForVideo(videos[0][f].image.view(), videos[0][f].timestamp_ms).ok());
      }
      stopping.reset();
    });
    std::thread failer([&] {
      EXPECT_EQ(failing->DetectForVideo(ImageView{}, 0).status().code(), StatusCode::kInvalidArgument);
      failing.reset();
    });
    for (const VideoFrame& frame : videos[0])
      results.push_back(going_on->DetectForVideo(frame.image.view(), frame.timestamp_ms));
    stopper.join();
    failer.join();
  });
  ASSERT_EQ(results.size(), alone[0].size());
  for (size_t f = 0; f < results.size(); ++f) {
    ASSERT_TRUE(results[f].ok()) << results[f].status().message();
    ExpectSame(*results[f], alone[0][f], "frame " + std::to_string(f));
  }
}

// (c) A stream that exists but is not called delays the others by at most the (short) wait.
TEST(HandEngineTest, IdleStreamDelaysOthersOnlyByTheWait) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  std::vector<std::vector<VideoFrame>> videos = {LoadFrames("asl_sign_walk_two_hands_webcam_01.mp4", 8)};
  const auto alone = TrackAlone(videos);
  ASSERT_EQ(alone.size(), 1u);
  auto engine = MakeEngine(8);  // default wait, 2 ms
  ASSERT_NE(engine, nullptr);
  auto idle = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  auto busy = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine));
  ASSERT_TRUE(idle && busy);
  FinishesWithin(std::chrono::seconds(120), [&] {
    for (size_t f = 0; f < videos[0].size(); ++f) {
      auto result = busy->DetectForVideo(videos[0][f].image.view(), videos[0][f].timestamp_ms);
      ASSERT_TRUE(result.ok()) << result.status().message();
      ExpectSame(*result, alone[0][f], "frame " + std::to_string(f));
    }
  });
}

// VIDEO mode takes one frame at a time: a call that overlaps another on the same landmarker
// is refused, never a race on the tracking state.
TEST(HandEngineTest, OverlappingVideoCallsAreRefused) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::vector<Image> photos = LoadPhotos();
  ASSERT_FALSE(photos.empty());
  auto landmarker = MakeLandmarker(LandmarkerOptions(RunningMode::kVideo));
  ASSERT_NE(landmarker, nullptr);
  std::atomic<int> next_timestamp{0}, refused{0}, ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 5; ++i) {
        auto result = landmarker->DetectForVideo(photos[0].view(), ++next_timestamp);
        if (result.ok()) {
          ++ok;
        } else if (result.status().code() == StatusCode::kFailedPrecondition) {
          ++refused;  // overlapping, or a timestamp overtaken by another thread's
        } else {
          ADD_FAILURE() << result.status().message();
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok + refused, 20);
  EXPECT_GE(ok, 1);
}

// (d) An error of a batched run (fault injected into every reference run) reaches each
// landmarker with a frame in it as a Status; nothing crashes or hangs, and the engine works
// again once the fault is gone.
TEST(HandEngineTest, BatchedRunErrorReachesEveryCaller) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::vector<Image> photos = LoadPhotos();
  ASSERT_FALSE(photos.empty());
  auto engine = MakeEngine(4, 1'000'000, Delegate::kReference);
  ASSERT_NE(engine, nullptr);
  constexpr int kStreams = 4;
  std::vector<std::unique_ptr<HandLandmarker>> landmarkers;
  for (int s = 0; s < kStreams; ++s) {
    landmarkers.push_back(MakeLandmarker(LandmarkerOptions(RunningMode::kVideo, engine)));
    ASSERT_NE(landmarkers.back(), nullptr);
  }
  std::vector<Result<HandLandmarkerResult>> results(kStreams, HandLandmarkerResult{});
  {
    g_fail_runs = true;
    FinishesWithin(std::chrono::seconds(120), [&] {
      std::vector<std::thread> threads;
      for (int s = 0; s < kStreams; ++s) {
        threads.emplace_back([&, s] { results[s] = landmarkers[s]->DetectForVideo(photos[0].view(), 1); });
      }
      for (std::thread& thread : threads) thread.join();
    });
    g_fail_runs = false;
  }
  for (const auto& result : results) {
    ASSERT_FALSE(result.ok());
    EXPECT_NE(result.status().message().find("failed to detect palms"), std::string::npos)
        << result.status().message();
    EXPECT_NE(result.status().message().find("fault injected"), std::string::npos)
        << result.status().message();
  }
  EXPECT_GT(engine->stats().palm.max_frames_per_run, 1) << "the failing runs were not batched";
  // The fault is gone: the landmarkers go on (the others end first, so that this one's
  // batches need not wait for them).
  for (int s = 1; s < kStreams; ++s) landmarkers[s].reset();
  auto after = landmarkers[0]->DetectForVideo(photos[0].view(), 2);
  EXPECT_TRUE(after.ok()) << after.status().message();
}

}  // namespace
}  // namespace handtrack
