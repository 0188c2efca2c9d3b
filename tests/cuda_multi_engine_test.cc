// Several engines on GPUs (docs/CUDA.md "Several GPUs"), on whatever GPUs the machine has
// (one is enough): device selection (GPU 0 works, the index past the last fails with one
// line naming it), ListGpus, and EnginePool take-over with two engines on GPU 0, one of
// them faulted: its stream finishes on the other with the results of an unfaulted run
// (within 1e-5); with every GPU engine faulted, on the CPU. Skipped (GTEST_SKIP) where no
// GPU is usable. Needs only libhandtrack (the GPU machine has no image libraries): the
// frames are one binary PPM photo (tests/raw_image_pack.cc), shifted a little each frame,
// named by HANDTRACK_TEST_PPM; the models come from HANDTRACK_MODELS as everywhere.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>

#include "handtrack/engine_pool.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/models.h"
#include "landmarker_expect.h"

namespace handtrack {
namespace {

struct Frame {
  int width = 0, height = 0;
  std::vector<uint8_t> pixels;  // RGB
  int64_t timestamp_ms = 0;
  ImageView view() const { return ImageView::Packed(pixels.data(), width, height, PixelFormat::kRGB); }
};

// The photo of HANDTRACK_TEST_PPM, moved right by 2 px per frame (edge pixels repeated): a
// video in which the hands move a little, so that frames after the first are tracked.
std::vector<Frame> LoadFrames(int count) {
  const char* path = std::getenv("HANDTRACK_TEST_PPM");
  if (path == nullptr || *path == '\0') return {};
  std::ifstream file(path, std::ios::binary);
  std::string magic;
  Frame photo;
  int max_value = 0;
  file >> magic >> photo.width >> photo.height >> max_value;
  file.get();
  if (!file || magic != "P6" || max_value != 255 || photo.width <= 0 || photo.height <= 0) return {};
  photo.pixels.resize(static_cast<size_t>(photo.width) * photo.height * 3);
  file.read(reinterpret_cast<char*>(photo.pixels.data()), static_cast<std::streamsize>(photo.pixels.size()));
  if (!file) return {};
  std::vector<Frame> frames;
  for (int f = 0; f < count; ++f) {
    Frame frame = photo;
    frame.timestamp_ms = f * 33;
    for (int y = 0; y < photo.height; ++y) {
      for (int x = 0; x < photo.width; ++x) {
        const int from = std::max(0, x - 2 * f);
        for (int c = 0; c < 3; ++c) {
          frame.pixels[(static_cast<size_t>(y) * photo.width + x) * 3 + c] =
              photo.pixels[(static_cast<size_t>(y) * photo.width + from) * 3 + c];
        }
      }
    }
    frames.push_back(std::move(frame));
  }
  return frames;
}

// Skips the test unless a GPU is usable; returns the list.
#define REQUIRE_GPU(list)                                                                                \
  const GpuList list = ListGpus();                                                                       \
  if (list.gpus.empty() || !list.gpus.front().usable) {                                                  \
    GTEST_SKIP() << "no usable GPU: " << (list.gpus.empty() ? list.why_none : list.gpus.front().detail); \
  }

#define REQUIRE_FRAMES(frames, count)                  \
  const std::vector<Frame> frames = LoadFrames(count); \
  if (frames.empty()) GTEST_SKIP() << "no photo: set HANDTRACK_TEST_PPM to a binary PPM file"

Delegate CpuDelegate() {
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == "xnnpack" && backend.available) return Delegate::kXnnpack;
  }
  return Delegate::kReference;
}

// On GPU 0; its "cuda:STAGE" fails from the (after + 1)th check on when after >= 0.
HandEngineOptions GpuEngine(int64_t after = -1, std::string stage = "run") {
  HandEngineOptions options;
  options.model.delegate = Delegate::kCuda;
  options.model.device = 0;
  options.model.precision = Precision::kFp32;  // compared with the CPU's float32 below
  options.max_batch = 4;
  if (after >= 0) {
    auto checks = std::make_shared<std::atomic<int64_t>>(0);
    options.model.fault_hook = [=](std::string_view backend, std::string_view s) {
      return backend == "cuda" && s == stage && checks->fetch_add(1) >= after;
    };
  }
  return options;
}

using testing::ExpectClose;
using testing::VideoOptions;

// The frames through one landmarker on one unfaulted GPU engine.
std::vector<HandLandmarkerResult> TrackAlone(const std::vector<Frame>& frames) {
  std::vector<HandLandmarkerResult> results;
  auto engine = HandEngine::Create(GpuEngine());
  EXPECT_TRUE(engine.ok()) << engine.status().message();
  if (!engine.ok()) return results;
  HandLandmarkerOptions options = VideoOptions();
  options.engine = *engine;
  auto landmarker = HandLandmarker::Create(options);
  EXPECT_TRUE(landmarker.ok()) << landmarker.status().message();
  if (!landmarker.ok()) return results;
  for (const Frame& frame : frames) {
    auto result = (*landmarker)->DetectForVideo(frame.view(), frame.timestamp_ms);
    EXPECT_TRUE(result.ok()) << result.status().message();
    results.push_back(result.ok() ? *result : HandLandmarkerResult{});
  }
  return results;
}

std::vector<Result<HandLandmarkerResult>> TrackPooled(PooledLandmarker& landmarker,
                                                      const std::vector<Frame>& frames) {
  std::vector<Result<HandLandmarkerResult>> results;
  for (const Frame& frame : frames)
    results.push_back(landmarker.DetectForVideo(frame.view(), frame.timestamp_ms));
  return results;
}

TEST(CudaMultiEngineTest, ListGpusListsAUsableGpu) {
  REQUIRE_GPU(gpus);
  for (const GpuInfo& gpu : gpus.gpus) {
    std::printf("gpu %d: %s, %s, %.1f / %.1f GiB, compute %d, %s\n", gpu.index, gpu.backend.c_str(),
                gpu.name.c_str(), gpu.memory_total_bytes / 1073741824.0, gpu.memory_free_bytes / 1073741824.0,
                gpu.compute_capability, gpu.detail.c_str());
    EXPECT_FALSE(gpu.name.empty());
    EXPECT_GT(gpu.memory_total_bytes, 0);
    EXPECT_GT(gpu.compute_capability, 0);
    if (gpu.usable) {
      EXPECT_GT(gpu.memory_free_bytes, 0);
      EXPECT_EQ(gpu.detail, "ready");
    }
  }
}

TEST(CudaMultiEngineTest, DeviceSelection) {
  REQUIRE_GPU(gpus);
  REQUIRE_FRAMES(frames, 1);
  HandEngineOptions options = GpuEngine();
  for (int device = 0; device < static_cast<int>(gpus.gpus.size()); ++device) {
    if (!gpus.gpus[device].usable) continue;
    options.model.device = device;
    auto engine = HandEngine::Create(options);
    ASSERT_TRUE(engine.ok()) << "GPU " << device << ": " << engine.status().message();
    HandLandmarkerOptions image = VideoOptions();
    image.running_mode = RunningMode::kImage;
    image.engine = *engine;
    auto landmarker = HandLandmarker::Create(image);
    ASSERT_TRUE(landmarker.ok());
    auto result = (*landmarker)->Detect(frames[0].view());
    ASSERT_TRUE(result.ok()) << "GPU " << device << ": " << result.status().message();
    EXPECT_FALSE(result->hands.empty()) << "GPU " << device;
    EXPECT_NE((*engine)->DescribePlan().find("cuda"), std::string::npos);
  }
  const int count = static_cast<int>(gpus.gpus.size());
  options.model.device = count;
  auto missing = HandEngine::Create(options);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kInvalidArgument);
  const std::string expected =
      "CUDA device " + std::to_string(count) + " does not exist (" + std::to_string(count) + " found)";
  EXPECT_NE(missing.status().message().find(expected), std::string::npos) << missing.status().message();
  ModelRunner::Options runner;
  runner.delegate = Delegate::kCuda;
  runner.device = count;
  const char* models = std::getenv("HANDTRACK_MODELS");
  auto bad_runner =
      ModelRunner::Create(ResolveModelDir(models ? models : "") + "/palm_detection_full.tflite", runner);
  ASSERT_FALSE(bad_runner.ok());
  EXPECT_NE(bad_runner.status().message().find(expected), std::string::npos) << bad_runner.status().message();
}

// Two engines on GPU 0, the second failing from its 7th run on: two concurrent streams, one
// per engine; the second's finishes on the first engine, both equal to an unfaulted run.
TEST(CudaMultiEngineTest, FaultedEngineOnOneGpuIsTakenOverByTheOther) {
  REQUIRE_GPU(gpus);
  REQUIRE_FRAMES(frames, 16);
  const std::vector<HandLandmarkerResult> want = TrackAlone(frames);
  ASSERT_EQ(want.size(), frames.size());
  EnginePoolOptions options;
  options.engines = {GpuEngine(), GpuEngine(6)};
  std::vector<std::string> events;
  std::mutex mutex;
  options.on_event = [&](const std::string& line) {
    std::lock_guard lock(mutex);
    events.push_back(line);
    std::printf("event: %s\n", line.c_str());
  };
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  auto first = (*pool)->CreateLandmarker(VideoOptions());
  auto second = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(first.ok() && second.ok());
  ASSERT_EQ((*second)->engine_index(), 1);
  std::vector<Result<HandLandmarkerResult>> got[2];
  std::thread other([&] { got[0] = TrackPooled(**first, frames); });
  got[1] = TrackPooled(**second, frames);
  other.join();
  for (int s = 0; s < 2; ++s) {
    for (size_t f = 0; f < frames.size(); ++f) {
      ASSERT_TRUE(got[s][f].ok()) << "stream " << s << " frame " << f << ": " << got[s][f].status().message();
      ExpectClose(*got[s][f], want[f], 1e-5f, "stream " + std::to_string(s) + " frame " + std::to_string(f));
    }
  }
  EXPECT_EQ((*second)->take_overs(), 1);
  EXPECT_EQ((*second)->engine_index(), 0);
  const EnginePoolStats stats = (*pool)->stats();
  EXPECT_EQ(stats.take_overs, 1);
  EXPECT_TRUE(stats.engines[1].failed);
  EXPECT_EQ(events.size(), 1u);
}

// Every GPU engine fails (one at its 4th run, one at once): the stream finishes on the CPU.
TEST(CudaMultiEngineTest, WhenEveryGpuEngineFailsTheCpuFinishes) {
  REQUIRE_GPU(gpus);
  REQUIRE_FRAMES(frames, 10);
  const std::vector<HandLandmarkerResult> want = TrackAlone(frames);
  EnginePoolOptions options;
  options.engines = {GpuEngine(3), GpuEngine(0)};
  options.fallback = HandEngineOptions{};
  options.fallback->model.delegate = CpuDelegate();
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  auto stream = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(stream.ok());
  const auto got = TrackPooled(**stream, frames);
  for (size_t f = 0; f < frames.size(); ++f) {
    ASSERT_TRUE(got[f].ok()) << "frame " << f << ": " << got[f].status().message();
    // The CPU's float32 kernels against the GPU's: the same hands, landmarks within 1e-2.
    // Per model run they differ by about 1e-5, but tracking feeds each frame's landmarks into
    // the next frame's crop, so the difference grows along the sequence (2.5e-3 by frame 8 on
    // the H200).
    ExpectClose(*got[f], want[f], 1e-2f, "frame " + std::to_string(f));
  }
  EXPECT_EQ((*stream)->engine_index(), 2);
  EXPECT_TRUE((*pool)->stats().engines[2].created);
}

// An engine that runs out of GPU memory while loading (the fault cuda:oom) is retired at
// once; the pool serves from the other.
TEST(CudaMultiEngineTest, EngineOutOfMemoryAtLoadIsRetired) {
  REQUIRE_GPU(gpus);
  REQUIRE_FRAMES(frames, 2);
  EnginePoolOptions options;
  options.engines = {GpuEngine(), GpuEngine()};
  options.engines[1].model.inject_faults = "cuda:oom";
  std::vector<std::string> events;
  options.on_event = [&](const std::string& line) { events.push_back(line); };
  auto pool = EnginePool::Create(options);
  ASSERT_TRUE(pool.ok()) << pool.status().message();
  const EnginePoolStats stats = (*pool)->stats();
  EXPECT_TRUE(stats.engines[1].failed);
  EXPECT_NE(stats.engines[1].failure.find("fault injected: cuda:oom"), std::string::npos)
      << stats.engines[1].failure;
  ASSERT_EQ(events.size(), 1u);
  auto stream = (*pool)->CreateLandmarker(VideoOptions());
  ASSERT_TRUE(stream.ok());
  EXPECT_EQ((*stream)->engine_index(), 0);
  EXPECT_TRUE((*stream)->DetectForVideo(frames[0].view(), 0).ok());
}

}  // namespace
}  // namespace handtrack
