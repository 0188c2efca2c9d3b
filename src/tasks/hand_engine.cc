// HandEngine: both hand models loaded once, each served by a BatchingModel
// (pool of interpreters, optional batching across callers).
#include "handtrack/hand_engine.h"

#include <filesystem>
#include <future>

#include "model/tflite_reader.h"
#include "tasks/hand_engine_impl.h"
#include "tasks/model_loading.h"
#include "vision/anchors.h"

namespace handtrack {
namespace {

constexpr int kMaxBatchWaitUs = 10'000'000;
constexpr int kMaxConcurrentRuns = 64;

Status ValidateOptions(const HandEngineOptions& o) {
  const std::string what = "failed to create hand engine: ";
  if (o.model.num_threads < 1 || o.model.num_threads > 256) {
    return InvalidArgumentError(what + "num_threads " + std::to_string(o.model.num_threads) +
                                " is not in [1, 256]");
  }
  if (o.max_batch < 1 || o.max_batch > runtime::kMaxBatchingBatch || (o.max_batch & (o.max_batch - 1)) != 0) {
    return InvalidArgumentError(what + "max_batch " + std::to_string(o.max_batch) +
                                " is not a power of two in [1, " +
                                std::to_string(runtime::kMaxBatchingBatch) + "]");
  }
  if (o.batch_wait_us < 0 || o.batch_wait_us > kMaxBatchWaitUs) {
    return InvalidArgumentError(what + "batch_wait_us " + std::to_string(o.batch_wait_us) +
                                " is not in [0, " + std::to_string(kMaxBatchWaitUs) + "]");
  }
  if (o.max_instances < 0) {
    return InvalidArgumentError(what + "max_instances " + std::to_string(o.max_instances) + " is negative");
  }
  if (o.max_concurrent_runs < 0 || o.max_concurrent_runs > kMaxConcurrentRuns) {
    return InvalidArgumentError(what + "max_concurrent_runs " + std::to_string(o.max_concurrent_runs) +
                                " is not in [0, " + std::to_string(kMaxConcurrentRuns) + "]");
  }
  if (o.batch_step < 0 || o.batch_step > runtime::kMaxBatchingBatch ||
      (o.batch_step & (o.batch_step - 1)) != 0) {
    return InvalidArgumentError(what + "batch_step " + std::to_string(o.batch_step) +
                                " is neither 0 nor a power of two in [1, " +
                                std::to_string(runtime::kMaxBatchingBatch) + "]");
  }
  return Status::Ok();
}

Result<std::unique_ptr<runtime::BatchingModel>> LoadModel(
    const HandEngineOptions& o, const std::string& name, backend::RunPriority priority,
    const std::shared_ptr<runtime::BatchingGroup>& group) {
  HT_ASSIGN_OR_RETURN(model::Graph graph, tasks::LoadModelGraph(o.model, name));
  runtime::BatchingOptions batching;
  HT_ASSIGN_OR_RETURN(batching.interpreter, tasks::MakeInterpreterOptions(tasks::RunSettingsOf(o.model)));
  batching.interpreter.priority = priority;
  batching.max_batch = o.max_batch;
  batching.batch_wait = std::chrono::microseconds(o.batch_wait_us);
  batching.max_instances = o.max_instances;
  batching.max_concurrent_runs = o.max_concurrent_runs;
  batching.batch_step = o.batch_step;
  return runtime::BatchingModel::Create(std::make_shared<const model::Graph>(std::move(graph)), batching,
                                        group);
}

std::vector<int> InputShape(const runtime::BatchingModel& m) {
  const model::Graph& g = m.graph();
  return g.tensors[g.inputs[0]].shape;
}

Status CheckModelShapes(const runtime::BatchingModel& palm, const runtime::BatchingModel& landmarks) {
  const std::vector<int> palm_in{1, kPalmInputSize, kPalmInputSize, 3};
  const std::vector<int> lm_in{1, kLandmarkInputSize, kLandmarkInputSize, 3};
  if (palm.num_inputs() != 1 || InputShape(palm) != palm_in || palm.num_outputs() != 2 ||
      palm.output_size(0) != vision::kNumPalmAnchors * 18 || palm.output_size(1) != vision::kNumPalmAnchors) {
    return InvalidModelError("failed to use palm model " + palm.graph().name +
                             ": expected a 1x192x192x3 input and 2016x18 + 2016x1 outputs");
  }
  if (landmarks.num_inputs() != 1 || InputShape(landmarks) != lm_in || landmarks.num_outputs() != 4 ||
      landmarks.output_size(kLandmarksOutput) != 63 || landmarks.output_size(kPresenceOutput) != 1 ||
      landmarks.output_size(kHandednessOutput) != 1 || landmarks.output_size(kWorldOutput) != 63) {
    return InvalidModelError("failed to use landmark model " + landmarks.graph().name +
                             ": expected a 1x224x224x3 input and 63, 1, 1, 63 outputs");
  }
  return Status::Ok();
}

EngineModelStats ToPublic(const runtime::BatchingStats& s) {
  EngineModelStats m;
  m.runs = s.runs;
  m.frames = s.frames;
  m.slots = s.slots;
  m.max_frames_per_run = s.max_frames_per_run;
  m.instances = s.instances;
  m.run_seconds = s.run_seconds;
  m.queue_seconds = s.queue_seconds;
  m.device_seconds = s.device_seconds;
  m.max_concurrent_runs = s.max_concurrent_runs;
  m.copy_seconds = s.copy_seconds;
  m.launch_seconds = s.launch_seconds;
  m.wait_seconds = s.wait_seconds;
  m.calls = s.calls;
  m.call_seconds = s.call_seconds;
  return m;
}

}  // namespace

HandEngine::HandEngine(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HandEngine::~HandEngine() = default;

Result<std::shared_ptr<HandEngine>> HandEngine::Create(const HandEngineOptions& options) {
  HT_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->group = std::make_shared<runtime::BatchingGroup>();
  // A stream's landmark runs follow each other (each frame's crops come from the last frame's
  // landmarks), while its palm detection runs ahead over a window of frames: on a shared GPU
  // the landmark runs go first, so that the many streams' serial chains stay short.
  HT_ASSIGN_OR_RETURN(impl->palm, LoadModel(options, PalmModelName(options.model.variant),
                                            backend::RunPriority::kNormal, impl->group));
  HT_ASSIGN_OR_RETURN(impl->landmarks, LoadModel(options, LandmarkModelName(options.model.variant),
                                                 backend::RunPriority::kHigh, impl->group));
  HT_RETURN_IF_ERROR(CheckModelShapes(*impl->palm, *impl->landmarks));
  // options() tells what runs: kAuto becomes the precision chosen (both models have the same
  // delegate and candidates, so the same one).
  impl->options.model.precision = impl->palm->precision();
  if (options.warm_up && options.max_batch > 1) {
    // Both models at once, each on up to 4 threads: graph captures may overlap.
    constexpr int kThreadsPerModel = 4;
    const int copies = options.max_concurrent_runs > 0 ? options.max_concurrent_runs : 1;
    std::future<Status> palm = std::async(
        std::launch::async, [&impl, copies] { return impl->palm->Prepare(copies, kThreadsPerModel); });
    const Status landmarks = impl->landmarks->Prepare(copies, kThreadsPerModel);
    HT_RETURN_IF_ERROR(palm.get());
    HT_RETURN_IF_ERROR(landmarks);
  }
  return std::shared_ptr<HandEngine>(new HandEngine(std::move(impl)));
}

const HandEngineOptions& HandEngine::options() const { return impl_->options; }

std::string HandEngine::DescribePlan() const {
  return impl_->palm->DescribePlan() + impl_->landmarks->DescribePlan();
}

HandEngineStats HandEngine::stats() const {
  return {ToPublic(impl_->palm->stats()), ToPublic(impl_->landmarks->stats())};
}

}  // namespace handtrack
