// EnginePool on the CPU (what the GPU test, cuda_multi_engine_test, checks on GPUs): streams
// spread over the engines, a faulted engine's stream taken over by another engine or the
// fallback from the frame that failed, with the results of a run without faults; errors
// of the input not taken over; HandLandmarker::UseEngine keeping the tracking state; and
// device indices checked (ModelOptions::device).
#include "handtrack/engine_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <memory>
#include <string_view>
#include <thread>

#include "handtrack/video_io.h"
#include "landmarker_expect.h"
#include "test_support.h"

namespace handtrack {
namespace {

Delegate CpuDelegate() {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == "xnnpack" && backend.available) return Delegate::kXnnpack;
  }
  return Delegate::kReference;
}

bool HaveFixtures() { return !testing::ModelDir().empty() && !testing::SharedDir().empty(); }

using testing::LoadFrames;

// An engine whose `stage` runs of `backend` fail from the (after + 1)th check on, as a GPU
// that is lost mid-video; `after` < 0: never.
HandEngineOptions EngineOptions(Delegate delegate, int64_t after = -1, std::string backend = "",
                                std::string stage = "run") {
  HandEngineOptions options;
  options.model.delegate = delegate;
  if (after >= 0) {
    auto checks = std::make_shared<std::atomic<int64_t>>(0);
    options.model.fault_hook = [=](std::string_view b, std::string_view s) {
      return b == backend && s == stage && checks->fetch_add(1) >= after;
    };
  }
  return options;
}

using testing::ExpectClose;
using testing::VideoOptions;

// The video through one landmarker on its own engine: what the pool must give.
std::vector<HandLandmarkerResult> TrackAlone(const std::vector<VideoFrame>& frames, Delegate delegate) {
  std::vector<HandLandmarkerResult> results;
  HandLandmarkerOptions options = VideoOptions();
  options.model.delegate = delegate;
  auto landmarker = HandLandmarker::Create(options);
  EXPECT_TRUE(landmarker.ok()) << landmarker.status().message();
  if (!landmarker.ok()) return results;
  for (const VideoFrame& frame : frames) {
    auto result = (*landmarker)->DetectForVideo(frame.image.view(), frame.timestamp_ms);
    EXPECT_TRUE(result.ok()) << result.status().message();
    results.push_back(result.ok() ? *result : HandLandmarkerResult{});
  }
  return results;
}

// The frames through the pooled landmarker: one DetectForVideo call each, or with
// frames_per_call > 1, DetectForVideoFrames calls of that many.
std::vector<Result<HandLandmarkerResult>> TrackPooled(PooledLandmarker& landmarker,
                                                      const std::vector<VideoFrame>& frames,
                                                      size_t frames_per_call = 1) {
  std::vector<Result<HandLandmarkerResult>> results;
  for (size_t f = 0; f < frames.size(); f += frames_per_call) {
    if (frames_per_call == 1) {
      results.push_back(landmarker.DetectForVideo(frames[f].image.view(), frames[f].timestamp_ms));
      continue;
    }
    std::vector<VideoFrameView> views;
    for (size_t i = f; i < std::min(f + frames_per_call, frames.size()); ++i) {
      views.push_back({frames[i].image.view(), frames[i].timestamp_ms});
    }
    for (Result<HandLandmarkerResult>& result : landmarker.DetectForVideoFrames(views)) {
      results.push_back(std::move(result));
    }
  }
  return results;
}

constexpr char kVideo[] = "asl_sign_book_two_hands_webcam_01.mp4";

TEST(EnginePoolTest, RejectsBadOptions) {
  EXPECT_EQ(EnginePool::Create({}).status().code(), StatusCode::kInvalidArgument);
  EnginePoolOptions mixed;
  mixed.engines = {EngineOptions(CpuDelegate()), EngineOptions(CpuDelegate())};
  mixed.engines[1].model.variant = ModelVariant::kLite;
  EXPECT_EQ(EnginePool::Create(mixed).status().code(), StatusCode::kInvalidArgument);
}

TEST(EnginePoolTest, DeviceIndicesAreChecked) {
  HandEngineOptions options = EngineOptions(CpuDelegate());
  options.model.device = -1;
  auto negative = HandEngine::Create(options);
  ASSERT_FALSE(negative.ok());
  EXPECT_EQ(negative.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(negative.status().message().find("failed to select device -1"), std::string::npos)
      << negative.status().message();
  // Past the GPUs there are (none on a CPU machine): one line naming the index, not a crash.
  options.model.device = static_cast<int>(ListGpus().gpus.size());
  if (options.model.device == 0) options.model.device = 1;
  auto missing = HandEngine::Create(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(
      missing.status().message().find("failed to select device " + std::to_string(options.model.device)),
      std::string::npos)
      << missing.status().message();
  EXPECT_EQ(missing.status().message().find('\n'), std::string::npos);
  // A pool does not retire an engine for the caller's mistake: it says so.
  EnginePoolOptions pool;
  pool.engines = {EngineOptions(CpuDelegate()), options};
  EXPECT_EQ(EnginePool::Create(pool).status().code(), StatusCode::kInvalidArgument);
}

TEST(EnginePoolTest, ListGpusGivesGpusOrWhyNone) {
  const GpuList list = ListGpus();
  if (list.gpus.empty()) {
    EXPECT_FALSE(list.why_none.empty());
  }
  for (const GpuInfo& gpu : list.gpus) {
    EXPECT_FALSE(gpu.name.empty());
    EXPECT_FALSE(gpu.detail.empty());
  }
}

TEST(EnginePoolTest, SpreadsStreamsOverTheLeastLoadedEngines) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  EnginePoolOptions options;
  options.engines = {EngineOptions(CpuDelegate()), EngineOptions(CpuDelegate())};
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  std::vector<std::unique_ptr<PooledLandmarker>> streams;
  for (int i = 0; i < 5; ++i) {
    auto stream = (*pool)->CreateLandmarker(VideoOptions());
    ASSERT_TRUE(stream.ok()) << stream.status().message();
    streams.push_back(std::move(stream).value());
  }
  EXPECT_EQ((*pool)->stats().engines[0].streams, 3);
  EXPECT_EQ((*pool)->stats().engines[1].streams, 2);
  // Two streams of engine 0 end: the next two go there.
  streams[0].reset();
  streams[2].reset();
  for (int i = 0; i < 2; ++i) {
    auto stream = (*pool)->CreateLandmarker(VideoOptions());
    ASSERT_TRUE(stream.ok()) << stream.status().message();
    EXPECT_EQ((*stream)->engine_index(), 0);
    streams.push_back(std::move(stream).value());
  }
  EXPECT_EQ((*pool)->stats().engines[0].streams_total, 5);
  HandLandmarkerOptions live = VideoOptions();
  live.running_mode = RunningMode::kLiveStream;
  live.result_callback = [](Result<HandLandmarkerResult>, const ImageView&, int64_t) {};
  EXPECT_EQ((*pool)->CreateLandmarker(live).status().code(), StatusCode::kInvalidArgument);
}

// Two engines batching up to max_batch frames; the second fails from its 9th run on. Its
// stream finishes on the first engine with the results of an unfaulted run, and the other
// stream is unaffected. Each stream gives frames_per_call frames per call (TrackPooled).
void ExpectFaultedStreamTakenOver(int max_batch, size_t frames_per_call) {
  const Delegate cpu = CpuDelegate();
  const std::vector<VideoFrame> frames = LoadFrames(kVideo, 24);
  ASSERT_EQ(frames.size(), 24u);
  const std::vector<HandLandmarkerResult> want = TrackAlone(frames, cpu);
  EnginePoolOptions options;
  options.engines = {EngineOptions(cpu), EngineOptions(cpu, 8, cpu.name())};
  for (HandEngineOptions& engine : options.engines) engine.max_batch = max_batch;
  std::vector<std::string> events;
  std::mutex events_mutex;
  options.on_event = [&](const std::string& line) {
    std::lock_guard lock(events_mutex);
    events.push_back(line);
  };
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  auto first = (*pool)->CreateLandmarker(VideoOptions());
  auto second = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ((*first)->engine_index(), 0);
  ASSERT_EQ((*second)->engine_index(), 1);
  std::vector<Result<HandLandmarkerResult>> got[2];
  std::thread other([&] { got[0] = TrackPooled(**first, frames, frames_per_call); });
  got[1] = TrackPooled(**second, frames, frames_per_call);
  other.join();
  for (int s = 0; s < 2; ++s) {
    ASSERT_EQ(got[s].size(), frames.size());
    for (size_t f = 0; f < frames.size(); ++f) {
      ASSERT_TRUE(got[s][f].ok()) << "stream " << s << " frame " << f << ": " << got[s][f].status().message();
      ExpectClose(*got[s][f], want[f], 0.0f, "stream " + std::to_string(s) + " frame " + std::to_string(f));
    }
  }
  EXPECT_EQ((*first)->take_overs(), 0);
  EXPECT_EQ((*second)->take_overs(), 1);
  EXPECT_EQ((*second)->engine_index(), 0);
  const EnginePoolStats stats = (*pool)->stats();
  EXPECT_EQ(stats.take_overs, 1);
  EXPECT_TRUE(stats.engines[1].failed);
  EXPECT_NE(stats.engines[1].failure.find("fault injected"), std::string::npos) << stats.engines[1].failure;
  EXPECT_EQ(stats.engines[0].streams, 2);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_NE(events[0].find("engine 1"), std::string::npos) << events[0];
  EXPECT_NE(events[0].find("moved to engine 0"), std::string::npos) << events[0];
  EXPECT_EQ(events[0].find('\n'), std::string::npos);
  // New streams avoid the failed engine.
  auto third = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(third.ok());
  EXPECT_EQ((*third)->engine_index(), 0);
  if (frames_per_call > 1) {
    EXPECT_GT(stats.Total().palm.max_frames_per_run, 1) << "palm detection did not run ahead";
  }
}

TEST(EnginePoolTest, FaultedEngineStreamIsTakenOverByTheOther) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  ExpectFaultedStreamTakenOver(/*max_batch=*/1, /*frames_per_call=*/1);
}

// The same with DetectForVideoFrames on batching engines (palm detection runs ahead for the
// frames of a call): the stream goes on on the first engine from the frame that failed.
TEST(EnginePoolTest, FramesAtOnceAreTakenOverFromTheFrameThatFailed) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  ExpectFaultedStreamTakenOver(/*max_batch=*/4, /*frames_per_call=*/6);
}

// Every engine fails: the stream finishes on the fallback (the reference backend here), from
// the frame that failed on; without a fallback, the frame's error comes back.
TEST(EnginePoolTest, WhenEveryEngineFailsTheFallbackFinishes) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const Delegate cpu = CpuDelegate();
  const std::vector<VideoFrame> frames = LoadFrames(kVideo, 12);
  ASSERT_EQ(frames.size(), 12u);
  const std::vector<HandLandmarkerResult> want = TrackAlone(frames, cpu);
  EnginePoolOptions options;
  options.engines = {EngineOptions(cpu, 4, cpu.name()), EngineOptions(cpu, 0, cpu.name())};
  options.fallback = EngineOptions(Delegate::kReference);
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  EXPECT_FALSE((*pool)->stats().engines[2].created) << "the fallback is made only when needed";
  auto stream = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(stream.ok());
  const auto got = TrackPooled(**stream, frames);
  for (size_t f = 0; f < frames.size(); ++f) {
    ASSERT_TRUE(got[f].ok()) << "frame " << f << ": " << got[f].status().message();
    // The first frames ran on xnnpack, the rest on the reference kernels (the same within float noise).
    ExpectClose(*got[f], want[f], cpu == Delegate::kReference ? 0.0f : 1e-3f, "frame " + std::to_string(f));
  }
  EXPECT_EQ((*stream)->engine_index(), 2);
  EXPECT_EQ((*stream)->take_overs(), 2);  // engine 0, then engine 1 (failing at once), then the fallback
  const EnginePoolStats stats = (*pool)->stats();
  EXPECT_TRUE(stats.engines[2].created);
  EXPECT_GT(stats.engines[2].engine.palm.runs + stats.engines[2].engine.landmarks.runs, 0);

  EnginePoolOptions no_fallback;
  no_fallback.engines = {EngineOptions(cpu, 2, cpu.name())};
  auto alone = EnginePool::Create(no_fallback);
  ASSERT_TRUE(alone.ok());
  auto doomed = (*alone)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(doomed.ok());
  const auto failed = TrackPooled(**doomed, frames);
  EXPECT_TRUE(failed[0].ok());
  const auto last = failed.back();
  ASSERT_FALSE(last.ok());
  EXPECT_NE(last.status().message().find("fault injected"), std::string::npos) << last.status().message();
  EXPECT_NE(last.status().message().find("no engine of the pool is left"), std::string::npos)
      << last.status().message();
}

// The caller's errors are not the engine's: no take-over.
TEST(EnginePoolTest, InputErrorsAreNotTakenOver) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const std::vector<VideoFrame> frames = LoadFrames(kVideo, 2);
  ASSERT_EQ(frames.size(), 2u);
  EnginePoolOptions options;
  options.engines = {EngineOptions(CpuDelegate()), EngineOptions(CpuDelegate())};
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok());
  auto stream = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(stream.ok());
  ASSERT_TRUE((*stream)->DetectForVideo(frames[1].image.view(), frames[1].timestamp_ms).ok());
  auto late = (*stream)->DetectForVideo(frames[0].image.view(), frames[0].timestamp_ms);
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*stream)->take_overs(), 0);
  EXPECT_EQ((*pool)->stats().take_overs, 0);
}

// A frame that failed leaves no trace (its timestamp included): given again after UseEngine
// it gives what an unfaulted landmarker gives.
TEST(EnginePoolTest, UseEngineKeepsTheTrackingState) {
  HT_REQUIRE_FIXTURE(HaveFixtures(), "models and ../shared");
  const Delegate cpu = CpuDelegate();
  const std::vector<VideoFrame> frames = LoadFrames(kVideo, 10);
  ASSERT_EQ(frames.size(), 10u);
  const std::vector<HandLandmarkerResult> want = TrackAlone(frames, cpu);
  std::atomic<bool> broken{false};
  HandEngineOptions faulty = EngineOptions(cpu);
  faulty.model.fault_hook = [&](std::string_view, std::string_view stage) {
    return broken && stage == "run";
  };
  auto engine = HandEngine::Create(faulty);
  auto spare = HandEngine::Create(EngineOptions(cpu));
  ASSERT_TRUE(engine.ok() && spare.ok());
  HandLandmarkerOptions options = VideoOptions();
  options.engine = *engine;
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_TRUE(landmarker.ok());
  for (size_t f = 0; f < frames.size(); ++f) {
    if (f == 5) {
      broken = true;
      auto failed = (*landmarker)->DetectForVideo(frames[f].image.view(), frames[f].timestamp_ms);
      ASSERT_FALSE(failed.ok());
      ASSERT_TRUE((*landmarker)->UseEngine(*spare).ok());
      EXPECT_EQ((*landmarker)->options().engine, *spare);
    }
    auto result = (*landmarker)->DetectForVideo(frames[f].image.view(), frames[f].timestamp_ms);
    ASSERT_TRUE(result.ok()) << "frame " << f << ": " << result.status().message();
    ExpectClose(*result, want[f], 0.0f, "frame " + std::to_string(f));
  }
  EXPECT_EQ((*landmarker)->UseEngine(nullptr).code(), StatusCode::kInvalidArgument);
  HandEngineOptions lite = EngineOptions(cpu);
  lite.model.variant = ModelVariant::kLite;
  auto lite_engine = HandEngine::Create(lite);
  if (lite_engine.ok()) {
    EXPECT_EQ((*landmarker)->UseEngine(*lite_engine).code(), StatusCode::kInvalidArgument);
  }
}

}  // namespace
}  // namespace handtrack
