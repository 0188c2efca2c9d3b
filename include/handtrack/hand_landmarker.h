// HandLandmarker: MediaPipe's hand landmark pipeline (palm detection + 21 3-D
// landmarks, handedness, world landmarks), shaped like MediaPipe Tasks.
//
//   handtrack::HandLandmarkerOptions options;
//   options.num_hands = 2;
//   auto landmarker = handtrack::HandLandmarker::Create(options);
//   if (!landmarker.ok()) { /* landmarker.status().message() says why */ }
//   auto result = (*landmarker)->Detect(image_view);
//
// Running modes, as in MediaPipe Tasks:
//   IMAGE        Detect(image): every call is independent (palm detection each time).
//   VIDEO        DetectForVideo(image, timestamp_ms): frames of one video in order;
//                hands are tracked from frame to frame (palm detection only while
//                fewer than num_hands hands are tracked) and keep a stable `id`.
//                DetectForVideoFrames takes several of the next frames at once.
//   LIVE_STREAM  DetectAsync(image, timestamp_ms): returns at once; results come
//                through `result_callback` on a worker thread. At most one frame is
//                processed and one queued; a newer frame replaces the queued one
//                (counted as dropped). Close() (or the destructor) finishes the frame
//                in flight and the queued one, delivers their results, then stops.
//
// Ownership: Create returns a uniquely owned landmarker. Its models live in a
// HandEngine (handtrack/hand_engine.h): its own, made by Create, or the one in
// options.engine, shared with other landmarkers; either way the landmarker
// holds a shared_ptr to it, so the engine outlives every landmarker using it.
// Images are only read during the call that receives them (DetectAsync copies
// the pixels it queues).
// Threading:
//   - IMAGE mode: Detect may be called from several threads at once on one
//     landmarker; the calls share only immutable state and the engine, whose
//     pool runs them in parallel (no lock is held around inference).
//   - VIDEO mode: a landmarker is one stream; its tracking, ids, smoothing and
//     timestamps are per landmarker. DetectForVideo takes one frame at a time:
//     an overlapping call fails with FailedPrecondition. For several streams,
//     create one landmarker per stream with the same options.engine; they then
//     run concurrently from any threads, and with HandEngineOptions::max_batch
//     > 1 their frames share batched model runs.
//   - LIVE_STREAM mode: DetectAsync and live_stream_stats may be called from
//     several threads at once (frames queue in the order the calls take the
//     queue's lock), also while another thread calls Close; Close itself from
//     one thread at a time. The callback runs on the landmarker's worker
//     thread, one call at a time.
//   - options(), DescribePlan(): any thread, any time.
//   A landmarker on a shared engine counts, from creation to destruction, as a
//   stream whose frames batches may wait for (at most batch_wait_us): destroy
//   landmarkers you no longer call.
// Errors: every call returns Status/Result; nothing throws, prints or aborts.
// A failed model run fails the call of every frame in that run (with
// batching: every landmarker with a frame in the batch), with the same message;
// the landmarkers and the engine stay usable.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "handtrack/gpu_frame.h"
#include "handtrack/hand_engine.h"
#include "handtrack/image.h"
#include "handtrack/models.h"
#include "handtrack/status.h"

namespace handtrack {

enum class RunningMode { kImage, kVideo, kLiveStream };

enum class SmoothingMode { kDefault, kOn, kOff };

// One-Euro filter parameters: cutoff frequency at rest (Hz; lower = smoother),
// speed coefficient (higher = less lag on fast motion), derivative cutoff (Hz).
struct OneEuroParams {
  float min_cutoff = 1.0f;
  float beta = 0.0f;
  float derivative_cutoff = 1.0f;
};

// A landmark in normalised image coordinates: x, y in [0, 1] of the image
// width and height (they may fall slightly outside for hands at the border);
// z is depth relative to the wrist on about the scale of x, negative = closer.
struct NormalizedLandmark {
  float x = 0, y = 0, z = 0;
};

// A landmark in metres, origin near the hand's geometric centre.
struct WorldLandmark {
  float x = 0, y = 0, z = 0;
};

inline constexpr int kNumHandLandmarks = 21;

struct Handedness {
  std::string label;       // "Left" or "Right"
  float score = 0;         // confidence of the label, in [0.5, 1]
  int index = 0;           // MediaPipe's class index: 0 = "Right", 1 = "Left"
  float model_output = 0;  // the raw sigmoid of the landmark model (> 0.5: right hand)
};

struct HandResult {
  // VIDEO / LIVE_STREAM: stays with a hand while it is tracked; a hand found
  // again after being lost gets a new id. IMAGE mode: 0, 1, ... per call.
  int id = 0;
  Handedness handedness;
  float presence = 0;  // hand presence score of the landmark model
  std::array<NormalizedLandmark, kNumHandLandmarks> landmarks{};
  std::array<WorldLandmark, kNumHandLandmarks> world_landmarks{};
};

struct HandLandmarkerResult {
  std::vector<HandResult> hands;
  int64_t timestamp_ms = 0;         // as given (0 in IMAGE mode)
  bool palm_detection_ran = false;  // false when every hand came from tracking
};

struct HandLandmarkerOptions {
  // Model variant, directory, delegate, threads. Ignored when `engine` is set:
  // the engine's ModelOptions apply (and options() reports them).
  ModelOptions model;
  // A shared engine (HandEngine::Create) whose models this landmarker uses
  // instead of loading its own; null (default): the landmarker makes its own
  // (max_batch 1). options() reports the engine in use either way.
  std::shared_ptr<HandEngine> engine;
  RunningMode running_mode = RunningMode::kImage;
  int num_hands = 1;  // MediaPipe's default; at most 8
  float min_hand_detection_confidence = 0.5f;
  float min_hand_presence_confidence = 0.5f;
  float min_tracking_confidence = 0.5f;
  // false (default): handedness labels describe the real hand in a non-mirrored
  // image, as MediaPipe Tasks does. true: the input is a mirrored selfie view,
  // labels are swapped (as the legacy MediaPipe Hands solution reported them).
  bool mirrored = false;

  // VIDEO and LIVE_STREAM only: how often palm detection looks for more hands
  // while some, but fewer than num_hands, are tracked. 1 (default): on every such
  // frame, MediaPipe's rule (results match MediaPipe). N > 1: on every Nth frame
  // counted from its last run, and at once on the frame after a tracked hand was
  // lost or its presence score fell below kPalmRedetectPresence; with no hand
  // tracked it still runs on every frame. So a hand that enters while another is
  // tracked is found within N frames, and the tracked hands' landmarks are the
  // same as with 1 (palm detection never moves a tracked region). At most 1000.
  int palm_detection_interval = 1;

  // One-Euro smoothing of landmarks over time (VIDEO and LIVE_STREAM only).
  // kDefault: off in VIDEO mode (results match MediaPipe's), on in LIVE_STREAM.
  SmoothingMode smoothing = SmoothingMode::kDefault;
  // Image landmarks, in pixels scaled by 1/hand size. MediaPipe's hand settings
  // (0.05, 80, 1) only halve the jitter of a still hand by a hair on the shared videos
  // (tools/smoothing_check.py: jitter ratio 0.51, bound 0.5); beta 40 brings it to
  // 0.39 while the lag on fast motion stays about 0.1 frame (bound 1).
  OneEuroParams image_smoothing{0.05f, 40.0f, 1.0f};
  // World landmarks, in metres (MediaPipe's settings: jitter ratio 0.10, lag 0.56 frame).
  OneEuroParams world_smoothing{0.1f, 40.0f, 1.0f};

  // LIVE_STREAM only (required there): receives each result, or the error of a
  // frame, with the frame's timestamp and the frame itself (valid during the call).
  std::function<void(Result<HandLandmarkerResult> result, const ImageView& frame, int64_t timestamp_ms)>
      result_callback;
};

// The presence score under which a tracked hand counts as about to be lost, so
// that palm detection runs on the next frame whatever palm_detection_interval says.
inline constexpr float kPalmRedetectPresence = 0.9f;

// One frame of a video, for DetectForVideoFrames: the pixels (read only during
// the call) and the frame's timestamp.
struct VideoFrameView {
  ImageView image;
  int64_t timestamp_ms = 0;
  // When set, the frame is this one in GPU memory (VideoFrame::gpu; alive during the
  // call) and `image` is ignored: on a CUDA engine of its GPU the models' inputs are
  // sampled from it there, elsewhere from its host copy (GpuFrame::ToHostRgb, once per
  // frame). See handtrack/gpu_frame.h for how its colours are converted.
  const GpuFrame* gpu = nullptr;
};

struct LiveStreamStats {
  int64_t frames_received = 0;   // DetectAsync calls accepted
  int64_t frames_processed = 0;  // results delivered (including errors)
  int64_t frames_dropped = 0;    // queued frames replaced by newer ones
};

class HandLandmarker {
 public:
  // Uses options.engine, or loads and verifies the models and plans each onto
  // backends (see ModelOptions::delegate) in an engine of its own; returns a
  // ready landmarker.
  static Result<std::unique_ptr<HandLandmarker>> Create(const HandLandmarkerOptions& options);

  ~HandLandmarker();
  HandLandmarker(const HandLandmarker&) = delete;
  HandLandmarker& operator=(const HandLandmarker&) = delete;

  // IMAGE mode: detects hands in one image, independently of earlier calls.
  // FailedPrecondition when the landmarker was created for another mode.
  Result<HandLandmarkerResult> Detect(const ImageView& image);

  // VIDEO mode: the next frame of a video. timestamp_ms must increase strictly
  // from call to call (FailedPrecondition otherwise). A frame that fails leaves
  // the tracking state as it was, its timestamp included: the same frame may be
  // given again (after UseEngine, say) and gives what it would have given.
  Result<HandLandmarkerResult> DetectForVideo(const ImageView& image, int64_t timestamp_ms);

  // VIDEO mode: the next frames of the video, in order. Returns one Result per
  // frame: what DetectForVideo would give each of them called one after the
  // other (the same hands, ids and landmarks). Processing stops at the first
  // frame that fails: it keeps its error, the frames after it get
  // FailedPrecondition "not processed", and the tracking state is the one the
  // frame before it left, so the failed frame and those after it may be given
  // again (after UseEngine, say).
  //
  // Why: on a batching engine (HandEngineOptions::max_batch > 1) palm detection
  // then runs for up to max_batch of the frames in one submission, before it
  // is known which of them need it, so that a GPU's palm runs fill up from few
  // streams (one DetectForVideo call has one frame to give). A frame that turns
  // out not to need it (num_hands hands tracked by then) drops its result. This
  // happens only when the first frame needs palm detection and
  // palm_detection_interval is 1; otherwise, and on an engine without
  // batching, the frames run one by one as DetectForVideo runs them.
  std::vector<Result<HandLandmarkerResult>> DetectForVideoFrames(std::span<const VideoFrameView> frames);

  // Moves this landmarker to `engine` (same model variant), keeping its VIDEO
  // state (tracked hands, ids, smoothing, last timestamp): how a stream whose
  // engine failed (a GPU lost or out of memory) goes on on another GPU or the
  // CPU without starting over (EnginePool does this). Results after the move
  // are those the new engine's backend gives. IMAGE or VIDEO mode; not while a
  // call on this landmarker is running (FailedPrecondition in VIDEO mode; the
  // caller's duty in IMAGE mode). InvalidArgument for a null engine or another
  // variant. The old engine is released when no one else holds it.
  Status UseEngine(std::shared_ptr<HandEngine> engine);

  // LIVE_STREAM mode: queues the frame (copied) and returns at once. Errors
  // here are about the call (wrong mode, timestamps not increasing, closed).
  Status DetectAsync(const ImageView& image, int64_t timestamp_ms);

  // LIVE_STREAM mode: processes what is in flight and queued, delivers it, and
  // stops the worker. Later DetectAsync calls fail. Idempotent.
  Status Close();
  LiveStreamStats live_stream_stats() const;

  const HandLandmarkerOptions& options() const;

  // Where each model runs: per model, the backend of each node group and the
  // reason for every fallback (human-readable, several lines).
  std::string DescribePlan() const;

  struct Impl;

 private:
  explicit HandLandmarker(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
