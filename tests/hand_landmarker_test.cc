// HandLandmarker API behaviour on real photos and bad arguments.
#include "handtrack/hand_landmarker.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <thread>

#include "handtrack/gpu_frame.h"
#include "handtrack/hand_engine.h"
#include "handtrack/image_io.h"
#include "test_support.h"

namespace handtrack {
namespace {

HandLandmarkerOptions Options(Delegate delegate = Delegate::kAuto) {
  HandLandmarkerOptions options;
  options.num_hands = 2;
  options.model.delegate = delegate;
  return options;
}

Image LoadPhoto(const std::string& name) {
  auto image = ReadImageFile(testing::SharedDir() + "/data/hands/images/" + name);
  EXPECT_TRUE(image.ok()) << image.status().message();
  return image.ok() ? std::move(image).value() : Image();
}

TEST(HandLandmarkerTest, RejectsBadOptions) {
  HandLandmarkerOptions options = Options();
  options.num_hands = 0;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
  options = Options();
  options.min_hand_detection_confidence = 1.5f;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
  options = Options();
  options.model.num_threads = 0;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
}

TEST(HandLandmarkerTest, MissingModelsSayWhatToDo) {
  HandLandmarkerOptions options = Options();
  options.model.model_dir = "/nonexistent/models";
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_EQ(landmarker.status().code(), StatusCode::kNotFound);
  EXPECT_NE(landmarker.status().message().find("/nonexistent/models/palm_detection_full.tflite"),
            std::string::npos);
  EXPECT_NE(landmarker.status().message().find("fetch_models"), std::string::npos);
}

TEST(HandLandmarkerTest, WrongModeIsFailedPrecondition) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kVideo;
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  Image black(64, 48, PixelFormat::kRGB);
  EXPECT_EQ((*landmarker)->Detect(black.view()).status().code(), StatusCode::kFailedPrecondition);
}

TEST(HandLandmarkerTest, RejectsInvalidImageView) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  auto landmarker = HandLandmarker::Create(Options());
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  ImageView empty;
  EXPECT_EQ((*landmarker)->Detect(empty).status().code(), StatusCode::kInvalidArgument);
  uint8_t pixels[12] = {};
  ImageView short_stride{pixels, 2, 2, 3, PixelFormat::kRGB};
  EXPECT_EQ((*landmarker)->Detect(short_stride).status().code(), StatusCode::kInvalidArgument);
}

TEST(HandLandmarkerTest, BlackImageHasNoHands) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  auto landmarker = HandLandmarker::Create(Options());
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  Image black(640, 480, PixelFormat::kRGB);
  auto result = (*landmarker)->Detect(black.view());
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->hands.empty());
}

TEST(HandLandmarkerTest, FindsOneHandAndMirroredSwapsTheLabel) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image photo = LoadPhoto("thumbs_up_white_background_01.jpg");
  auto landmarker = HandLandmarker::Create(Options());
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  auto result = (*landmarker)->Detect(photo.view());
  ASSERT_TRUE(result.ok()) << result.status().message();
  ASSERT_EQ(result->hands.size(), 1u);
  const HandResult& hand = result->hands[0];
  EXPECT_GT(hand.presence, 0.5f);
  for (const auto& p : hand.landmarks) {
    EXPECT_GT(p.x, -0.1f);
    EXPECT_LT(p.x, 1.1f);
  }
  HandLandmarkerOptions mirrored = Options();
  mirrored.mirrored = true;
  auto mirrored_landmarker = HandLandmarker::Create(mirrored);
  ASSERT_TRUE(mirrored_landmarker.ok());
  auto mirrored_result = (*mirrored_landmarker)->Detect(photo.view());
  ASSERT_TRUE(mirrored_result.ok());
  ASSERT_EQ(mirrored_result->hands.size(), 1u);
  EXPECT_NE(mirrored_result->hands[0].handedness.label, hand.handedness.label);
  EXPECT_FLOAT_EQ(mirrored_result->hands[0].handedness.model_output, hand.handedness.model_output);
}

// BGRA with padded rows must give the same answer as packed RGB.
TEST(HandLandmarkerTest, PixelFormatsAndStridesAgree) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image photo = LoadPhoto("victory_palm_facing_01.jpg");
  const int stride = photo.width() * 4 + 32;
  std::vector<uint8_t> bgra(static_cast<size_t>(stride) * photo.height());
  for (int y = 0; y < photo.height(); ++y) {
    for (int x = 0; x < photo.width(); ++x) {
      const uint8_t* src = photo.data() + (static_cast<size_t>(y) * photo.width() + x) * 3;
      uint8_t* dst = bgra.data() + static_cast<size_t>(y) * stride + x * 4;
      dst[0] = src[2];
      dst[1] = src[1];
      dst[2] = src[0];
      dst[3] = 255;
    }
  }
  auto landmarker = HandLandmarker::Create(Options());
  ASSERT_TRUE(landmarker.ok());
  auto rgb = (*landmarker)->Detect(photo.view());
  auto other =
      (*landmarker)
          ->Detect(ImageView{bgra.data(), photo.width(), photo.height(), stride, PixelFormat::kBGRA});
  ASSERT_TRUE(rgb.ok() && other.ok());
  ASSERT_EQ(rgb->hands.size(), other->hands.size());
  ASSERT_FALSE(rgb->hands.empty());
  for (size_t h = 0; h < rgb->hands.size(); ++h) {
    for (int i = 0; i < kNumHandLandmarks; ++i) {
      EXPECT_NEAR(rgb->hands[h].landmarks[i].x, other->hands[h].landmarks[i].x, 1e-5);
      EXPECT_NEAR(rgb->hands[h].landmarks[i].y, other->hands[h].landmarks[i].y, 1e-5);
    }
  }
}

TEST(HandLandmarkerVideoTest, TimestampsMustIncrease) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kVideo;
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  Image black(64, 48, PixelFormat::kRGB);
  ASSERT_TRUE((*landmarker)->DetectForVideo(black.view(), 10).ok());
  EXPECT_EQ((*landmarker)->DetectForVideo(black.view(), 10).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ((*landmarker)->DetectForVideo(black.view(), 5).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE((*landmarker)->DetectForVideo(black.view(), 11).ok());
  EXPECT_EQ((*landmarker)->Detect(black.view()).status().code(), StatusCode::kFailedPrecondition);
}

// The same still frame again and again: the hand is tracked (no palm detection
// after the first frame) and keeps its id.
TEST(HandLandmarkerVideoTest, TrackedHandKeepsItsId) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image photo = LoadPhoto("thumbs_up_white_background_01.jpg");
  HandLandmarkerOptions options = Options();
  options.num_hands = 1;
  options.running_mode = RunningMode::kVideo;
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_TRUE(landmarker.ok());
  std::set<int> ids;
  for (int frame = 0; frame < 5; ++frame) {
    auto result = (*landmarker)->DetectForVideo(photo.view(), frame * 33);
    ASSERT_TRUE(result.ok()) << result.status().message();
    ASSERT_EQ(result->hands.size(), 1u) << "frame " << frame;
    EXPECT_EQ(result->palm_detection_ran, frame == 0) << "frame " << frame;
    ids.insert(result->hands[0].id);
  }
  EXPECT_EQ(ids.size(), 1u);
  // Lost (a black frame), then found again: a new id.
  Image black(photo.width(), photo.height(), PixelFormat::kRGB);
  auto lost = (*landmarker)->DetectForVideo(black.view(), 1000);
  ASSERT_TRUE(lost.ok());
  EXPECT_TRUE(lost->hands.empty());
  auto again = (*landmarker)->DetectForVideo(photo.view(), 1033);
  ASSERT_TRUE(again.ok());
  ASSERT_EQ(again->hands.size(), 1u);
  EXPECT_EQ(ids.count(again->hands[0].id), 0u);
}

// palm_detection_interval: a still one-hand photo with num_hands 2 runs palm
// detection on every frame by default (MediaPipe's rule) and on every Nth frame
// with N, with the same landmarks on every frame.
TEST(HandLandmarkerVideoTest, PalmDetectionIntervalSkipsFramesNotLandmarks) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image photo = LoadPhoto("thumbs_up_white_background_01.jpg");
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kVideo;
  auto every_frame = HandLandmarker::Create(options);
  options.palm_detection_interval = 4;
  auto every_fourth = HandLandmarker::Create(options);
  ASSERT_TRUE(every_frame.ok() && every_fourth.ok());
  for (int frame = 0; frame < 10; ++frame) {
    auto a = (*every_frame)->DetectForVideo(photo.view(), frame * 33);
    auto b = (*every_fourth)->DetectForVideo(photo.view(), frame * 33);
    ASSERT_TRUE(a.ok() && b.ok());
    ASSERT_EQ(a->hands.size(), 1u) << "frame " << frame;
    ASSERT_EQ(b->hands.size(), 1u) << "frame " << frame;
    ASSERT_GT(b->hands[0].presence, kPalmRedetectPresence) << "frame " << frame;
    EXPECT_TRUE(a->palm_detection_ran) << "frame " << frame;
    EXPECT_EQ(b->palm_detection_ran, frame % 4 == 0) << "frame " << frame;
    for (int i = 0; i < kNumHandLandmarks; ++i) {
      EXPECT_EQ(a->hands[0].landmarks[i].x, b->hands[0].landmarks[i].x) << "frame " << frame;
      EXPECT_EQ(a->hands[0].landmarks[i].y, b->hands[0].landmarks[i].y) << "frame " << frame;
    }
  }
  // The hand is lost on frame 10 (tracking only: not palm detection's turn), so
  // palm detection runs on every frame after it while nothing is tracked.
  Image black(photo.width(), photo.height(), PixelFormat::kRGB);
  for (int frame = 10; frame < 13; ++frame) {
    auto b = (*every_fourth)->DetectForVideo(black.view(), frame * 33);
    ASSERT_TRUE(b.ok());
    EXPECT_TRUE(b->hands.empty());
    EXPECT_EQ(b->palm_detection_ran, frame > 10) << "frame " << frame;
  }
  options.palm_detection_interval = 0;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
  options.palm_detection_interval = 1001;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
}

// A frame "on a GPU" that the CPU engine cannot read there: the landmarker asks for its host
// pixels (once per frame, however many models need them) and must give what the same pixels
// give as an ordinary image; a frame whose copy fails gets that error, and the frames after it
// are not processed.
class HostBackedGpuFrame final : public GpuFrame {
 public:
  // NV12 of `rgb` (BT.601 limited range, each 2x2 block's mean chroma): test data only.
  explicit HostBackedGpuFrame(const Image& rgb) {
    const int w = rgb.width(), h = rgb.height();
    luma_.resize(static_cast<size_t>(w) * h);
    chroma_.resize(static_cast<size_t>((w + 1) / 2 * 2) * ((h + 1) / 2));
    for (int y = 0; y < h; ++y) {
      for (int x = 0; x < w; ++x) {
        const uint8_t* p = rgb.data() + (static_cast<size_t>(y) * w + x) * 3;
        luma_[y * w + x] = static_cast<uint8_t>(16.5 + 0.257 * p[0] + 0.504 * p[1] + 0.098 * p[2]);
      }
    }
    for (int y = 0; y < h; y += 2) {
      for (int x = 0; x < w; x += 2) {
        const uint8_t* p = rgb.data() + (static_cast<size_t>(y) * w + x) * 3;
        uint8_t* uv = chroma_.data() + (y / 2) * ((w + 1) / 2 * 2) + x;
        uv[0] = static_cast<uint8_t>(128.5 - 0.148 * p[0] - 0.291 * p[1] + 0.439 * p[2]);
        uv[1] = static_cast<uint8_t>(128.5 + 0.439 * p[0] - 0.368 * p[1] - 0.071 * p[2]);
      }
    }
    view_ = Nv12View{luma_.data(), chroma_.data(), w, h, w, (w + 1) / 2 * 2, YuvMatrix::kBt601, false};
  }
  const Nv12View& nv12() const override { return view_; }
  int cuda_device() const override { return 0; }
  Result<Image> ToHostRgb() const override {
    ++copies;
    if (broken) return UnavailableError("failed to copy frame 7 of test.mp4 from the GPU: device lost");
    Image rgb(view_.width, view_.height, PixelFormat::kRGB);
    ConvertNv12ToRgb(view_, rgb.data());
    return rgb;
  }
  mutable std::atomic<int> copies{0};
  bool broken = false;

 private:
  std::vector<uint8_t> luma_, chroma_;
  Nv12View view_;
};

TEST(HandLandmarkerVideoTest, GpuFramesOnACpuEngineGiveTheResultsOfTheirHostPixels) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image one = LoadPhoto("finger_gun_horizontal_01.jpg");
  const Image two = LoadPhoto("two_hands_L_shapes_torso_01.jpg");
  ASSERT_FALSE(one.empty() || two.empty());
  std::vector<std::unique_ptr<HostBackedGpuFrame>> gpu_frames;
  std::vector<Image> host_frames;
  for (const Image* photo : {&one, &one, &two, &two, &one}) {
    gpu_frames.push_back(std::make_unique<HostBackedGpuFrame>(*photo));
    Result<Image> host = gpu_frames.back()->ToHostRgb();
    ASSERT_TRUE(host.ok());
    host_frames.push_back(std::move(host).value());
    gpu_frames.back()->copies = 0;
  }
  HandEngineOptions engine_options;
  engine_options.max_batch = 4;  // palm detection ahead for the window (DetectForVideoFrames)
  Result<std::shared_ptr<HandEngine>> engine = HandEngine::Create(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kVideo;
  options.engine = *engine;
  auto from_gpu = HandLandmarker::Create(options);
  auto from_host = HandLandmarker::Create(options);
  ASSERT_TRUE(from_gpu.ok() && from_host.ok());
  std::vector<VideoFrameView> gpu_views, host_views;
  for (size_t i = 0; i < gpu_frames.size(); ++i) {
    // The image of a GPU frame is ignored: an empty one must do.
    gpu_views.push_back({ImageView{}, static_cast<int64_t>(i) * 33, gpu_frames[i].get()});
    host_views.push_back({host_frames[i].view(), static_cast<int64_t>(i) * 33});
  }
  const auto a = (*from_gpu)->DetectForVideoFrames(gpu_views);
  const auto b = (*from_host)->DetectForVideoFrames(host_views);
  ASSERT_EQ(a.size(), b.size());
  int hands = 0;
  for (size_t f = 0; f < a.size(); ++f) {
    ASSERT_TRUE(a[f].ok()) << "frame " << f << ": " << a[f].status().message();
    ASSERT_TRUE(b[f].ok()) << "frame " << f << ": " << b[f].status().message();
    EXPECT_EQ(a[f]->palm_detection_ran, b[f]->palm_detection_ran) << "frame " << f;
    ASSERT_EQ(a[f]->hands.size(), b[f]->hands.size()) << "frame " << f;
    for (size_t h = 0; h < a[f]->hands.size(); ++h, ++hands) {
      EXPECT_EQ(a[f]->hands[h].id, b[f]->hands[h].id);
      for (int k = 0; k < kNumHandLandmarks; ++k) {
        EXPECT_EQ(a[f]->hands[h].landmarks[k].x, b[f]->hands[h].landmarks[k].x) << "frame " << f;
        EXPECT_EQ(a[f]->hands[h].landmarks[k].y, b[f]->hands[h].landmarks[k].y) << "frame " << f;
      }
    }
    EXPECT_EQ(gpu_frames[f]->copies, 1) << "frame " << f << ": one host copy for both models";
  }
  // One hand, then two (found on the second two-hand frame); the photos differ in size, so the
  // last frame's tracked regions miss: what matters is that both paths agree on it all.
  EXPECT_GE(hands, 5);
  EXPECT_EQ(a[3]->hands.size(), 2u);

  // A frame whose host copy fails: its error, the rest not processed, nothing crashes.
  HostBackedGpuFrame broken(one);
  broken.broken = true;
  const std::vector<VideoFrameView> failing = {{ImageView{}, 1000, &broken}, {host_frames[0].view(), 1033}};
  const auto failed = (*from_gpu)->DetectForVideoFrames(failing);
  ASSERT_EQ(failed.size(), 2u);
  ASSERT_FALSE(failed[0].ok());
  EXPECT_NE(failed[0].status().message().find("device lost"), std::string::npos)
      << failed[0].status().message();
  EXPECT_FALSE(failed[1].ok());
  // The failed frame left no trace: the same timestamp works with a good frame.
  const auto retried =
      (*from_gpu)->DetectForVideoFrames(std::vector<VideoFrameView>{{host_frames[0].view(), 1000}});
  ASSERT_TRUE(retried[0].ok()) << retried[0].status().message();

  // A GPU frame with broken planes is refused like a bad image.
  HostBackedGpuFrame empty(one);
  Nv12View* planes = const_cast<Nv12View*>(&empty.nv12());
  planes->luma = nullptr;
  const auto refused =
      (*from_gpu)->DetectForVideoFrames(std::vector<VideoFrameView>{{ImageView{}, 2000, &empty}});
  EXPECT_EQ(refused[0].status().code(), StatusCode::kInvalidArgument);
}

TEST(HandLandmarkerLiveStreamTest, NeedsACallback) {
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kLiveStream;
  EXPECT_EQ(HandLandmarker::Create(options).status().code(), StatusCode::kInvalidArgument);
}

// Every accepted frame is either delivered exactly once or counted as dropped,
// in timestamp order, and Close() delivers what was queued.
TEST(HandLandmarkerLiveStreamTest, DeliversOrDropsEveryFrameOnce) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  const Image photo = LoadPhoto("victory_palm_facing_01.jpg");
  std::mutex mutex;
  std::vector<int64_t> delivered;
  int with_hands = 0;
  HandLandmarkerOptions options = Options();
  options.running_mode = RunningMode::kLiveStream;
  options.result_callback = [&](Result<HandLandmarkerResult> result, const ImageView& frame, int64_t ts) {
    std::lock_guard lock(mutex);
    EXPECT_TRUE(result.ok());
    EXPECT_EQ(frame.width, photo.width());
    if (result.ok()) {
      EXPECT_EQ(result->timestamp_ms, ts);
      with_hands += !result->hands.empty();
    }
    delivered.push_back(ts);
  };
  auto landmarker = HandLandmarker::Create(options);
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  constexpr int kFrames = 30;
  for (int i = 0; i < kFrames; ++i) ASSERT_TRUE((*landmarker)->DetectAsync(photo.view(), i * 10).ok());
  EXPECT_EQ((*landmarker)->DetectAsync(photo.view(), 0).code(), StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*landmarker)->Close().ok());
  ASSERT_TRUE((*landmarker)->Close().ok());
  EXPECT_EQ((*landmarker)->DetectAsync(photo.view(), 10000).code(), StatusCode::kFailedPrecondition);
  const LiveStreamStats stats = (*landmarker)->live_stream_stats();
  std::lock_guard lock(mutex);
  EXPECT_EQ(stats.frames_received, kFrames);
  EXPECT_EQ(stats.frames_processed + stats.frames_dropped, kFrames);
  EXPECT_EQ(static_cast<int64_t>(delivered.size()), stats.frames_processed);
  EXPECT_TRUE(std::is_sorted(delivered.begin(), delivered.end()));
  EXPECT_EQ(std::set<int64_t>(delivered.begin(), delivered.end()).size(), delivered.size());
  ASSERT_FALSE(delivered.empty());
  EXPECT_EQ(delivered.back(), (kFrames - 1) * 10);  // the last frame is never dropped
  EXPECT_EQ(with_hands, static_cast<int>(delivered.size()));
}

}  // namespace
}  // namespace handtrack
