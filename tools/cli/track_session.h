// One video tracked to the end in VIDEO mode: the per-frame results in any of the
// track formats (several at once), an optional overlay video, and the session summary.
// `handtrack track` and the service (`handtrack serve` / `handtrack worker`) both run
// videos through TrackVideo, so their outputs are the same bytes for the same video and
// options. Nothing here prints.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "frame_json.h"
#include "frame_prefetcher.h"
#include "handtrack/engine_pool.h"
#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/video_io.h"
#include "track_output.h"

namespace handtrack::cli {

struct HandSummary {
  std::string handedness;
  int64_t frames = 0;
  std::map<std::string, int64_t> gestures;
  int64_t pinches = 0;
  double stroke_length_px = 0;
};

// What `track --summary` writes for one input.
// Seconds as the summaries give them: rounded to the millisecond.
double Milliseconds(double seconds);

struct VideoSummary {
  std::string input;
  std::string error;
  // VideoInfo's: the decoder that ran ("h264 (cpu)", "h264 (cuda)"; empty when the video did
  // not open) and why hardware decoding was asked for but not used.
  std::string decoder;
  std::string hardware_fallback_reason;
  // The precision its engine's models were planned in ("fp16", "fp32": what --precision auto
  // chose); empty when no engine took the video.
  std::string precision;
  // NVDEC's pictures stayed on the GPU for the models (VideoInfo::frames_on_gpu; in the JSON
  // only when true).
  bool frames_on_gpu = false;
  int64_t frames = 0;
  int64_t frames_with_hands = 0;
  int64_t duration_ms = 0;
  double processing_seconds = 0;
  // Where processing_seconds went: waiting for the decoder's next frame, in the landmarker
  // (HandLandmarker::DetectForVideoFrames: models, pre- and post-processing, waits for
  // batches), opening the video (its decoder included), the rest of the start (the
  // landmarker on its engine, the outputs), the end (decoding stopped, outputs finished, the
  // video and the landmarker closed), and the rest (gestures, outputs, overlay per frame).
  // Start and end are paid once per video, so on short videos they weigh most.
  double decoder_wait_seconds = 0;
  double landmarker_seconds = 0;
  double open_seconds = 0;
  double start_seconds = 0;
  double close_seconds = 0;
  // The decoding thread's own time (VideoReader::read_times), which overlaps processing_seconds:
  // beside decoder_wait it tells whether the decoder is busy all along or waits for CPU time.
  VideoReadTimes decoder_times;
  // When, in seconds since the process started (process_clock.h), this video began (its
  // opening, or its landmarker asked for when it opens after), finished opening and ended:
  // with many videos at once, where each one's time lies against the others' and the engine's.
  double began_at_seconds = 0;
  double opened_at_seconds = 0;
  double ended_at_seconds = 0;
  // A video opened ahead (OpenedVideo): from its opening to its tracking's start, waiting for
  // the engine (not in processing_seconds; ended - began = engine_wait + processing). 0 else.
  double engine_wait_seconds = 0;
  // With several engines (--gpus): the engine the video started on, the one it ended on, and
  // how many times it moved because its engine failed. Empty / 0 otherwise (not in the JSON).
  std::string engine;
  std::string final_engine;
  int take_overs = 0;
  std::map<int, HandSummary> hands;

  Json ToJson() const;
};

struct TrackVideoRequest {
  std::string input;  // a video file or a folder of frames
  // The name the outputs give the video ("video" and "file" fields); `input` when empty.
  std::string name;
  // VIDEO-mode options; model and engine are taken from the engine.
  HandLandmarkerOptions landmarker;
  double fps = 30;  // of frame folders
  // Where to decode (hardware_decode) and the limits. Frames are decoded ahead on a thread of
  // their own (FramePrefetcher, frame_prefetcher.h: up to 6 frames of the video in memory, or
  // 2 x frames_per_call + 2 with more than 4 frames per call).
  VideoReaderOptions reader;
  // Frames given to the landmarker at once (HandLandmarker::DetectForVideoFrames: on a
  // batching engine their palm detection runs as one submission); 1 to 64. The results are
  // the same for any value.
  int frames_per_call = 1;
  // Every sink gets every frame: (format, path or "-").
  std::vector<std::pair<TrackFormat, std::string>> outputs;
  std::mutex* stdout_mutex = nullptr;  // for "-" outputs
  std::string overlay;                 // OUT.mp4, or empty for none
  // Called once the video is open (may be empty), e.g. to say which decoder runs.
  std::function<void(const VideoInfo& info)> on_open;
  // Called once the video is open (frames_done 0) and after each frame; an error stops
  // the video there (the frames so far stay written) and becomes the summary's error.
  std::function<Status(int64_t frames_done, int64_t frames_total)> on_progress;
};

// Frames per DetectForVideoFrames call when none is asked for: on an engine that batches on a
// GPU (max_batch > 1, which track and serve choose only there), 8, at most max_batch, so that
// palm runs fill from fewer sessions (on the H200, 16 sessions of the 2-minute shared session:
// 3845-3896 frames/s with 8 against 3155-3255 with 1, docs/CUDA.md); else 1, because on the
// CPU a batch runs no faster and a frame would wait for its window's palm runs.
int DefaultFramesPerCall(int max_batch, bool on_device);

// The batch policy when none is asked for (--batch-wait-us, --max-concurrent-runs, --batch-step):
// on an engine that batches on a GPU, a frame waits at most 250 us for a fuller batch, each model
// has at most 2 runs at once (on the H200, 16 sessions of the 2-minute shared session: 5162
// frames/s against 4135 with the engine's defaults, 2000 us and no cap) and runs take batch sizes
// in steps of 4 above 4 (on the H100, the same 16 sessions: 6947-6965 frames/s against 6572-6784
// with powers of two; docs/CUDA.md); else the engine's defaults.
// With it, every interpreter the policy can use is made when the engine starts
// (HandEngineOptions::warm_up): on the GPU, not mid-run, where its graph captures held back
// the runs and the videos opening (16 sessions on an H100, docs/CUDA.md).
struct BatchPolicy {
  int batch_wait_us = 0;
  int max_concurrent_runs = 0;
  int batch_step = 0;
  bool warm_up = false;
};
BatchPolicy DefaultBatchPolicy(int max_batch, bool on_device);

// A video opened before its tracking (OpenTrackVideo), e.g. while the engine starts: on a GPU
// its decoder is made then (NVDEC makes them one at a time, about 55 ms each on an H100, so 16
// videos take most of a second: docs/CUDA.md), and its frames are decoded ahead from then on.
// Movable, not assignable: an assignment would close the reader it replaces before that
// reader's decoding thread stops (members are assigned in order); destroy it (e.g.
// std::optional::emplace) and make another instead. Dropping it stops the decoding and closes
// the video.
struct OpenedVideo {
  OpenedVideo() = default;
  OpenedVideo(OpenedVideo&&) = default;
  OpenedVideo& operator=(OpenedVideo&&) = delete;

  int device = 0;               // the GPU it decodes on (VideoReaderOptions::hardware_device)
  Status status;                // why it did not open (then reader and frames are null)
  double open_seconds = 0;      // VideoReader::Open's time
  double began_at_seconds = 0;  // since the process started (process_clock.h)
  double opened_at_seconds = 0;
  std::unique_ptr<VideoReader> reader;
  std::unique_ptr<FramePrefetcher> frames;  // declared last: stops before the reader closes
};

// Opens request.input as TrackVideo does, decoding on GPU `device` where the request asks for
// hardware decoding, and starts decoding ahead. Thread-safe.
OpenedVideo OpenTrackVideo(const TrackVideoRequest& request, int device);

// Tracks one input to the end or to its first error, writing and flushing each frame as
// it goes, on the pool's least-loaded engine (moving to another when that one fails, see
// EnginePool). The error, if any, is in the summary (one line, naming the input). With
// hardware decoding, the video is decoded on the GPU of the engine it starts on: `opened`,
// when given (OpenTrackVideo of the same request), is used if it decodes there, else
// closed and the video opened again; its wait between opening and this call is the
// summary's engine_wait_seconds, not part of processing_seconds.
VideoSummary TrackVideo(const TrackVideoRequest& request, const std::shared_ptr<EnginePool>& engines,
                        std::optional<OpenedVideo> opened = std::nullopt);

}  // namespace handtrack::cli
