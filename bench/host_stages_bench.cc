// Google Benchmark: the host-side stages of one IMAGE-mode Detect, each on
// realistic inputs: the shared one-hand webcam photo (640x480, EXIF applied)
// and the palm and landmark models' real outputs for it, computed once with
// the xnnpack backend (the reference backend where xnnpack is missing).
//   handtrack_bench --benchmark_filter='^host/'   (HANDTRACK_BENCH_IMAGE=photo.jpg to pick the photo)
#include <benchmark/benchmark.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "handtrack/hand_landmarker.h"
#include "handtrack/image_io.h"
#include "handtrack/models.h"
#include "vision/hand_rect.h"
#include "vision/image_to_tensor.h"
#include "vision/landmarks.h"
#include "vision/palm_decoder.h"

namespace {

using handtrack::Image;
using handtrack::ImageView;
using handtrack::PixelFormat;
namespace vision = handtrack::vision;

constexpr int kPalmInput = 192;
constexpr int kLandmarkInput = 224;
constexpr int kNumHands = 2;  // handtrack detect's default

// Everything the stages consume, computed once: the photo in each pixel layout,
// the palm model's outputs on its letterbox, the first hand's region and the
// landmark model's outputs on its crop.
struct HostInputs {
  std::string error;  // non-empty when the set-up failed
  Image rgb;
  std::array<std::vector<uint8_t>, 4> layouts;  // indexed by PixelFormat
  vision::LetterboxTransform letterbox;
  std::vector<float> palm_boxes;
  std::vector<float> palm_logits;
  std::vector<vision::Detection> palms;
  vision::RotatedRect hand_region;
  std::vector<float> landmarks_raw;
  std::vector<float> world_raw;

  ImageView View(PixelFormat format) const {
    return ImageView::Packed(layouts[static_cast<int>(format)].data(), rgb.width(), rgb.height(), format);
  }
};

std::vector<uint8_t> Relayout(const Image& rgb, PixelFormat format) {
  const int bpp = handtrack::BytesPerPixel(format);
  const bool swap = format == PixelFormat::kBGR || format == PixelFormat::kBGRA;
  std::vector<uint8_t> bytes(static_cast<size_t>(rgb.width()) * rgb.height() * bpp);
  for (size_t i = 0; i < static_cast<size_t>(rgb.width()) * rgb.height(); ++i) {
    const uint8_t* src = rgb.data() + 3 * i;
    uint8_t* dst = bytes.data() + bpp * i;
    dst[0] = src[swap ? 2 : 0];
    dst[1] = src[1];
    dst[2] = src[swap ? 0 : 2];
    if (bpp == 4) dst[3] = 255;
  }
  return bytes;
}

handtrack::Result<std::unique_ptr<handtrack::ModelRunner>> LoadRunner(const std::string& name) {
  const std::string path = handtrack::ResolveModelDir("") + "/" + name + ".tflite";
  auto runner = handtrack::ModelRunner::Create(path, handtrack::Delegate::kXnnpack, 1);
  if (runner.ok()) return runner;
  return handtrack::ModelRunner::Create(path, handtrack::Delegate::kReference, 1);
}

HostInputs Failed(std::string reason) {
  HostInputs failed;
  failed.error = std::move(reason);
  return failed;
}

HostInputs MakeHostInputs() {
  HostInputs in;
  const char* env = std::getenv("HANDTRACK_BENCH_IMAGE");
  const std::string path =
      env ? env : std::string(HANDTRACK_SHARED_DIR) + "/data/hands/images/count_one_index_up_webcam_01.jpg";
  auto image = handtrack::ReadImageFile(path);
  if (!image.ok()) return Failed(image.status().message());
  in.rgb = std::move(*image);
  for (PixelFormat format : {PixelFormat::kRGB, PixelFormat::kRGBA, PixelFormat::kBGR, PixelFormat::kBGRA}) {
    in.layouts[static_cast<int>(format)] = Relayout(in.rgb, format);
  }

  auto palm = LoadRunner("palm_detection_full");
  if (!palm.ok()) return Failed(palm.status().message());
  in.letterbox = vision::LetterboxImage(in.rgb.view(), kPalmInput, kPalmInput, (*palm)->input(0).data());
  if (auto status = (*palm)->Run(); !status.ok()) return Failed(status.message());
  in.palm_boxes.assign((*palm)->output(0).begin(), (*palm)->output(0).end());
  in.palm_logits.assign((*palm)->output(1).begin(), (*palm)->output(1).end());
  in.palms = vision::PalmDecoder().Decode(in.palm_boxes.data(), in.palm_logits.data(), in.letterbox);
  if (in.palms.empty()) return Failed("no palm found in " + path);
  in.hand_region = vision::DetectionToHandRect(in.palms[0], in.rgb.width(), in.rgb.height());

  auto landmark = LoadRunner("hand_landmark_full");
  if (!landmark.ok()) return Failed(landmark.status().message());
  vision::CropRotatedRect(in.rgb.view(), in.hand_region, kLandmarkInput, kLandmarkInput,
                          (*landmark)->input(0).data());
  if (auto status = (*landmark)->Run(); !status.ok()) return Failed(status.message());
  in.landmarks_raw.assign((*landmark)->output(0).begin(), (*landmark)->output(0).end());
  in.world_raw.assign((*landmark)->output(3).begin(), (*landmark)->output(3).end());
  return in;
}

const HostInputs& Inputs() {
  static const HostInputs inputs = MakeHostInputs();
  return inputs;
}

// True when the stage can run; otherwise the benchmark is skipped with the reason.
bool Ready(benchmark::State& state) {
  if (Inputs().error.empty()) return true;
  state.SkipWithError(Inputs().error.c_str());
  return false;
}

void BM_Letterbox(benchmark::State& state, PixelFormat format) {
  if (!Ready(state)) return;
  const ImageView view = Inputs().View(format);
  std::vector<float> tensor(kPalmInput * kPalmInput * 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(vision::LetterboxImage(view, kPalmInput, kPalmInput, tensor.data()));
    benchmark::ClobberMemory();
  }
}

void BM_PalmDecode(benchmark::State& state) {
  if (!Ready(state)) return;
  const HostInputs& in = Inputs();
  const vision::PalmDecoder decoder;
  for (auto _ : state) {
    benchmark::DoNotOptimize(decoder.Decode(in.palm_boxes.data(), in.palm_logits.data(), in.letterbox));
  }
  state.counters["palms"] = static_cast<double>(in.palms.size());
}

void BM_DetectionToHandRect(benchmark::State& state) {
  if (!Ready(state)) return;
  const HostInputs& in = Inputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(vision::DetectionToHandRect(in.palms[0], in.rgb.width(), in.rgb.height()));
  }
}

void BM_CropRotatedRect(benchmark::State& state, PixelFormat format) {
  if (!Ready(state)) return;
  const ImageView view = Inputs().View(format);
  std::vector<float> tensor(kLandmarkInput * kLandmarkInput * 3);
  for (auto _ : state) {
    benchmark::DoNotOptimize(
        vision::CropRotatedRect(view, Inputs().hand_region, kLandmarkInput, kLandmarkInput, tensor.data()));
    benchmark::ClobberMemory();
  }
  state.SetLabel("rotation " + std::to_string(Inputs().hand_region.rotation) + " rad");
}

void BM_ProjectLandmarks(benchmark::State& state) {
  if (!Ready(state)) return;
  const HostInputs& in = Inputs();
  for (auto _ : state) {
    benchmark::DoNotOptimize(vision::ProjectLandmarks(in.landmarks_raw.data(), in.hand_region));
    benchmark::DoNotOptimize(vision::ProjectWorldLandmarks(in.world_raw.data(), in.hand_region));
  }
}

void BM_LandmarksToHandRectAndDeduplicate(benchmark::State& state) {
  if (!Ready(state)) return;
  const HostInputs& in = Inputs();
  const std::vector<std::array<handtrack::NormalizedLandmark, handtrack::kNumHandLandmarks>> hands = {
      vision::ProjectLandmarks(in.landmarks_raw.data(), in.hand_region)};
  for (auto _ : state) {
    benchmark::DoNotOptimize(vision::LandmarksToHandRect(hands[0], in.rgb.width(), in.rgb.height()));
    benchmark::DoNotOptimize(vision::DeduplicateHands(hands, in.rgb.width(), in.rgb.height()));
  }
}

// Every host stage of one IMAGE-mode Detect of the photo, in the order
// HandLandmarker runs them, with the models' outputs replayed (one crop and one
// projection per palm kept, as a Detect does when every crop shows a hand).
void BM_AllHostStages(benchmark::State& state) {
  if (!Ready(state)) return;
  const HostInputs& in = Inputs();
  const ImageView view = in.rgb.view();
  std::vector<float> palm_tensor(kPalmInput * kPalmInput * 3);
  std::vector<float> hand_tensor(kLandmarkInput * kLandmarkInput * 3);
  const vision::PalmDecoder decoder;
  for (auto _ : state) {
    const vision::LetterboxTransform letterbox =
        vision::LetterboxImage(view, kPalmInput, kPalmInput, palm_tensor.data());
    std::vector<vision::Detection> palms =
        decoder.Decode(in.palm_boxes.data(), in.palm_logits.data(), letterbox);
    if (palms.size() > kNumHands) palms.resize(kNumHands);
    std::vector<std::array<handtrack::NormalizedLandmark, handtrack::kNumHandLandmarks>> hands;
    for (const vision::Detection& palm : palms) {
      const vision::RotatedRect region = vision::DetectionToHandRect(palm, view.width, view.height);
      vision::CropRotatedRect(view, region, kLandmarkInput, kLandmarkInput, hand_tensor.data());
      benchmark::ClobberMemory();
      hands.push_back(vision::ProjectLandmarks(in.landmarks_raw.data(), region));
      benchmark::DoNotOptimize(vision::ProjectWorldLandmarks(in.world_raw.data(), region));
      benchmark::DoNotOptimize(vision::LandmarksToHandRect(hands.back(), view.width, view.height));
    }
    benchmark::DoNotOptimize(vision::DeduplicateHands(hands, view.width, view.height));
  }
  state.counters["palms"] = static_cast<double>(std::min<size_t>(in.palms.size(), kNumHands));
}

constexpr std::array<std::pair<PixelFormat, const char*>, 4> kFormats = {{{PixelFormat::kRGB, "rgb"},
                                                                          {PixelFormat::kRGBA, "rgba"},
                                                                          {PixelFormat::kBGR, "bgr"},
                                                                          {PixelFormat::kBGRA, "bgra"}}};

const bool kRegistered = [] {
  for (const auto& [format, name] : kFormats) {
    benchmark::RegisterBenchmark((std::string("host/letterbox_640x480_to_192/") + name).c_str(), BM_Letterbox,
                                 format)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("host/palm_decode_2016_anchors", BM_PalmDecode)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("host/detection_to_hand_rect", BM_DetectionToHandRect)
      ->Unit(benchmark::kMicrosecond);
  for (const auto& [format, name] : kFormats) {
    benchmark::RegisterBenchmark((std::string("host/crop_rotated_to_224/") + name).c_str(),
                                 BM_CropRotatedRect, format)
        ->Unit(benchmark::kMicrosecond);
  }
  benchmark::RegisterBenchmark("host/project_landmarks", BM_ProjectLandmarks)->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("host/landmarks_to_hand_rect_and_dedup", BM_LandmarksToHandRectAndDeduplicate)
      ->Unit(benchmark::kMicrosecond);
  benchmark::RegisterBenchmark("host/all_stages", BM_AllHostStages)->Unit(benchmark::kMicrosecond);
  return true;
}();

}  // namespace
