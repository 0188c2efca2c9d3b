// HandLandmarker, IMAGE mode: palm detection on the letterboxed image, one
// rotated hand region per detection, landmarks on each 224x224 crop,
// projection back to the image (docs: ../shared/docs/PIPELINE.md 2-4).
#include "handtrack/hand_landmarker.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <span>
#include <thread>

#include "handtrack/hand_engine.h"
#include "tasks/hand_engine_impl.h"
#include "vision/anchors.h"
#include "vision/hand_rect.h"
#include "vision/image_to_tensor.h"
#include "vision/landmarks.h"
#include "vision/one_euro.h"
#include "vision/palm_decoder.h"

namespace handtrack {
namespace {

constexpr int kMaxHands = 8;

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
  if (o.palm_detection_interval < 1 || o.palm_detection_interval > 1000) {
    return InvalidArgumentError("failed to create hand landmarker: palm_detection_interval " +
                                std::to_string(o.palm_detection_interval) + " is not in [1, 1000]");
  }
  // With a shared engine, options.model is the engine's (HandEngine::Create checked it).
  if (o.engine == nullptr && (o.model.num_threads < 1 || o.model.num_threads > 256)) {
    return InvalidArgumentError("failed to create hand landmarker: num_threads " +
                                std::to_string(o.model.num_threads) + " is not in [1, 256]");
  }
  if (o.running_mode == RunningMode::kLiveStream && !o.result_callback) {
    return InvalidArgumentError("failed to create hand landmarker: LIVE_STREAM mode needs a result_callback");
  }
  if (o.running_mode != RunningMode::kLiveStream && o.result_callback) {
    return InvalidArgumentError(
        "failed to create hand landmarker: result_callback is only for LIVE_STREAM mode");
  }
  return Status::Ok();
}

// Clears a VIDEO landmarker's "call in progress" flag when the call that set it ends.
struct ClearOnExit {
  std::atomic<bool>& in_progress;
  ~ClearOnExit() { in_progress = false; }
};

bool SmoothingEnabled(const HandLandmarkerOptions& o) {
  if (o.running_mode == RunningMode::kImage) return false;
  if (o.smoothing == SmoothingMode::kDefault) return o.running_mode == RunningMode::kLiveStream;
  return o.smoothing == SmoothingMode::kOn;
}

}  // namespace

struct HandLandmarker::Impl {
  Impl(const HandLandmarkerOptions& o, std::shared_ptr<HandEngine> shared_engine)
      : options(o),
        engine(std::move(shared_engine)),
        models(engine->impl_.get()),
        stream(std::make_unique<runtime::BatchingGroup::Stream>(models->group)),
        palm_decoder(vision::PalmDecoderOptions{o.min_hand_detection_confidence, 0.3f, -1}) {
    options.engine = engine;
    options.model = engine->options().model;  // what actually runs
  }

  HandLandmarkerOptions options;
  std::shared_ptr<HandEngine> engine;
  const HandEngine::Impl* models;  // engine's; replaced together with it (UseEngine)
  // Registered with the engine for the landmarker's lifetime: batches may wait
  // for this stream's next frame. Declared after `engine`, so it ends first.
  std::unique_ptr<runtime::BatchingGroup::Stream> stream;
  const vision::PalmDecoder palm_decoder;  // immutable: Decode is safe from several threads

  // Pre-processing on the device (when the models run where they can sample
  // their inputs, i.e. cuda): the frame goes up once as 8-bit pixels, and the
  // palm letterbox and the hand crops are made there, bit-identical to the CPU
  // samplers. Uploaders are pooled: concurrent IMAGE-mode calls each take one.
  //
  // A frame already on the GPU (VideoFrameView::gpu) is read where it is when
  // the models run on its GPU; elsewhere its host RGB pixels are asked for once,
  // on first need (Host), and used as a host frame's would be.
  class FrameOnDevice {
   public:
    FrameOnDevice(Impl& impl, const ImageView& image, const GpuFrame* gpu = nullptr)
        : impl_(impl), image_(image), gpu_(gpu) {}
    ~FrameOnDevice() {
      if (uploader_ == nullptr) return;
      std::lock_guard lock(impl_.uploaders_mutex);
      impl_.idle_uploaders.push_back(std::move(uploader_));
    }
    FrameOnDevice(const FrameOnDevice&) = delete;
    FrameOnDevice& operator=(const FrameOnDevice&) = delete;

    // The frame on the device for `model`, uploaded on first use; nullopt when
    // the model samples on the host, or when the upload failed (the CPU
    // samplers then make the input: the run itself reports a broken device).
    std::optional<backend::DeviceImage> For(const runtime::BatchingModel& model) {
      if (!model.CanSampleOnDevice()) return std::nullopt;
      if (!tried_) {
        tried_ = true;
        uploader_ = impl_.TakeUploader(model);
        if (uploader_ != nullptr) {
          Result<backend::DeviceImage> uploaded = UnsupportedError("no GPU frame");
          if (gpu_ != nullptr) uploaded = uploader_->UseGpuFrame(*gpu_);
          if (!uploaded.ok()) {
            const ImageView* host = Host();
            if (host != nullptr) uploaded = uploader_->Upload(*host);
          }
          if (uploaded.ok()) device_image_ = *uploaded;
        }
      }
      return device_image_;
    }

    // The frame's pixels on the host: the caller's image, or a GPU frame's RGB
    // copy, made on first call. nullptr when that copy failed (host_error()).
    // Thread-safe: a frame's two models may ask at once.
    const ImageView* Host() {
      if (gpu_ == nullptr) return &image_;
      std::lock_guard lock(host_mutex_);
      if (!host_copy_.has_value()) {
        host_copy_.emplace(gpu_->ToHostRgb());
        if (host_copy_->ok()) host_view_ = (*host_copy_)->view();
      }
      return host_copy_->ok() ? &host_view_ : nullptr;
    }
    Status host_error() {
      std::lock_guard lock(host_mutex_);
      return host_copy_.has_value() ? host_copy_->status() : Status::Ok();
    }

   private:
    Impl& impl_;
    const ImageView image_;
    const GpuFrame* const gpu_;
    bool tried_ = false;
    std::unique_ptr<backend::ImageUploader> uploader_;
    std::optional<backend::DeviceImage> device_image_;
    std::mutex host_mutex_;
    std::optional<Result<Image>> host_copy_;  // guarded by host_mutex_
    ImageView host_view_;
  };

  // Fills a model input on the host from `frame`, or zeros when the frame's host
  // pixels cannot be had (the caller then reports frame.host_error()).
  static void FillFromHost(FrameOnDevice& frame, float* out, size_t size,
                           const std::function<void(const ImageView&, float*)>& fill) {
    if (const ImageView* host = frame.Host()) {
      fill(*host, out);
    } else {
      std::fill_n(out, size, 0.0f);
    }
  }

  // A frame's checks: its image's, or its GPU frame's planes.
  static Status ValidateFrame(const ImageView& image, const GpuFrame* gpu) {
    return gpu != nullptr ? gpu->nv12().Validate() : image.Validate();
  }
  // What ProcessFrame takes for `frame`: its image, or for a GPU frame a view
  // of its size alone.
  static ImageView SizedView(const VideoFrameView& frame) {
    if (frame.gpu == nullptr) return frame.image;
    ImageView sized;
    sized.width = frame.gpu->nv12().width;
    sized.height = frame.gpu->nv12().height;
    return sized;
  }

  std::unique_ptr<backend::ImageUploader> TakeUploader(const runtime::BatchingModel& model) {
    {
      std::lock_guard lock(uploaders_mutex);
      if (!idle_uploaders.empty()) {
        std::unique_ptr<backend::ImageUploader> uploader = std::move(idle_uploaders.back());
        idle_uploaders.pop_back();
        return uploader;
      }
    }
    Result<std::unique_ptr<backend::ImageUploader>> created = model.CreateImageUploader();
    return created.ok() ? std::move(created).value() : nullptr;
  }

  // Palm detection on each of `images` (frames[i] is images[i] on the
  // device), all in one submission, so that a batching engine can put them
  // into one run. Per image: its best num_hands detections, best first. Per
  // call; nothing here is shared between concurrent IMAGE-mode calls.
  Result<std::vector<std::vector<vision::Detection>>> DetectPalms(
      std::span<const ImageView> images, std::span<FrameOnDevice* const> frames) const {
    runtime::BatchingModel& palm = *models->palm;
    const size_t n = images.size();
    const size_t boxes_size = palm.output_size(0), scores_size = palm.output_size(1);
    std::vector<float> boxes(n * boxes_size), scores(n * scores_size);
    float* outputs[] = {boxes.data(), scores.data()};
    // The decoder reads a box only where its anchor's logit can pass: the other rows stay 0.
    const runtime::OutputRowGate gate{/*key=*/1, /*gated=*/0,
                                      vision::PalmLogitFloor(palm_decoder.options().min_score)};
    std::vector<vision::LetterboxTransform> letterboxes(n);
    // On the device only when every frame is there: a frame whose upload failed has no sampling.
    std::vector<backend::ImageSampling> samplings(n);
    bool on_device = true;
    for (size_t i = 0; i < n; ++i) {
      const std::optional<backend::DeviceImage> image = frames[i]->For(palm);
      if (!image.has_value()) {
        on_device = false;
        break;
      }
      const vision::LetterboxPlan plan =
          vision::PlanLetterbox(images[i].width, images[i].height, kPalmInputSize, kPalmInputSize);
      letterboxes[i] = plan.transform;
      if (plan.grid.has_value()) {
        samplings[i].image = *image;
        samplings[i].grid = *plan.grid;
      }
    }
    if (on_device) {
      const backend::HostInputFill fill = [&](int i, float* out) {
        FillFromHost(*frames[i], out, palm.input_size(0), [](const ImageView& host, float* to) {
          vision::LetterboxImage(host, kPalmInputSize, kPalmInputSize, to);
        });
      };
      HT_RETURN_IF_ERROR(palm.RunSampled(static_cast<int>(n), samplings, fill, outputs, &gate)
                             .WithPrefix("failed to detect palms"));
    } else {
      const size_t input_size = palm.input_size(0);
      std::vector<float> input(n * input_size);
      for (size_t i = 0; i < n; ++i) {
        const ImageView* host = frames[i]->Host();
        if (host == nullptr) return frames[i]->host_error().WithPrefix("failed to detect palms");
        letterboxes[i] =
            vision::LetterboxImage(*host, kPalmInputSize, kPalmInputSize, input.data() + i * input_size);
      }
      const float* inputs[] = {input.data()};
      HT_RETURN_IF_ERROR(
          palm.Run(static_cast<int>(n), inputs, outputs, &gate).WithPrefix("failed to detect palms"));
    }
    for (size_t i = 0; i < n; ++i)
      HT_RETURN_IF_ERROR(frames[i]->host_error().WithPrefix("failed to detect palms"));
    std::vector<std::vector<vision::Detection>> detections(n);
    for (size_t i = 0; i < n; ++i) {
      detections[i] =
          palm_decoder.Decode(boxes.data() + i * boxes_size, scores.data() + i * scores_size, letterboxes[i]);
      // Best first: MediaPipe keeps the num_hands best regions.
      if (detections[i].size() > static_cast<size_t>(options.num_hands))
        detections[i].resize(options.num_hands);
    }
    return detections;
  }

  Result<std::vector<vision::Detection>> DetectPalms(const ImageView& image, FrameOnDevice& frame) const {
    FrameOnDevice* frames[] = {&frame};
    HT_ASSIGN_OR_RETURN(std::vector<std::vector<vision::Detection>> detections,
                        DetectPalms(std::span<const ImageView>(&image, 1), frames));
    return std::move(detections[0]);
  }

  // Runs the landmark model on every region at once (one submission, so that a
  // batching engine can put a frame's hands into one run). Per region: the
  // hand, or nothing when no hand is present.
  Result<std::vector<std::optional<HandResult>>> DetectLandmarks(
      const ImageView& image, const std::vector<vision::RotatedRect>& regions, FrameOnDevice& frame) const {
    std::vector<std::optional<HandResult>> hands(regions.size());
    if (regions.empty()) return hands;
    runtime::BatchingModel& model = *models->landmarks;
    const size_t n = regions.size();
    std::vector<std::vector<float>> out(model.num_outputs());
    std::vector<float*> outputs;
    for (int o = 0; o < model.num_outputs(); ++o) {
      out[o].resize(n * model.output_size(o));
      outputs.push_back(out[o].data());
    }
    const auto crop_on_host = [&](int i, float* crop) {
      FillFromHost(frame, crop, model.input_size(0), [&](const ImageView& host, float* to) {
        vision::CropRotatedRect(host, regions[i], kLandmarkInputSize, kLandmarkInputSize, to);
      });
    };
    if (const std::optional<backend::DeviceImage> on_device = frame.For(model)) {
      std::vector<backend::ImageSampling> samplings(n);
      for (size_t i = 0; i < n; ++i) {
        const std::optional<backend::SamplingGrid> grid =
            vision::PlanCrop(image.width, image.height, regions[i], kLandmarkInputSize, kLandmarkInputSize);
        if (!grid.has_value()) continue;  // zeros, as the CPU sampler leaves them
        samplings[i].image = *on_device;
        samplings[i].grid = *grid;
        samplings[i].replicate_border = true;  // CropRotatedRect's default (MediaPipe Tasks)
      }
      const backend::HostInputFill fill = crop_on_host;
      HT_RETURN_IF_ERROR(model.RunSampled(static_cast<int>(n), samplings, fill, outputs)
                             .WithPrefix("failed to detect hand landmarks"));
    } else {
      const size_t crop_size = model.input_size(0);
      std::vector<float> crops(n * crop_size);
      for (size_t i = 0; i < n; ++i) crop_on_host(static_cast<int>(i), crops.data() + i * crop_size);
      const float* inputs[] = {crops.data()};
      HT_RETURN_IF_ERROR(
          model.Run(static_cast<int>(n), inputs, outputs).WithPrefix("failed to detect hand landmarks"));
    }
    HT_RETURN_IF_ERROR(frame.host_error().WithPrefix("failed to detect hand landmarks"));
    for (size_t i = 0; i < n; ++i) {
      auto output = [&](int o) { return out[o].data() + i * model.output_size(o); };
      HandResult hand;
      hand.presence = output(kPresenceOutput)[0];
      // ThresholdingCalculator: a hand is present only strictly above the threshold.
      if (!(hand.presence > options.min_hand_presence_confidence)) continue;
      hand.landmarks = vision::ProjectLandmarks(output(kLandmarksOutput), regions[i]);
      hand.world_landmarks = vision::ProjectWorldLandmarks(output(kWorldOutput), regions[i]);
      const float p = output(kHandednessOutput)[0];
      // Tasks convention: p > 0.5 is the right hand of a non-mirrored image (class 0).
      const bool right = (p > 0.5f) != options.mirrored;
      hand.handedness.label = right ? "Right" : "Left";
      hand.handedness.index = right ? 0 : 1;
      hand.handedness.score = std::max(p, 1.0f - p);
      hand.handedness.model_output = p;
      hands[i] = std::move(hand);
    }
    return hands;
  }

  // A hand region carried to the next frame, with the id of its hand.
  struct TrackedRegion {
    vision::RotatedRect region;
    int id = 0;
  };

  // Whether this frame's palm detection may run alongside the tracked hands'
  // landmarks: only where both models run on a device whose runs overlap
  // (cuda's streams) and whose batches fill up from both callers at once. On
  // the CPU the two would compete for the --threads budget, and webgpu runs on
  // one thread, so they run one after the other there.
  bool OverlapModels() const {
    return models->palm->OverlapsRunsOnDevice() && models->landmarks->OverlapsRunsOnDevice();
  }

  // One frame through the pipeline. With `tracking`, regions come from the
  // previous frame's landmarks and palm detection runs only while fewer than
  // num_hands hands are tracked (MediaPipe's HandLandmarkerGraph in stream mode).
  // The tracking state changes only when the frame succeeds: a frame that failed
  // (a model run on a lost GPU, say) can be given again, on another engine too.
  //
  // The tracked regions' crops do not depend on this frame's palm detection
  // (association keeps every tracked region and only appends new ones), so on
  // a device their landmarks run on a second thread while palm detection runs,
  // and only the regions it adds wait for it. The results are those of the
  // sequential order (the landmark runs' batches differ, which batching
  // promises does not change results).
  //
  // `ahead` (DetectForVideoFrames): this frame's palm detection, already run,
  // and the frame on the device it ran on; used if palm detection is due.
  struct PalmsAhead {
    FrameOnDevice* frame;
    const std::vector<vision::Detection>* palms;
  };
  //
  // `gpu`: the frame is there, and `image` gives only its size (FrameOnDevice reads it).
  Result<HandLandmarkerResult> ProcessFrame(const ImageView& image, int64_t timestamp_ms, bool tracking,
                                            const PalmsAhead* ahead = nullptr,
                                            const GpuFrame* gpu = nullptr) {
    HT_RETURN_IF_ERROR(ValidateFrame(image, gpu));
    // While it holds a Call this thread is a caller that may still submit.
    std::optional<runtime::BatchingGroup::Call> call(std::in_place, *stream);
    std::optional<FrameOnDevice> own_frame;
    FrameOnDevice& on_device = ahead != nullptr ? *ahead->frame : own_frame.emplace(*this, image, gpu);
    HandLandmarkerResult result;
    result.timestamp_ms = timestamp_ms;
    std::vector<TrackedRegion> regions;
    if (tracking) regions = tracked;
    int new_next_id = next_id;
    std::vector<vision::RotatedRect> tracked_crops;
    for (const TrackedRegion& r : regions) tracked_crops.push_back(r.region);
    std::vector<std::optional<HandResult>> found;
    if (!tracking || (static_cast<int>(regions.size()) < options.num_hands && PalmDetectionDue())) {
      // Declared after tracked_crops and on_device, which it reads: destroyed (joined) before them.
      std::future<Result<std::vector<std::optional<HandResult>>>> tracked_landmarks;
      if (ahead == nullptr && !tracked_crops.empty() && OverlapModels()) {
        // Upload the frame here, so that the two threads only read it.
        (void)on_device.For(*models->palm);
        (void)on_device.For(*models->landmarks);
        auto side_call = std::make_unique<runtime::BatchingGroup::Call>(*stream);
        tracked_landmarks = std::async(std::launch::async, [this, &image, &tracked_crops, &on_device,
                                                            c = std::move(side_call)]() mutable {
          Result<std::vector<std::optional<HandResult>>> hands =
              DetectLandmarks(image, tracked_crops, on_device);
          c.reset();  // now: the future keeps this lambda (and would keep the Call) until get()
          return hands;
        });
      }
      Result<std::vector<vision::Detection>> palms =
          ahead != nullptr ? Result<std::vector<vision::Detection>>(*ahead->palms)
                           : DetectPalms(image, on_device);
      if (tracked_landmarks.valid()) {
        // This thread submits nothing until the side thread is done: batches must not wait for it.
        call.reset();
        Result<std::vector<std::optional<HandResult>>> side = tracked_landmarks.get();
        HT_RETURN_IF_ERROR(palms.status());
        if (!side.ok()) return side.status();
        found = std::move(side).value();
        call.emplace(*stream);
      }
      HT_RETURN_IF_ERROR(palms.status());
      result.palm_detection_ran = true;
      std::vector<vision::RotatedRect> detected;
      for (const vision::Detection& palm : *palms) {
        detected.push_back(vision::DetectionToHandRect(palm, image.width, image.height));
      }
      // Tracked regions keep their ids; a detected region is new unless it overlaps one kept.
      const std::vector<vision::RotatedRect> associated =
          vision::AssociateHandRects(tracked_crops, detected, options.min_tracking_confidence);
      for (size_t i = regions.size(); i < associated.size(); ++i) {
        regions.push_back({associated[i], tracking ? new_next_id++ : static_cast<int>(i)});
      }
    }
    if (static_cast<int>(regions.size()) > options.num_hands) regions.resize(options.num_hands);

    // The regions whose landmarks are still missing: all of them, or those palm detection added.
    std::vector<vision::RotatedRect> crops;
    for (size_t i = found.size(); i < regions.size(); ++i) crops.push_back(regions[i].region);
    if (!crops.empty()) {
      HT_ASSIGN_OR_RETURN(std::vector<std::optional<HandResult>> more,
                          DetectLandmarks(image, crops, on_device));
      for (std::optional<HandResult>& hand : more) found.push_back(std::move(hand));
    }
    std::vector<HandResult> hands;
    std::vector<TrackedRegion> next_regions;
    for (size_t i = 0; i < regions.size(); ++i) {
      if (!found[i].has_value()) continue;
      HandResult& hand = *found[i];
      hand.id = regions[i].id;
      next_regions.push_back(
          {vision::LandmarksToHandRect(hand.landmarks, image.width, image.height), hand.id});
      hands.push_back(std::move(hand));
    }
    std::vector<std::array<NormalizedLandmark, kNumHandLandmarks>> all;
    for (const HandResult& hand : hands) all.push_back(hand.landmarks);
    std::vector<TrackedRegion> kept_regions;
    for (int i : vision::DeduplicateHands(all, image.width, image.height)) {
      result.hands.push_back(std::move(hands[i]));
      kept_regions.push_back(next_regions[i]);
    }
    if (tracking) {
      next_id = new_next_id;
      frames_since_palm_detection = result.palm_detection_ran ? 0 : frames_since_palm_detection + 1;
      // A hand lost or about to be: the interval must not delay finding it again.
      hand_at_risk = result.hands.size() < regions.size();
      for (const HandResult& hand : result.hands) hand_at_risk |= hand.presence < kPalmRedetectPresence;
      tracked = std::move(kept_regions);
      if (SmoothingEnabled(options)) Smooth(result, image.width, image.height);
    }
    return result;
  }

  // One VIDEO frame after DetectForVideo's checks: the timestamp, then the
  // frame; a failed frame leaves no trace, its timestamp included.
  Result<HandLandmarkerResult> ProcessVideoFrame(const ImageView& image, int64_t timestamp_ms,
                                                 const PalmsAhead* ahead = nullptr,
                                                 const GpuFrame* gpu = nullptr) {
    const std::optional<int64_t> previous_timestamp_ms = last_timestamp_ms;
    HT_RETURN_IF_ERROR(CheckTimestamp(timestamp_ms));
    Result<HandLandmarkerResult> result = ProcessFrame(image, timestamp_ms, /*tracking=*/true, ahead, gpu);
    if (!result.ok()) last_timestamp_ms = previous_timestamp_ms;
    return result;
  }

  // How many of `frames` (this stream's next ones) run palm detection ahead,
  // in one submission (DetectForVideoFrames): 0 when the engine does not
  // batch, when the first frame would not run it (num_hands hands tracked, or
  // an interval above 1, whose frames mostly skip it), or for a single frame;
  // else up to max_batch frames, ending before the first frame that the
  // one-by-one path would refuse (a bad image or timestamp: it then reports
  // its own error).
  size_t PalmsAheadWindow(std::span<const VideoFrameView> frames) const {
    const size_t max_batch = static_cast<size_t>(std::max(models->options.max_batch, 1));
    if (max_batch == 1 || options.palm_detection_interval != 1 || frames.size() < 2 ||
        static_cast<int>(tracked.size()) >= options.num_hands) {
      return 0;
    }
    std::optional<int64_t> last = last_timestamp_ms;
    size_t n = 0;
    for (; n < frames.size() && n < max_batch; ++n) {
      if (!ValidateFrame(frames[n].image, frames[n].gpu).ok() ||
          (last.has_value() && frames[n].timestamp_ms <= *last))
        break;
      last = frames[n].timestamp_ms;
    }
    return n >= 2 ? n : 0;
  }

  // palm_detection_interval's rule, for a frame on which some but fewer than
  // num_hands hands are tracked (with none tracked, palm detection always runs).
  bool PalmDetectionDue() const {
    if (tracked.empty() || hand_at_risk) return true;
    return frames_since_palm_detection + 1 >= options.palm_detection_interval;
  }

  // Smoothing state lives with the hand's id and is dropped when the hand is lost.
  void Smooth(HandLandmarkerResult& result, int width, int height) {
    std::map<int, vision::HandSmoother> alive;
    for (HandResult& hand : result.hands) {
      auto it = smoothers.find(hand.id);
      if (it == smoothers.end()) {
        it =
            smoothers.emplace(hand.id, vision::HandSmoother(options.image_smoothing, options.world_smoothing))
                .first;
      }
      it->second.Apply(hand, width, height, result.timestamp_ms);
      alive.emplace(hand.id, std::move(it->second));
    }
    smoothers = std::move(alive);
  }

  Status CheckTimestamp(int64_t timestamp_ms) {
    if (last_timestamp_ms.has_value() && timestamp_ms <= *last_timestamp_ms) {
      return FailedPreconditionError("failed to process frame: timestamp " + std::to_string(timestamp_ms) +
                                     " ms is not after the previous one (" +
                                     std::to_string(*last_timestamp_ms) + " ms); timestamps must increase");
    }
    last_timestamp_ms = timestamp_ms;
    return Status::Ok();
  }

  // LIVE_STREAM worker: processes the queued frame whenever there is one.
  void LiveStreamLoop() {
    std::unique_lock lock(live_mutex);
    while (true) {
      live_cv.wait(lock, [&] { return queued.has_value() || closing; });
      if (!queued.has_value()) return;  // closing and drained
      QueuedFrame frame = std::move(*queued);
      queued.reset();
      lock.unlock();
      Result<HandLandmarkerResult> result = ProcessFrame(frame.image.view(), frame.timestamp_ms, true);
      options.result_callback(std::move(result), frame.image.view(), frame.timestamp_ms);
      lock.lock();
      ++stats.frames_processed;
      live_cv.notify_all();
    }
  }

  // VIDEO / LIVE_STREAM state: one frame at a time (DetectForVideo refuses to
  // overlap itself; LIVE_STREAM frames all run on the worker).
  std::atomic<bool> video_frame_in_progress{false};
  std::vector<TrackedRegion> tracked;
  int frames_since_palm_detection = 0;  // frames processed since palm detection last ran
  bool hand_at_risk = false;            // the last frame lost a hand or one's presence fell
  int next_id = 0;
  std::optional<int64_t> last_timestamp_ms;
  std::map<int, vision::HandSmoother> smoothers;

  std::mutex uploaders_mutex;
  std::vector<std::unique_ptr<backend::ImageUploader>> idle_uploaders;  // guarded by uploaders_mutex

  struct QueuedFrame {
    Image image;
    int64_t timestamp_ms = 0;
  };
  mutable std::mutex live_mutex;
  std::condition_variable live_cv;
  std::optional<QueuedFrame> queued;
  bool closing = false;
  LiveStreamStats stats;
  std::thread worker;
};

HandLandmarker::HandLandmarker(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HandLandmarker::~HandLandmarker() { (void)Close(); }

Result<std::unique_ptr<HandLandmarker>> HandLandmarker::Create(const HandLandmarkerOptions& options) {
  HT_RETURN_IF_ERROR(ValidateOptions(options));
  std::shared_ptr<HandEngine> engine = options.engine;
  if (engine == nullptr) {
    // A private engine: the same code path, without batching (one stream has one frame at a time).
    HandEngineOptions engine_options;
    engine_options.model = options.model;
    HT_ASSIGN_OR_RETURN(engine, HandEngine::Create(engine_options));
  }
  auto impl = std::make_unique<Impl>(options, std::move(engine));
  if (options.running_mode == RunningMode::kLiveStream) {
    Impl* raw = impl.get();
    impl->worker = std::thread([raw] { raw->LiveStreamLoop(); });
  }
  return std::unique_ptr<HandLandmarker>(new HandLandmarker(std::move(impl)));
}

const HandLandmarkerOptions& HandLandmarker::options() const { return impl_->options; }

std::string HandLandmarker::DescribePlan() const { return impl_->engine->DescribePlan(); }

namespace {
const char* ModeName(RunningMode mode) {
  switch (mode) {
    case RunningMode::kImage:
      return "IMAGE";
    case RunningMode::kVideo:
      return "VIDEO";
    case RunningMode::kLiveStream:
      return "LIVE_STREAM";
  }
  return "?";
}

Status WrongMode(const char* call, RunningMode wanted, RunningMode actual) {
  return FailedPreconditionError(std::string("failed to run ") + call + ": it is for " + ModeName(wanted) +
                                 " mode, but this landmarker was created for " + ModeName(actual) + " mode");
}
}  // namespace

Result<HandLandmarkerResult> HandLandmarker::Detect(const ImageView& image) {
  if (impl_->options.running_mode != RunningMode::kImage) {
    return WrongMode("Detect", RunningMode::kImage, impl_->options.running_mode);
  }
  return impl_->ProcessFrame(image, 0, /*tracking=*/false);
}

Result<HandLandmarkerResult> HandLandmarker::DetectForVideo(const ImageView& image, int64_t timestamp_ms) {
  if (impl_->options.running_mode != RunningMode::kVideo) {
    return WrongMode("DetectForVideo", RunningMode::kVideo, impl_->options.running_mode);
  }
  HT_RETURN_IF_ERROR(image.Validate());
  // Tracking state belongs to one frame at a time: an overlapping call is a usage error, not a race.
  if (impl_->video_frame_in_progress.exchange(true)) {
    return FailedPreconditionError(
        "failed to process frame: DetectForVideo is already running on this landmarker; a VIDEO landmarker "
        "takes the frames of one stream in order (use one landmarker per stream, sharing a HandEngine)");
  }
  const ClearOnExit end_frame{impl_->video_frame_in_progress};
  return impl_->ProcessVideoFrame(image, timestamp_ms);
}

std::vector<Result<HandLandmarkerResult>> HandLandmarker::DetectForVideoFrames(
    std::span<const VideoFrameView> frames) {
  std::vector<Result<HandLandmarkerResult>> results;
  results.reserve(frames.size());
  const auto fail_all = [&](const Status& status) {
    while (results.size() < frames.size()) results.emplace_back(status);
    return results;
  };
  if (impl_->options.running_mode != RunningMode::kVideo) {
    return fail_all(WrongMode("DetectForVideoFrames", RunningMode::kVideo, impl_->options.running_mode));
  }
  if (impl_->video_frame_in_progress.exchange(true)) {
    return fail_all(FailedPreconditionError(
        "failed to process frames: a DetectForVideo call is already running on this landmarker"));
  }
  const ClearOnExit end_frames{impl_->video_frame_in_progress};
  size_t next = 0;
  while (next < frames.size()) {
    const std::span<const VideoFrameView> rest = frames.subspan(next);
    const size_t window = impl_->PalmsAheadWindow(rest);
    // The window's frames on the device (uploaded once, for both models) and their palms.
    std::deque<Impl::FrameOnDevice> on_device;
    std::vector<std::vector<vision::Detection>> palms;
    if (window > 0) {
      std::vector<ImageView> images;
      std::vector<Impl::FrameOnDevice*> frame_pointers;
      for (size_t i = 0; i < window; ++i) {
        images.push_back(Impl::SizedView(rest[i]));
        frame_pointers.push_back(&on_device.emplace_back(*impl_, images.back(), rest[i].gpu));
      }
      runtime::BatchingGroup::Call call(*impl_->stream);
      Result<std::vector<std::vector<vision::Detection>>> detected =
          impl_->DetectPalms(images, frame_pointers);
      // Failed: the frames go one by one instead, each reporting its own palm detection's error.
      if (detected.ok()) palms = std::move(detected).value();
    }
    const size_t count = palms.empty() ? 1 : window;
    for (size_t i = 0; i < count; ++i) {
      const Impl::PalmsAhead ahead =
          palms.empty() ? Impl::PalmsAhead{} : Impl::PalmsAhead{&on_device[i], &palms[i]};
      Result<HandLandmarkerResult> result = impl_->ProcessVideoFrame(
          Impl::SizedView(rest[i]), rest[i].timestamp_ms, palms.empty() ? nullptr : &ahead, rest[i].gpu);
      const bool failed = !result.ok();
      results.push_back(std::move(result));
      if (failed) {
        return fail_all(FailedPreconditionError("failed to process frame: not processed, as frame " +
                                                std::to_string(next + i) + " of this call failed"));
      }
    }
    next += count;
  }
  return results;
}

Status HandLandmarker::UseEngine(std::shared_ptr<HandEngine> engine) {
  const std::string failed = "failed to move hand landmarker to another engine: ";
  if (engine == nullptr) return InvalidArgumentError(failed + "no engine given");
  if (impl_->options.running_mode == RunningMode::kLiveStream) {
    return FailedPreconditionError(failed + "LIVE_STREAM landmarkers stay on their engine");
  }
  if (engine->options().model.variant != impl_->options.model.variant) {
    return InvalidArgumentError(failed + "it runs the other model variant (full and lite do not mix)");
  }
  if (impl_->video_frame_in_progress.exchange(true)) {
    return FailedPreconditionError(failed + "a frame is being processed on this landmarker");
  }
  const ClearOnExit end_switch{impl_->video_frame_in_progress};
  // Register with the new engine before leaving the old one, whose batches then stop waiting for
  // this stream. Uploaders belong to the old engine's device.
  auto stream = std::make_unique<runtime::BatchingGroup::Stream>(engine->impl_->group);
  {
    std::lock_guard lock(impl_->uploaders_mutex);
    impl_->idle_uploaders.clear();
  }
  impl_->stream = std::move(stream);
  impl_->models = engine->impl_.get();
  impl_->options.engine = engine;
  impl_->options.model = engine->options().model;
  impl_->engine = std::move(engine);
  return Status::Ok();
}

Status HandLandmarker::DetectAsync(const ImageView& image, int64_t timestamp_ms) {
  if (impl_->options.running_mode != RunningMode::kLiveStream) {
    return WrongMode("DetectAsync", RunningMode::kLiveStream, impl_->options.running_mode);
  }
  HT_RETURN_IF_ERROR(image.Validate());
  // Copy the pixels before taking the lock: the caller's buffer is only ours during this call.
  Impl::QueuedFrame frame{Image(image.width, image.height, image.format), timestamp_ms};
  const int row_bytes = image.width * BytesPerPixel(image.format);
  for (int y = 0; y < image.height; ++y) {
    std::copy_n(image.data + static_cast<size_t>(y) * image.stride_bytes, row_bytes,
                frame.image.data() + static_cast<size_t>(y) * row_bytes);
  }
  std::lock_guard lock(impl_->live_mutex);
  if (impl_->closing) return FailedPreconditionError("failed to queue frame: the landmarker is closed");
  HT_RETURN_IF_ERROR(impl_->CheckTimestamp(timestamp_ms));
  if (impl_->queued.has_value()) ++impl_->stats.frames_dropped;
  impl_->queued = std::move(frame);
  ++impl_->stats.frames_received;
  impl_->live_cv.notify_all();
  return Status::Ok();
}

Status HandLandmarker::Close() {
  {
    std::lock_guard lock(impl_->live_mutex);
    impl_->closing = true;
    impl_->live_cv.notify_all();
  }
  if (impl_->worker.joinable()) impl_->worker.join();
  return Status::Ok();
}

LiveStreamStats HandLandmarker::live_stream_stats() const {
  std::lock_guard lock(impl_->live_mutex);
  return impl_->stats;
}

}  // namespace handtrack
