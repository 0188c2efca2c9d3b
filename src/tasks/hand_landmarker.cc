// HandLandmarker, IMAGE mode: palm detection on the letterboxed image, one
// rotated hand region per detection, landmarks on each 224x224 crop,
// projection back to the image (docs: ../shared/docs/PIPELINE.md 2-4).
#include "handtrack/hand_landmarker.h"

#include <algorithm>
#include <filesystem>

#include "model/tflite_reader.h"
#include "runtime/interpreter.h"
#include "vision/anchors.h"
#include "vision/hand_rect.h"
#include "vision/image_to_tensor.h"
#include "vision/landmarks.h"
#include "vision/palm_decoder.h"

namespace handtrack {
namespace {

constexpr int kPalmInputSize = 192;
constexpr int kLandmarkInputSize = 224;
constexpr int kMaxHands = 8;

// Output order of the landmark models.
constexpr int kLandmarksOutput = 0, kPresenceOutput = 1, kHandednessOutput = 2, kWorldOutput = 3;

Status ValidateOptions(const HandLandmarkerOptions& o) {
  auto unit = [](float v) { return v >= 0.0f && v <= 1.0f; };
  if (o.num_hands < 1 || o.num_hands > kMaxHands) {
    return InvalidArgumentError("failed to create hand landmarker: num_hands " + std::to_string(o.num_hands) +
                                " is not in [1, 8]");
  }
  if (!unit(o.min_hand_detection_confidence) || !unit(o.min_hand_presence_confidence) ||
      !unit(o.min_tracking_confidence)) {
    return InvalidArgumentError("failed to create hand landmarker: confidences must be in [0, 1]");
  }
  if (o.model.num_threads < 1 || o.model.num_threads > 256) {
    return InvalidArgumentError("failed to create hand landmarker: num_threads " +
                                std::to_string(o.model.num_threads) + " is not in [1, 256]");
  }
  return Status::Ok();
}

Result<std::unique_ptr<runtime::Interpreter>> LoadModel(const HandLandmarkerOptions& o, const std::string& name) {
  const std::string dir = ResolveModelDir(o.model.model_dir);
  const std::string path = dir + "/" + name + ".tflite";
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return NotFoundError("failed to load model " + path +
                         ": no such file (run scripts/fetch_models.sh, or point --models / HANDTRACK_MODELS "
                         "at a folder holding the four .tflite files)");
  }
  HT_ASSIGN_OR_RETURN(model::Graph graph, model::ReadTfliteFile(path));
  return runtime::Interpreter::Create(std::make_shared<const model::Graph>(std::move(graph)), o.model.delegate,
                                      o.model.num_threads);
}

}  // namespace

struct HandLandmarker::Impl {
  explicit Impl(const HandLandmarkerOptions& o)
      : options(o), palm_decoder(vision::PalmDecoderOptions{o.min_hand_detection_confidence, 0.3f, -1}) {}

  HandLandmarkerOptions options;
  std::unique_ptr<runtime::Interpreter> palm;
  std::unique_ptr<runtime::Interpreter> landmarks;
  vision::PalmDecoder palm_decoder;

  Status CheckModelShapes() const {
    auto shape_of = [](const runtime::Interpreter& m, bool input, int i) {
      const auto& g = m.graph();
      return g.tensors[input ? g.inputs[i] : g.outputs[i]].shape;
    };
    const std::vector<int> palm_in{1, kPalmInputSize, kPalmInputSize, 3};
    const std::vector<int> lm_in{1, kLandmarkInputSize, kLandmarkInputSize, 3};
    if (palm->num_inputs() != 1 || shape_of(*palm, true, 0) != palm_in || palm->num_outputs() != 2 ||
        palm->output(0).size() != vision::kNumPalmAnchors * 18 || palm->output(1).size() != vision::kNumPalmAnchors) {
      return InvalidModelError("failed to use palm model " + palm->graph().name +
                               ": expected a 1x192x192x3 input and 2016x18 + 2016x1 outputs");
    }
    if (landmarks->num_inputs() != 1 || shape_of(*landmarks, true, 0) != lm_in || landmarks->num_outputs() != 4 ||
        landmarks->output(kLandmarksOutput).size() != 63 || landmarks->output(kPresenceOutput).size() != 1 ||
        landmarks->output(kHandednessOutput).size() != 1 || landmarks->output(kWorldOutput).size() != 63) {
      return InvalidModelError("failed to use landmark model " + landmarks->graph().name +
                               ": expected a 1x224x224x3 input and 63, 1, 1, 63 outputs");
    }
    return Status::Ok();
  }

  Result<std::vector<vision::Detection>> DetectPalms(const ImageView& image) {
    const vision::LetterboxTransform letterbox =
        vision::LetterboxImage(image, kPalmInputSize, kPalmInputSize, palm->input(0).data());
    HT_RETURN_IF_ERROR(palm->Run().WithPrefix("failed to detect palms"));
    std::vector<vision::Detection> detections =
        palm_decoder.Decode(palm->output(0).data(), palm->output(1).data(), letterbox);
    // Best first: MediaPipe keeps the num_hands best regions.
    if (detections.size() > static_cast<size_t>(options.num_hands)) detections.resize(options.num_hands);
    return detections;
  }

  // Runs the landmark model on one region; false when no hand is present.
  Result<bool> DetectLandmarks(const ImageView& image, const vision::RotatedRect& region, HandResult* hand) {
    vision::CropRotatedRect(image, region, kLandmarkInputSize, kLandmarkInputSize, landmarks->input(0).data());
    HT_RETURN_IF_ERROR(landmarks->Run().WithPrefix("failed to detect hand landmarks"));
    hand->presence = landmarks->output(kPresenceOutput)[0];
    // ThresholdingCalculator: a hand is present only strictly above the threshold.
    if (!(hand->presence > options.min_hand_presence_confidence)) return false;
    hand->landmarks = vision::ProjectLandmarks(landmarks->output(kLandmarksOutput).data(), region);
    hand->world_landmarks = vision::ProjectWorldLandmarks(landmarks->output(kWorldOutput).data(), region);
    const float p = landmarks->output(kHandednessOutput)[0];
    // Tasks convention: p > 0.5 is the right hand of a non-mirrored image (class 0).
    const bool right = (p > 0.5f) != options.mirrored;
    hand->handedness.label = right ? "Right" : "Left";
    hand->handedness.index = right ? 0 : 1;
    hand->handedness.score = std::max(p, 1.0f - p);
    hand->handedness.model_output = p;
    return true;
  }
};

HandLandmarker::HandLandmarker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HandLandmarker::~HandLandmarker() = default;

Result<std::unique_ptr<HandLandmarker>> HandLandmarker::Create(const HandLandmarkerOptions& options) {
  HT_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>(options);
  HT_ASSIGN_OR_RETURN(impl->palm, LoadModel(options, PalmModelName(options.model.variant)));
  HT_ASSIGN_OR_RETURN(impl->landmarks, LoadModel(options, LandmarkModelName(options.model.variant)));
  HT_RETURN_IF_ERROR(impl->CheckModelShapes());
  return std::unique_ptr<HandLandmarker>(new HandLandmarker(std::move(impl)));
}

const HandLandmarkerOptions& HandLandmarker::options() const { return impl_->options; }

std::string HandLandmarker::DescribePlan() const {
  return impl_->palm->DescribePlan() + impl_->landmarks->DescribePlan();
}

Result<HandLandmarkerResult> HandLandmarker::Detect(const ImageView& image) {
  if (impl_->options.running_mode != RunningMode::kImage) {
    return FailedPreconditionError("failed to detect: Detect() is for IMAGE mode; this landmarker was created for " +
                                   std::string(impl_->options.running_mode == RunningMode::kVideo
                                                   ? "VIDEO mode (use DetectForVideo)"
                                                   : "LIVE_STREAM mode (use DetectAsync)"));
  }
  HT_RETURN_IF_ERROR(image.Validate());
  HT_ASSIGN_OR_RETURN(std::vector<vision::Detection> palms, impl_->DetectPalms(image));
  HandLandmarkerResult result;
  std::vector<vision::RotatedRect> regions;
  for (const vision::Detection& palm : palms) {
    const vision::RotatedRect region = vision::DetectionToHandRect(palm, image.width, image.height);
    HandResult hand;
    HT_ASSIGN_OR_RETURN(bool present, impl_->DetectLandmarks(image, region, &hand));
    if (!present) continue;
    result.hands.push_back(std::move(hand));
  }
  std::vector<std::array<NormalizedLandmark, kNumHandLandmarks>> all;
  for (const HandResult& hand : result.hands) all.push_back(hand.landmarks);
  HandLandmarkerResult unique;
  for (int i : vision::DeduplicateHands(all, image.width, image.height)) unique.hands.push_back(std::move(result.hands[i]));
  return unique;
}

}  // namespace handtrack
