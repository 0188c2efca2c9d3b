// EnginePool: several HandEngines (one per GPU, typically) serving many streams,
// each stream on the engine with the fewest streams, and a stream whose engine
// fails carried on by another engine without losing its place.
//
//   handtrack::EnginePoolOptions pool_options;
//   for (int gpu : {0, 1}) {
//     handtrack::HandEngineOptions engine;
//     engine.model.delegate = handtrack::Delegate::kCuda;
//     engine.model.device = gpu;
//     engine.max_batch = 16;
//     pool_options.engines.push_back(engine);
//   }
//   pool_options.fallback = handtrack::HandEngineOptions{};  // the CPU, when every GPU failed
//   pool_options.fallback->model.delegate = handtrack::Delegate::kXnnpack;
//   auto pool = handtrack::EnginePool::Create(pool_options);
//   auto stream = (*pool)->CreateLandmarker(video_options);  // one per stream
//   auto result = (*stream)->DetectForVideo(frame, timestamp_ms);
//
// Spreading: CreateLandmarker puts each new stream on the engine (not failed)
// that serves the fewest streams at that moment, the first such on ties, so
// that concurrent streams split evenly and each engine's batches fill alike.
//
// Take-over: when a frame fails with an error of the engine (code Unavailable,
// ResourceExhausted or Internal: a lost or faulted GPU, out of memory), that
// engine is retired for good (no new streams, and each of its streams moves at
// its next failure), the stream moves (HandLandmarker::UseEngine, which keeps
// its tracking state) to the least-loaded engine left, or to the fallback
// engine (made when first needed) when none is, and the same frame runs again
// there. Frames already returned are never redone; the results go on as if
// nothing happened, up to the difference between the backends (within 1e-5
// between two GPUs of one kind; between the CPU and a GPU, what their kernels
// differ by, see docs/CUDA.md). Errors of the input (a bad image, a timestamp out of order) are
// returned as they are. With no engine left, the frame's error is returned.
// Each take-over is counted (stats()) and said in one line to on_event.
//
// Ownership: Create returns a shared_ptr; every PooledLandmarker holds it, so
// the pool and its engines live until the last of them is gone.
// Threading: EnginePool's methods may be called from any thread at any time; a
// PooledLandmarker serves one thread at a time, as a VIDEO-mode HandLandmarker.
// Errors: Status/Result; nothing throws, prints or aborts.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/status.h"

namespace handtrack {

struct EnginePoolOptions {
  // One engine per entry, in this order (at least one). They must run the same
  // model variant; they typically differ in ModelOptions::device, and tests
  // give one of them a fault (ModelOptions::inject_faults / fault_hook). The
  // same device may appear twice (two engines on one GPU).
  std::vector<HandEngineOptions> engines;
  // The engine of last resort (the CPU: Delegate::kXnnpack), made the first
  // time a stream has no other engine left. Unset: the stream fails then.
  std::optional<HandEngineOptions> fallback;
  // Told one line per event (an engine retired at creation, a stream taken
  // over: "engine 1 (cuda:1) failed (...); its stream moved to engine 0
  // (cuda:0)"), on the thread where it happened; the library never prints, the
  // caller logs it. May be empty.
  std::function<void(const std::string& line)> on_event;
};

// One engine of the pool as it is now.
struct PoolEngineStats {
  std::string label;          // "cuda:0", "xnnpack": delegate and, on a GPU, device
  bool fallback = false;      // the engine of last resort
  bool created = false;       // false for a fallback not needed yet, or an engine that failed to load
  bool failed = false;        // retired: it takes no streams
  std::string failure;        // the error that retired it
  int streams = 0;            // landmarkers on it now
  int64_t streams_total = 0;  // landmarkers placed or moved onto it so far
  HandEngineStats engine;     // its model runs and batches
};

struct EnginePoolStats {
  std::vector<PoolEngineStats> engines;  // in options order, the fallback last
  int64_t take_overs = 0;                // streams moved because their engine failed

  // Every engine's model stats together: runs, frames, instances and run
  // seconds summed, the fullest batch of any.
  HandEngineStats Total() const;
};

class PooledLandmarker;

class EnginePool : public std::enable_shared_from_this<EnginePool> {
 public:
  // Creates every engine of options.engines (the fallback waits until it is
  // needed). An engine that fails to load with an error of the engine (as
  // above: no such GPU memory, a faulted device) is retired at once, said to
  // on_event, while another engine or the fallback is left; InvalidArgument
  // for bad options (no engines, mixed variants, a device that does not exist)
  // and the first engine's error when none can load.
  static Result<std::shared_ptr<EnginePool>> Create(const EnginePoolOptions& options);

  ~EnginePool();
  EnginePool(const EnginePool&) = delete;
  EnginePool& operator=(const EnginePool&) = delete;

  // A landmarker (IMAGE or VIDEO mode; LIVE_STREAM is InvalidArgument) on the
  // least-loaded engine. options.engine must be empty: the pool chooses;
  // options.model is ignored (the engine's applies).
  Result<std::unique_ptr<PooledLandmarker>> CreateLandmarker(const HandLandmarkerOptions& options);

  // The engine a single caller would get now (least loaded, not failed; the
  // fallback when none is left), for requests that use an engine directly.
  Result<std::shared_ptr<HandEngine>> PickEngine();

  // The first engine's options: what runs unless engines fail.
  const HandEngineOptions& engine_options() const;

  EnginePoolStats stats() const;

  struct Impl;

 private:
  friend class PooledLandmarker;
  explicit EnginePool(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A HandLandmarker on an EnginePool's engine that moves to another engine when
// its own fails (see EnginePool). One thread at a time.
class PooledLandmarker {
 public:
  ~PooledLandmarker();
  PooledLandmarker(const PooledLandmarker&) = delete;
  PooledLandmarker& operator=(const PooledLandmarker&) = delete;

  // As HandLandmarker's, with the take-over above.
  Result<HandLandmarkerResult> Detect(const ImageView& image);
  Result<HandLandmarkerResult> DetectForVideo(const ImageView& image, int64_t timestamp_ms);
  std::vector<Result<HandLandmarkerResult>> DetectForVideoFrames(std::span<const VideoFrameView> frames);

  // The options of the landmarker, its model those of the engine it is on now.
  const HandLandmarkerOptions& options() const;
  // The index of the engine it is on now in EnginePoolStats::engines.
  int engine_index() const;
  // How many times this stream moved to another engine.
  int take_overs() const;

 private:
  friend class EnginePool;
  PooledLandmarker(std::shared_ptr<EnginePool> pool, std::unique_ptr<HandLandmarker> landmarker, int engine);
  // Moves the landmarker to another engine after `failure` of its own; the
  // error (prefixed) when no engine is left or the move failed.
  Status TakeOver(const Status& failure);
  // Runs `detect` on the landmarker, moving it after failures of its engine.
  Result<HandLandmarkerResult> WithTakeOver(
      const std::function<Result<HandLandmarkerResult>(HandLandmarker& landmarker)>& detect);

  std::shared_ptr<EnginePool> pool_;
  std::unique_ptr<HandLandmarker> landmarker_;
  int engine_;
  int take_overs_ = 0;
};

}  // namespace handtrack
