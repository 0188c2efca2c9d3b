// Serving one model to many threads at once: a pool of interpreters (created
// lazily, capped) so that concurrent callers run in parallel, and optional
// batching, which gathers the frames of concurrent callers into one run of a
// batched graph (model::WithBatch).
//
// Batching policy (max_batch > 1): a caller queues its frames and waits. A
// batch runs as soon as one of these holds:
//   - max_batch frames are queued (the batch is full);
//   - every caller that could still submit is already blocked in a
//     BatchingModel of the group (waiting for more would wait for nobody);
//   - the oldest queued frame has waited batch_wait;
// and, with max_concurrent_runs > 0, fewer than that many runs of the model are
// in progress (else it runs as soon as one ends, with every frame queued
// meanwhile: with batch_wait 0 each run takes what arrived during the last).
// A waiting caller that still has frames queued and sees the batch ready leads
// it (no dispatcher thread): it takes up to max_batch frames from the front of
// the queue (anyone's, in arrival order), copies them into an interpreter of
// the smallest batch size that holds them (RunBatchSize: a power of two, or with
// batch_step a multiple of it; unused tail slots zeroed),
// runs it with the mutex released and copies each frame's outputs back to its
// caller. A run's error goes to every caller with frames in it. Nothing waits
// without a deadline unless a run (or an interpreter) it depends on is in use,
// so a caller that ends or fails never holds the others back for longer than
// batch_wait. With max_batch 1 every frame runs at once on a free interpreter.
//
// "Could still submit" is counted by the BatchingGroup: registered streams
// with no call in progress (they may start one at any moment) plus the calls
// in progress. A stream that ends unregisters, and batches stop waiting for it.
//
// Threading: every public method may be called from any thread at once. The
// group's mutex guards only queues, pools and counters; inference, gathering
// and scattering run outside it, so runs on different interpreters overlap.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "handtrack/models.h"
#include "handtrack/status.h"
#include "model/graph.h"
#include "runtime/interpreter.h"

namespace handtrack::runtime {

// The callers of a set of BatchingModels (e.g. the palm and landmark models of
// one engine). Shared by those models and by the streams that use them.
class BatchingGroup {
 public:
  // A source of sequential calls, e.g. one video stream; registered for its
  // lifetime. While it has no call in progress it still counts as a caller
  // that could submit (its next frame is probably on the way).
  class Stream {
   public:
    explicit Stream(std::shared_ptr<BatchingGroup> group);
    ~Stream();  // unregisters and wakes the waiting callers
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

   private:
    friend class BatchingGroup;
    std::shared_ptr<BatchingGroup> group_;
    int calls_in_progress_ = 0;  // guarded by group_->mutex_
  };

  // One call of a stream (e.g. one Detect), from start to end, including its
  // work between model runs. Several calls of one stream may overlap (IMAGE
  // mode from several threads); each then counts as a caller.
  class Call {
   public:
    explicit Call(Stream& stream);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

   private:
    Stream& stream_;
  };

 private:
  friend class BatchingModel;

  // Under mutex_.
  int potential_submitters() const { return idle_streams_ + calls_in_progress_; }

  std::mutex mutex_;
  // Notified whenever a batch may have become ready, frames were completed or
  // an interpreter came back to a pool.
  std::condition_variable changed_;
  int idle_streams_ = 0;       // registered streams with no call in progress
  int calls_in_progress_ = 0;  // calls of registered streams
  int blocked_callers_ = 0;    // callers inside BatchingModel::Run
};

struct BatchingOptions {
  // Of every interpreter of the pool (num_threads is per interpreter).
  InterpreterOptions interpreter;
  // Most frames per run; a power of two in [1, kMaxBatchingBatch]. 1: no batching.
  int max_batch = 1;
  // How long the oldest queued frame may wait for a fuller batch.
  std::chrono::microseconds batch_wait{2000};
  // Most interpreters (of all batch sizes) this model keeps; 0: no cap, the
  // pool then grows to the peak number of overlapping runs.
  int max_instances = 0;
  // Most runs of this model at once; 0: no cap. Frames that become ready
  // while the cap is reached wait for a run to end and then go together.
  int max_concurrent_runs = 0;
  // The batch sizes runs take (see RunBatchSize): 0, powers of two only; S (a power of two in
  // [1, kMaxBatchingBatch]), powers of two up to S and multiples of S above it.
  int batch_step = 0;
};

inline constexpr int kMaxBatchingBatch = 64;

// The batch size of a run of `frames` frames (1 <= frames <= max_batch): the smallest size that
// holds them among the powers of two up to `batch_step` and the multiples of `batch_step` (0:
// powers of two only). Why: a run's unused slots cost what frames do, and on a GPU the runs of
// many sessions gather 9-16 frames as often as 16, so that powers of two alone leave about a
// quarter of the slots empty; every size is an interpreter of its own (its activations and,
// on a GPU, its captured graph), so finer steps cost memory and compile time.
int RunBatchSize(int frames, int max_batch, int batch_step);
// Every batch size RunBatchSize can give for max_batch and batch_step, ascending.
std::vector<int> RunBatchSizes(int max_batch, int batch_step);

// For callers that read only some rows of an output: row r of output `gated` (its values split
// into as many rows as output `key` has values per frame) comes back only when key value r is
// >= min_key; the caller's other rows are left as they were (a NaN key value fails the test).
// Palm detection reads an anchor's 18 box values only when its logit can pass the score
// threshold: a few of 2016 rows per frame instead of 145 KB.
struct OutputRowGate {
  int key = -1;    // output index; it comes back whole
  int gated = -1;  // output index
  float min_key = 0.0f;
};

// What a BatchingModel has done so far.
struct BatchingStats {
  int64_t runs = 0;             // interpreter runs, successful or not
  int64_t frames = 0;           // frames in those runs
  int64_t slots = 0;            // their batch sizes, summed: frames plus the zeroed slots
  int max_frames_per_run = 0;   // the fullest run
  int max_concurrent_runs = 0;  // the most runs in progress at once
  double run_seconds = 0;       // wall time of the runs (inputs in, inference, outputs out), summed
  double queue_seconds = 0;     // time each frame waited in the queue for its run to begin, summed
  double device_seconds = 0;    // the runs' time on the GPU (Interpreter::run_times), summed
  // The host's parts of the runs on a device (Interpreter::run_times), summed: copies into and
  // out of the device's staging buffers plus each frame's outputs handed to its caller (this
  // one on the CPU too), the launch calls, and the wait for the device's stream.
  double copy_seconds = 0;
  double launch_seconds = 0;
  double wait_seconds = 0;
  int instances = 0;  // interpreters created
  // The callers' view: Run/RunSampled calls and their time from submission to return
  // (queueing, the runs, and the wake-up after them), summed.
  int64_t calls = 0;
  double call_seconds = 0;
};

class BatchingModel {
 public:
  // Creates and compiles the batch-1 interpreter now (so that a model that
  // cannot be planned fails here, and DescribePlan has something to show), and
  // rewrites the graph for max_batch now (so that a model that cannot be
  // batched fails here); the other interpreters come when needed.
  static Result<std::unique_ptr<BatchingModel>> Create(std::shared_ptr<const model::Graph> graph,
                                                       const BatchingOptions& options,
                                                       std::shared_ptr<BatchingGroup> group);
  ~BatchingModel();
  BatchingModel(const BatchingModel&) = delete;
  BatchingModel& operator=(const BatchingModel&) = delete;

  // Creates now the interpreters that runs would otherwise create when first needed: `copies`
  // of each batch size runs can take (RunBatchSize's sizes up to max_batch), within
  // max_instances, counting those already there. Each one whose input the device samples
  // runs once on zeros, so that its sampling graph is captured too. Why: on a GPU an
  // interpreter made mid-run captures CUDA graphs, which holds back the runs in flight and
  // every video decoder sharing the context (base/cuda_capture_gate.h): 16 sessions starting
  // together spent 0.75 s of their 6 s opening their videos that way (H100, docs/CUDA.md).
  // Creates up to `threads` at once. Call before the first Run; thread-safe. Returns the
  // first error (the interpreters made before it are kept, and runs make the rest).
  Status Prepare(int copies, int threads);

  // The batch-1 graph.
  const model::Graph& graph() const { return *graphs_[1]; }
  int num_inputs() const { return static_cast<int>(input_sizes_.size()); }
  int num_outputs() const { return static_cast<int>(output_sizes_.size()); }
  // Floats per frame of input / output `index`.
  size_t input_size(int index) const { return input_sizes_.at(index); }
  size_t output_size(int index) const { return output_sizes_.at(index); }

  // Runs `num_frames` frames and returns when all of them ran. inputs[i]
  // holds the frames' values of model input i back to back (frame f at
  // f * input_size(i)); outputs[o] receives output o the same way. The buffers
  // must stay valid and untouched until Run returns. The frames may run in
  // several batches, each mixed with other callers' frames; the first error
  // of any of them is returned (and the outputs are then unspecified).
  // With `gate`, output gate->gated comes back only in part (OutputRowGate); the gate must name
  // two different outputs, the gated one's size per frame a multiple of the key's.
  Status Run(int num_frames, std::span<const float* const> inputs, std::span<float* const> outputs,
             const OutputRowGate* gate = nullptr);

  // Pre-processing on the device, for single-input models (backend/image_sampling.h).
  // Whether the model's input can be sampled on the device now (the batch-1
  // interpreter's plan: a cuda plan can, a CPU plan cannot).
  bool CanSampleOnDevice() const;
  // CanSampleOnDevice, and the device runs work from several threads at once
  // (Backend::OverlapsRuns: cuda's streams; not webgpu's single event loop).
  bool OverlapsRunsOnDevice() const;
  // An uploader for the device that samples the input; nullptr when
  // CanSampleOnDevice is false.
  Result<std::unique_ptr<backend::ImageUploader>> CreateImageUploader() const;
  // Run with the frames' input sampled on the device from samples[f]; like Run
  // otherwise, batched with other callers' frames (sampled or not). Where the
  // plan cannot sample (a CPU interpreter, a fallback) fill_host(f, out) writes
  // frame f's floats instead. `samples`, `fill_host` and `outputs` must stay
  // valid until RunSampled returns.
  Status RunSampled(int num_frames, std::span<const backend::ImageSampling> samples,
                    const backend::HostInputFill& fill_host, std::span<float* const> outputs,
                    const OutputRowGate* gate = nullptr);

  // The plan of the batch-1 interpreter, as it is now (it changes when kAuto
  // drops a failing backend), plus a batching line when max_batch > 1.
  std::string DescribePlan() const;
  // The precision every interpreter is planned in: the options', or what kAuto chose for the
  // batch-1 interpreter at Create.
  Precision precision() const { return options_.interpreter.precision; }
  BatchingStats stats() const;

 private:
  struct Request;
  struct QueuedFrame;
  struct Instance;
  // What a waiting caller does next.
  struct NextStep {
    bool ran = false;                                              // it led a batch: look at the state again
    std::optional<std::chrono::steady_clock::time_point> wake_at;  // else: wait (until then)
  };

  BatchingModel(std::shared_ptr<const model::Graph> graph, const BatchingOptions& options,
                std::shared_ptr<BatchingGroup> group);
  NextStep RunBatchIfReady(const Request& caller, std::unique_lock<std::mutex>& lock);
  Result<std::shared_ptr<const model::Graph>> GraphForBatch(int batch);
  Result<std::unique_ptr<Instance>> CreateInstance(int batch);
  // Both set *scatter_seconds to CopyOutputs' time when they get that far.
  Status RunOn(Instance& instance, std::span<const QueuedFrame> frames, double* scatter_seconds);
  Status RunSampledOn(Instance& instance, std::span<const QueuedFrame> frames, double* scatter_seconds);
  // InvalidArgument unless `gate` is null or names two outputs as OutputRowGate says.
  Status CheckGate(const OutputRowGate* gate) const;
  // Hands each frame's outputs back to its caller (gated ones in part); returns the seconds it took.
  double CopyOutputs(const Interpreter& interpreter, std::span<const QueuedFrame> frames) const;
  // Queues the request's frames and waits until all of them ran.
  Status Submit(Request& request);

  BatchingOptions options_;
  std::shared_ptr<BatchingGroup> group_;
  std::vector<size_t> input_sizes_, output_sizes_;

  // Graph per batch size 1, 2, 4, ... (index log2), rewritten when first needed.
  std::mutex graphs_mutex_;  // creation only; never held during inference
  std::vector<std::shared_ptr<const model::Graph>> graphs_;

  // Guarded by group_->mutex_.
  std::deque<QueuedFrame> queue_;
  std::vector<std::unique_ptr<Instance>> instances_;  // every interpreter, the batch-1 one first
  std::vector<Instance*> idle_;                       // those not running now
  int instances_being_created_ = 0;
  int runs_in_progress_ = 0;
  BatchingStats stats_;
};

}  // namespace handtrack::runtime
