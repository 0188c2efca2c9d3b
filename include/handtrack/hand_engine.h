// HandEngine: the palm detection and hand landmark models, loaded once and
// served to any number of landmarkers, threads and streams at once.
//
//   handtrack::HandEngineOptions engine_options;
//   engine_options.model.delegate = handtrack::Delegate::kCuda;
//   engine_options.max_batch = 8;               // batch frames across streams
//   auto engine = handtrack::HandEngine::Create(engine_options);   // Result<shared_ptr<HandEngine>>
//   handtrack::HandLandmarkerOptions options;
//   options.running_mode = handtrack::RunningMode::kVideo;
//   options.engine = *engine;                   // each stream: its own landmarker, one engine
//   auto landmarker = handtrack::HandLandmarker::Create(options);
//
// A HandLandmarker created without an engine makes its own (max_batch 1).
//
// Concurrency: per model the engine keeps a pool of interpreters (created
// when concurrent runs need them, up to max_instances), so runs of different
// threads proceed in parallel; a mutex guards only the pools and queues,
// never inference. Weights are loaded once per model and shared by its
// interpreters of one batch size.
//
// Batching (max_batch > 1): single frames that concurrent callers submit to a
// model are gathered into one batched run (power-of-two batches up to
// max_batch, unused slots zeroed) and the outputs are handed back to each
// caller. A batch runs as soon as it is full, or when every landmarker that
// could still submit a frame is already waiting in the engine, or when its
// oldest frame has waited batch_wait_us. A landmarker counts as a possible
// submitter from its creation to its destruction, so one that exists but is
// not being called delays batches by up to batch_wait_us; one that is
// destroyed (or errs and is destroyed) stops delaying them at once. A frame
// with several hands submits all its hand crops together. Batching changes
// timing, not results: batch-N runs equal N batch-1 runs (bit for bit on the
// CPU backends, within 1e-5 on cuda). It pays on cuda; XNNPACK runs a batch
// no faster than its frames one by one.
//
// Ownership: Create returns a shared_ptr; every landmarker using the engine
// holds a reference, so the engine lives until the last of them is destroyed.
// Threading: every method of HandEngine may be called from any thread at any
// time. Errors: Status/Result, nothing throws, prints or aborts; the error of
// a batched run is returned to every caller with a frame in that batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "handtrack/models.h"
#include "handtrack/status.h"

namespace handtrack {

struct HandEngineOptions {
  // Model variant, folder, delegate, precision; num_threads is per interpreter
  // (CPU threads of one run), so concurrent runs use num_threads each.
  ModelOptions model;
  // Most frames per model run: a power of two in [1, 64]. 1 (default): no
  // batching; each run takes one caller's frame.
  int max_batch = 1;
  // How long a queued frame may wait for a fuller batch, in microseconds,
  // [0, 10'000'000]. Only used with max_batch > 1.
  int batch_wait_us = 2000;
  // Most interpreters per model (all batch sizes together); 0 (default): no
  // cap, the pool grows to the peak number of overlapping runs. With a cap,
  // callers beyond it wait for a free interpreter.
  int max_instances = 0;
  // Most runs of each model at once, [0, 64]; 0 (default): no cap, a batch
  // runs as soon as it is ready (above), on an interpreter of its own if the
  // others are busy. With a cap, a batch that is ready while that many runs are
  // in progress waits for one to end and then takes every frame queued
  // meanwhile (up to max_batch): with batch_wait_us 0 and a cap of 1, each run
  // takes whatever arrived during the previous one. Results are the same with
  // any cap; it changes how frames are grouped, hence speed.
  int max_concurrent_runs = 0;
  // The batch sizes runs take: 0 (default), powers of two only (a run of 9 frames runs
  // at 16, the other 7 slots zeroed); S, a power of two in [1, 64]: powers of two up to S,
  // then multiples of S (S = 4: 1, 2, 4, 8, 12, 16, 20, ...). Each size used is an
  // interpreter of its own per model (its activations; on a GPU a captured graph, made
  // when first needed), so a finer step costs memory and compile time for less work per
  // run. On the CPU backends results are the same with any step; on a GPU a frame's last
  // bits depend on the batch size it runs in, as with max_batch. (`handtrack track` takes 4
  // when it batches on a GPU: 2-6 % more frames/s with 16 sessions on an H100.)
  int batch_step = 0;
  // Create at once, in Create, every interpreter the batch policy can use (each batch size
  // runs may take, max_concurrent_runs of each, or one without a cap; within max_instances),
  // each run once on zeros, instead of each when first needed. On a GPU making one captures
  // CUDA graphs, which holds back the runs in flight and the video decoders sharing the GPU's
  // context: many sessions starting together then wait. Costs start-up time (the models'
  // interpreters made on several threads) and holds all their device memory from the start.
  // Results are the same either way. (`handtrack track`, serve and worker turn it on when
  // they batch on a GPU; see docs/CUDA.md.)
  bool warm_up = false;
};

// What one model of the engine has done so far.
struct EngineModelStats {
  int64_t runs = 0;            // model runs (batched or not), failed ones included
  int64_t frames = 0;          // frames in those runs
  int max_frames_per_run = 0;  // the fullest batch so far
  // The batch sizes of those runs, summed: frames plus the slots left empty (zeroed) because
  // a run's frames fell short of an interpreter's batch size (HandEngineOptions::batch_step).
  int64_t slots = 0;
  int instances = 0;  // interpreters created (each holds its own activations)
  // Wall time of the runs, summed (inputs in, inference, outputs back; runs that
  // overlap each count in full): run_seconds / runs is the mean time of a run.
  double run_seconds = 0;
  // Time each frame spent queued before its run began (gathering a batch, or
  // waiting for a free interpreter), summed over frames: queue_seconds / frames
  // is a frame's mean wait. With run_seconds, where a caller's model time goes.
  double queue_seconds = 0;
  // The runs' time on the GPU, from launch to completion as device events time it
  // (waiting for the GPU included), summed; 0 for runs on the CPU. Next to
  // run_seconds it shows how much of a run the host spends around the GPU's part.
  double device_seconds = 0;
  // The most runs of this model in progress at once so far.
  int max_concurrent_runs = 0;
  // Where the host's part of the runs on a device goes (summed; 0 on the CPU but
  // copy_seconds): copying into and out of the device's staging buffers plus each
  // frame's outputs handed back to its caller; the launch calls; and the wait from
  // launch to the device's stream being done (device_seconds plus the device's
  // start and the host's wake-up). run_seconds less these is bookkeeping.
  double copy_seconds = 0;
  double launch_seconds = 0;
  double wait_seconds = 0;
  // The callers' side: calls (one per submission of one or more frames) and their
  // time from submission to return, summed (queueing, the runs and the wake-up).
  int64_t calls = 0;
  double call_seconds = 0;
};

struct HandEngineStats {
  EngineModelStats palm;
  EngineModelStats landmarks;
};

class HandEngine {
 public:
  // Loads and verifies both models of options.model.variant, plans each onto
  // backends (ModelOptions::delegate) and checks that they can run at
  // max_batch. InvalidArgument for bad options; the errors of loading and
  // planning otherwise ("failed to load model PATH: ...").
  static Result<std::shared_ptr<HandEngine>> Create(const HandEngineOptions& options);

  ~HandEngine();
  HandEngine(const HandEngine&) = delete;
  HandEngine& operator=(const HandEngine&) = delete;

  // The options given, except model.precision: the one chosen where kAuto was given.
  const HandEngineOptions& options() const;

  // Where each model runs (node groups per backend, every fallback reason),
  // as it is now; with max_batch > 1 also a line on batching. Several lines.
  std::string DescribePlan() const;

  HandEngineStats stats() const;

  struct Impl;

 private:
  friend class HandLandmarker;
  explicit HandEngine(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace handtrack
