#include "runtime/batching_model.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <thread>
#include <utility>

#include "model/batch.h"

namespace handtrack::runtime {

BatchingGroup::Stream::Stream(std::shared_ptr<BatchingGroup> group) : group_(std::move(group)) {
  std::lock_guard lock(group_->mutex_);
  ++group_->idle_streams_;
}

BatchingGroup::Stream::~Stream() {
  std::lock_guard lock(group_->mutex_);
  // Calls hold a reference to their stream, so none is in progress here.
  --group_->idle_streams_;
  // One caller fewer to wait for: a waiting batch may be ready now.
  group_->changed_.notify_all();
}

BatchingGroup::Call::Call(Stream& stream) : stream_(stream) {
  BatchingGroup& group = *stream_.group_;
  std::lock_guard lock(group.mutex_);
  // The idle stream becomes its first call; a second overlapping call is one more caller.
  if (stream_.calls_in_progress_++ == 0) --group.idle_streams_;
  ++group.calls_in_progress_;
}

BatchingGroup::Call::~Call() {
  BatchingGroup& group = *stream_.group_;
  std::lock_guard lock(group.mutex_);
  --group.calls_in_progress_;
  if (--stream_.calls_in_progress_ == 0) {
    ++group.idle_streams_;  // the stream may submit again: the count is unchanged
  } else {
    group.changed_.notify_all();  // one overlapping caller fewer to wait for
  }
}

// One caller's Run: its buffers and how many of its frames are still to run.
struct BatchingModel::Request {
  std::span<const float* const> inputs;  // empty for a sampled request
  std::span<float* const> outputs;
  // A sampled request (RunSampled): its frames' device samplings and host fallback.
  std::span<const backend::ImageSampling> samples;
  const backend::HostInputFill* fill_host = nullptr;
  const OutputRowGate* gate = nullptr;  // or nullptr: every output whole
  int unfinished = 0;                   // frames not run yet; guarded by the group's mutex
  int queued = 0;                       // frames still in the queue; guarded likewise
  Status status;                        // the first error of its frames; guarded likewise
};

struct BatchingModel::QueuedFrame {
  Request* request = nullptr;
  int frame = 0;  // index within the request
  std::chrono::steady_clock::time_point queued_at;
};

struct BatchingModel::Instance {
  int batch = 1;
  std::unique_ptr<Interpreter> interpreter;
  // Leading input slots that may hold frames of an earlier run: the tail of a
  // partly filled batch is zeroed up to here (only by the instance's holder).
  int dirty_slots = 0;
  // DescribePlan() of the interpreter, refreshed by the holder after a run
  // that re-planned (kAuto fallback); read under the group's mutex.
  std::string plan;
  // The backend that samples the input on its device (Interpreter::SamplingBackend),
  // or nullptr; refreshed with `plan`.
  std::shared_ptr<backend::Backend> sampling_backend;
  int described_plan_generation = 0;  // holder only
};

namespace {

Status ValidateOptions(const BatchingOptions& options) {
  if (options.max_batch < 1 || options.max_batch > kMaxBatchingBatch ||
      !std::has_single_bit(static_cast<unsigned>(options.max_batch))) {
    return InvalidArgumentError("max_batch " + std::to_string(options.max_batch) +
                                " is not a power of two in [1, " + std::to_string(kMaxBatchingBatch) + "]");
  }
  if (options.batch_wait.count() < 0) return InvalidArgumentError("batch_wait is negative");
  if (options.max_instances < 0) {
    return InvalidArgumentError("max_instances " + std::to_string(options.max_instances) + " is negative");
  }
  if (options.max_concurrent_runs < 0) {
    return InvalidArgumentError("max_concurrent_runs " + std::to_string(options.max_concurrent_runs) +
                                " is negative");
  }
  if (options.batch_step != 0 && (options.batch_step < 1 || options.batch_step > kMaxBatchingBatch ||
                                  !std::has_single_bit(static_cast<unsigned>(options.batch_step)))) {
    return InvalidArgumentError("batch_step " + std::to_string(options.batch_step) +
                                " is neither 0 nor a power of two in [1, " +
                                std::to_string(kMaxBatchingBatch) + "]");
  }
  return Status::Ok();
}

}  // namespace

std::vector<int> RunBatchSizes(int max_batch, int batch_step) {
  std::vector<int> sizes;
  for (int b = 1; b <= max_batch; ++b) {
    if (RunBatchSize(b, max_batch, batch_step) == b) sizes.push_back(b);
  }
  return sizes;
}

int RunBatchSize(int frames, int max_batch, int batch_step) {
  int size = static_cast<int>(std::bit_ceil(static_cast<unsigned>(frames)));
  if (batch_step > 0 && frames > batch_step) size = (frames + batch_step - 1) / batch_step * batch_step;
  return std::min(size, max_batch);
}

BatchingModel::BatchingModel(std::shared_ptr<const model::Graph> graph, const BatchingOptions& options,
                             std::shared_ptr<BatchingGroup> group)
    : options_(options), group_(std::move(group)) {
  // Sized once: graph() reads element 1 (batch 1) without the lock while others are filled in.
  graphs_.resize(options.max_batch + 1);  // by batch size; [0] unused
  graphs_[1] = std::move(graph);
  for (int t : graphs_[1]->inputs) input_sizes_.push_back(graphs_[1]->tensors[t].num_elements());
  for (int t : graphs_[1]->outputs) output_sizes_.push_back(graphs_[1]->tensors[t].num_elements());
}

BatchingModel::~BatchingModel() = default;

Result<std::unique_ptr<BatchingModel>> BatchingModel::Create(std::shared_ptr<const model::Graph> graph,
                                                             const BatchingOptions& options,
                                                             std::shared_ptr<BatchingGroup> group) {
  if (graph == nullptr || group == nullptr) {
    return InvalidArgumentError("failed to create batching model: no graph or group");
  }
  const std::string name = graph->name;
  HT_RETURN_IF_ERROR(ValidateOptions(options).WithPrefix("failed to create batching model " + name));
  std::unique_ptr<BatchingModel> model(new BatchingModel(std::move(graph), options, std::move(group)));
  if (options.max_batch > 1) HT_RETURN_IF_ERROR(model->GraphForBatch(options.max_batch).status());
  HT_ASSIGN_OR_RETURN(std::unique_ptr<Instance> first, model->CreateInstance(1));
  // What kAuto chose for the first interpreter holds for every later one.
  model->options_.interpreter.precision = first->interpreter->precision();
  model->idle_.push_back(first.get());
  model->instances_.push_back(std::move(first));
  model->stats_.instances = 1;
  return model;
}

Status BatchingModel::Prepare(int copies, int threads) {
  const std::vector<int> sizes = RunBatchSizes(options_.max_batch, options_.batch_step);
  std::vector<int> wanted;  // the batch size of each interpreter to make
  // The idle interpreters made before (the batch-1 one): run once too, held meanwhile.
  std::vector<Instance*> existing;
  {
    std::lock_guard lock(group_->mutex_);
    existing.swap(idle_);
    int total = static_cast<int>(instances_.size()) + instances_being_created_;
    for (const int size : sizes) {
      int have = static_cast<int>(std::count_if(instances_.begin(), instances_.end(),
                                                [size](const auto& i) { return i->batch == size; }));
      for (; have < copies && (options_.max_instances == 0 || total < options_.max_instances);
           ++have, ++total) {
        wanted.push_back(size);
      }
    }
    instances_being_created_ += static_cast<int>(wanted.size());
  }
  // Runs `instance` once on zeros where the device samples its input (no pixels: zeros; the
  // host fill is for a plan that cannot sample), so that its sampling graph exists.
  const auto warm = [this](Instance& instance) -> Status {
    if (!instance.interpreter->CanSampleInput(0)) return Status::Ok();
    const std::vector<backend::ImageSampling> zeros(static_cast<size_t>(instance.batch));
    const size_t frame_size = input_size(0);
    return instance.interpreter->RunSampled(
        0, zeros, [frame_size](int, float* out) { std::fill(out, out + frame_size, 0.0f); });
  };
  std::vector<std::unique_ptr<Instance>> made(wanted.size());
  std::vector<Status> errors(wanted.size() + existing.size(), Status::Ok());
  std::atomic<size_t> next{0};
  const auto make = [&] {
    for (size_t i = next++; i < errors.size(); i = next++) {
      if (i >= wanted.size()) {
        errors[i] = warm(*existing[i - wanted.size()]);
        continue;
      }
      Result<std::unique_ptr<Instance>> instance = CreateInstance(wanted[i]);
      if (!instance.ok()) {
        errors[i] = instance.status();
        continue;
      }
      errors[i] = warm(**instance);
      if (errors[i].ok()) made[i] = std::move(instance).value();
    }
  };
  {
    std::vector<std::thread> helpers;
    const int helper_count = std::clamp(threads, 1, std::max(1, static_cast<int>(errors.size()))) - 1;
    for (int t = 0; t < helper_count; ++t) helpers.emplace_back(make);
    make();
    for (std::thread& helper : helpers) helper.join();
  }
  std::lock_guard lock(group_->mutex_);
  instances_being_created_ -= static_cast<int>(wanted.size());
  idle_.insert(idle_.end(), existing.begin(), existing.end());
  for (std::unique_ptr<Instance>& instance : made) {
    if (instance == nullptr) continue;
    idle_.push_back(instance.get());
    instances_.push_back(std::move(instance));
    ++stats_.instances;
  }
  group_->changed_.notify_all();
  for (const Status& error : errors) {
    if (!error.ok()) return error.WithPrefix("failed to prepare model " + graphs_[1]->name);
  }
  return Status::Ok();
}

Result<std::shared_ptr<const model::Graph>> BatchingModel::GraphForBatch(int batch) {
  std::lock_guard lock(graphs_mutex_);
  std::shared_ptr<const model::Graph>& graph = graphs_[batch];
  if (graph == nullptr) {
    Result<model::Graph> batched = model::WithBatch(*graphs_[1], batch);
    if (!batched.ok()) return batched.status().WithPrefix("failed to prepare model " + graphs_[1]->name);
    graph = std::make_shared<const model::Graph>(std::move(batched).value());
  }
  return graph;
}

Result<std::unique_ptr<BatchingModel::Instance>> BatchingModel::CreateInstance(int batch) {
  HT_ASSIGN_OR_RETURN(std::shared_ptr<const model::Graph> graph, GraphForBatch(batch));
  auto instance = std::make_unique<Instance>();
  instance->batch = batch;
  HT_ASSIGN_OR_RETURN(instance->interpreter, Interpreter::Create(std::move(graph), options_.interpreter));
  instance->plan = instance->interpreter->DescribePlan();
  instance->sampling_backend = instance->interpreter->SamplingBackend(0);
  instance->described_plan_generation = instance->interpreter->plan_generation();
  return instance;
}

Status BatchingModel::Run(int num_frames, std::span<const float* const> inputs,
                          std::span<float* const> outputs, const OutputRowGate* gate) {
  if (num_frames < 1 || static_cast<int>(inputs.size()) != num_inputs() ||
      static_cast<int>(outputs.size()) != num_outputs()) {
    return InvalidArgumentError("failed to run model " + graph().name + ": " + std::to_string(num_frames) +
                                " frame(s) with " + std::to_string(inputs.size()) + " input(s) and " +
                                std::to_string(outputs.size()) + " output(s); the model has " +
                                std::to_string(num_inputs()) + " and " + std::to_string(num_outputs()));
  }
  HT_RETURN_IF_ERROR(CheckGate(gate));
  Request request;
  request.inputs = inputs;
  request.outputs = outputs;
  request.gate = gate;
  request.unfinished = request.queued = num_frames;
  return Submit(request);
}

bool BatchingModel::CanSampleOnDevice() const {
  std::lock_guard lock(group_->mutex_);
  // The batch-1 interpreter is the first; the others share its backends and plan alike.
  return num_inputs() == 1 && instances_.front()->sampling_backend != nullptr;
}

bool BatchingModel::OverlapsRunsOnDevice() const {
  std::lock_guard lock(group_->mutex_);
  return num_inputs() == 1 && instances_.front()->sampling_backend != nullptr &&
         instances_.front()->sampling_backend->OverlapsRuns();
}

Result<std::unique_ptr<backend::ImageUploader>> BatchingModel::CreateImageUploader() const {
  std::shared_ptr<backend::Backend> backend;
  {
    std::lock_guard lock(group_->mutex_);
    if (num_inputs() == 1) backend = instances_.front()->sampling_backend;
  }
  if (backend == nullptr) return std::unique_ptr<backend::ImageUploader>();
  return backend->CreateImageUploader();
}

Status BatchingModel::RunSampled(int num_frames, std::span<const backend::ImageSampling> samples,
                                 const backend::HostInputFill& fill_host, std::span<float* const> outputs,
                                 const OutputRowGate* gate) {
  if (num_frames < 1 || num_inputs() != 1 || static_cast<int>(samples.size()) != num_frames ||
      static_cast<int>(outputs.size()) != num_outputs() || !fill_host) {
    return InvalidArgumentError("failed to run model " + graph().name + ": " + std::to_string(num_frames) +
                                " sampled frame(s) with " + std::to_string(samples.size()) +
                                " sampling(s) and " + std::to_string(outputs.size()) +
                                " output(s); the model has " + std::to_string(num_inputs()) +
                                " input(s) and " + std::to_string(num_outputs()) + " output(s)");
  }
  HT_RETURN_IF_ERROR(CheckGate(gate));
  Request request;
  request.outputs = outputs;
  request.gate = gate;
  request.samples = samples;
  request.fill_host = &fill_host;
  request.unfinished = request.queued = num_frames;
  return Submit(request);
}

Status BatchingModel::Submit(Request& request) {
  const int num_frames = request.unfinished;
  std::unique_lock lock(group_->mutex_);
  const auto now = std::chrono::steady_clock::now();
  ++stats_.calls;
  for (int f = 0; f < num_frames; ++f) queue_.push_back({&request, f, now});
  ++group_->blocked_callers_;
  // This caller was one that could still submit. When it was the last, every model's waiting
  // batch is ready now: wake their callers. Otherwise nothing changed for them (they keep their
  // deadlines), and this model's batch, full or not, is checked by this caller itself below;
  // waking every waiter on every submission cost O(callers^2) wake-ups per round.
  if (group_->blocked_callers_ >= group_->potential_submitters()) group_->changed_.notify_all();
  while (request.unfinished > 0) {
    const NextStep next = RunBatchIfReady(request, lock);
    if (next.ran) continue;
    if (next.wake_at.has_value()) {
      group_->changed_.wait_until(lock, *next.wake_at);
    } else {
      group_->changed_.wait(lock);
    }
  }
  --group_->blocked_callers_;
  stats_.call_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - now).count();
  return request.status;
}

BatchingModel::NextStep BatchingModel::RunBatchIfReady(const Request& caller,
                                                       std::unique_lock<std::mutex>& lock) {
  // Only callers with queued frames lead: every queued frame's caller is waiting here, so a
  // ready batch always finds a leader, and a caller whose frames all run elsewhere returns as
  // soon as they are done instead of running someone else's batch first.
  if (caller.queued == 0) return {};
  // At the cap a run is in progress: its end notifies, and the batch then holds every frame
  // queued meanwhile (deadline or not).
  if (options_.max_concurrent_runs > 0 && runs_in_progress_ >= options_.max_concurrent_runs) return {};
  const auto deadline = queue_.front().queued_at + options_.batch_wait;
  const bool full = static_cast<int>(queue_.size()) >= options_.max_batch;
  const bool nobody_else_can_submit = group_->blocked_callers_ >= group_->potential_submitters();
  if (!full && !nobody_else_can_submit && std::chrono::steady_clock::now() < deadline)
    return {false, deadline};

  // The interpreter: one of exactly the batch wanted, else a new one while under the cap,
  // else a larger idle one (more zero slots), else a smaller idle one (fewer frames now).
  int frames = std::min(static_cast<int>(queue_.size()), options_.max_batch);
  const int wanted = RunBatchSize(frames, options_.max_batch, options_.batch_step);
  const int instance_count = static_cast<int>(instances_.size()) + instances_being_created_;
  const bool may_create = options_.max_instances == 0 || instance_count < options_.max_instances;
  auto pick = [&](auto better) -> Instance* {
    Instance* best = nullptr;
    for (Instance* candidate : idle_) {
      if (better(candidate, best)) best = candidate;
    }
    return best;
  };
  Instance* instance = pick([&](Instance* c, Instance*) { return c->batch == wanted; });
  if (instance == nullptr && !may_create) {
    instance = pick([&](Instance* c, Instance* best) {
      return c->batch > wanted && (best == nullptr || c->batch < best->batch);
    });
    if (instance == nullptr) {
      instance = pick([&](Instance* c, Instance* best) { return best == nullptr || c->batch > best->batch; });
    }
    // Every interpreter is running and no more may be made: one of them comes back soon.
    if (instance == nullptr) return {};
    frames = std::min(frames, instance->batch);
  }

  std::unique_ptr<Instance> created;
  if (instance != nullptr) {
    idle_.erase(std::find(idle_.begin(), idle_.end(), instance));
  } else {
    ++instances_being_created_;
  }
  std::vector<QueuedFrame> batch(queue_.begin(), queue_.begin() + frames);
  queue_.erase(queue_.begin(), queue_.begin() + frames);
  for (const QueuedFrame& queued : batch) --queued.request->queued;
  ++runs_in_progress_;
  stats_.max_concurrent_runs = std::max(stats_.max_concurrent_runs, runs_in_progress_);

  lock.unlock();
  const auto run_start = std::chrono::steady_clock::now();
  double queued_seconds = 0;
  for (const QueuedFrame& queued : batch)
    queued_seconds += std::chrono::duration<double>(run_start - queued.queued_at).count();
  Status status = Status::Ok();
  if (instance == nullptr) {
    Result<std::unique_ptr<Instance>> made = CreateInstance(wanted);
    if (made.ok()) {
      created = std::move(made).value();
      instance = created.get();
    } else {
      status = made.status();
    }
  }
  backend::SegmentRunTimes run_times;
  double scatter_seconds = 0;
  if (instance != nullptr) {
    const bool sampled = std::all_of(batch.begin(), batch.end(),
                                     [](const QueuedFrame& q) { return q.request->fill_host != nullptr; });
    const int generation_before = instance->interpreter->plan_generation();
    const backend::SegmentRunTimes before = instance->interpreter->run_times();
    status = sampled ? RunSampledOn(*instance, batch, &scatter_seconds)
                     : RunOn(*instance, batch, &scatter_seconds);
    run_times = instance->interpreter->run_times();
    // A run that re-planned starts the count again: then the new segments' times are this run's.
    if (instance->interpreter->plan_generation() == generation_before) run_times -= before;
  }
  // A re-planned interpreter (kAuto dropped a backend) gets its description redone outside the lock.
  std::optional<std::string> new_plan;
  std::shared_ptr<backend::Backend> new_sampling_backend;
  if (instance != nullptr &&
      instance->interpreter->plan_generation() != instance->described_plan_generation) {
    instance->described_plan_generation = instance->interpreter->plan_generation();
    new_plan = instance->interpreter->DescribePlan();
    new_sampling_backend = instance->interpreter->SamplingBackend(0);
  }
  lock.lock();

  --runs_in_progress_;
  if (created != nullptr) {
    --instances_being_created_;
    instances_.push_back(std::move(created));
    ++stats_.instances;
  } else if (instance == nullptr) {
    --instances_being_created_;
  }
  if (instance != nullptr) {
    if (new_plan.has_value()) {
      instance->plan = std::move(*new_plan);
      instance->sampling_backend = std::move(new_sampling_backend);
    }
    idle_.push_back(instance);
    ++stats_.runs;
    stats_.frames += frames;
    stats_.slots += instance->batch;
    stats_.max_frames_per_run = std::max(stats_.max_frames_per_run, frames);
    stats_.run_seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - run_start).count();
    stats_.queue_seconds += queued_seconds;
    stats_.device_seconds += run_times.device_seconds;
    stats_.copy_seconds += run_times.copy_seconds + scatter_seconds;
    stats_.launch_seconds += run_times.launch_seconds;
    stats_.wait_seconds += run_times.wait_seconds;
  }
  for (const QueuedFrame& queued : batch) {
    Request& request = *queued.request;
    if (!status.ok() && request.status.ok()) request.status = status;
    // Last touch of the request: its caller may return as soon as this reaches 0.
    --request.unfinished;
  }
  group_->changed_.notify_all();
  return {true, std::nullopt};
}

Status BatchingModel::RunSampledOn(Instance& instance, std::span<const QueuedFrame> frames,
                                   double* scatter_seconds) {
  Interpreter& interpreter = *instance.interpreter;
  const int used = static_cast<int>(frames.size());
  // Unused tail slots sample nothing: the device writes zeros there.
  std::vector<backend::ImageSampling> samples(instance.batch);
  for (int s = 0; s < used; ++s) samples[s] = frames[s].request->samples[frames[s].frame];
  const size_t size = input_sizes_[0];
  const backend::HostInputFill fill = [&](int slot, float* out) {
    if (slot < used) {
      (*frames[slot].request->fill_host)(frames[slot].frame, out);
    } else {
      std::memset(out, 0, size * sizeof(float));
    }
  };
  HT_RETURN_IF_ERROR(interpreter.RunSampled(0, samples, fill));
  // The host input may hold frames now (after a host fill): zero them next time.
  instance.dirty_slots = instance.batch;
  *scatter_seconds = CopyOutputs(interpreter, frames);
  return Status::Ok();
}

Status BatchingModel::CheckGate(const OutputRowGate* gate) const {
  if (gate == nullptr) return Status::Ok();
  const auto valid = [&](int output) { return output >= 0 && output < num_outputs(); };
  if (!valid(gate->key) || !valid(gate->gated) || gate->key == gate->gated || output_sizes_[gate->key] == 0 ||
      output_sizes_[gate->gated] % output_sizes_[gate->key] != 0) {
    return InvalidArgumentError("failed to run model " + graph().name + ": the output gate (key " +
                                std::to_string(gate->key) + ", gated " + std::to_string(gate->gated) +
                                ") does not name two outputs whose sizes divide into rows");
  }
  return Status::Ok();
}

double BatchingModel::CopyOutputs(const Interpreter& interpreter, std::span<const QueuedFrame> frames) const {
  const auto start = std::chrono::steady_clock::now();
  const int used = static_cast<int>(frames.size());
  for (int o = 0; o < num_outputs(); ++o) {
    const size_t size = output_sizes_[o];
    const float* slots = interpreter.output(o).data();
    for (int s = 0; s < used; ++s) {
      const OutputRowGate* gate = frames[s].request->gate;
      float* destination = frames[s].request->outputs[o] + frames[s].frame * size;
      const float* source = slots + s * size;
      if (gate == nullptr || gate->gated != o) {
        std::memcpy(destination, source, size * sizeof(float));
        continue;
      }
      const size_t rows = output_sizes_[gate->key];
      const size_t row_size = size / rows;
      const float* keys = interpreter.output(gate->key).data() + s * rows;
      for (size_t r = 0; r < rows; ++r) {
        if (keys[r] >= gate->min_key)
          std::memcpy(destination + r * row_size, source + r * row_size, row_size * sizeof(float));
      }
    }
  }
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

Status BatchingModel::RunOn(Instance& instance, std::span<const QueuedFrame> frames,
                            double* scatter_seconds) {
  Interpreter& interpreter = *instance.interpreter;
  const int used = static_cast<int>(frames.size());
  for (int i = 0; i < num_inputs(); ++i) {
    const size_t size = input_sizes_[i];
    float* slots = interpreter.input(i).data();
    for (int s = 0; s < used; ++s) {
      const Request& request = *frames[s].request;
      if (request.fill_host != nullptr) {  // a sampled frame batched with float ones: fill it here
        (*request.fill_host)(frames[s].frame, slots + s * size);
      } else {
        std::memcpy(slots + s * size, request.inputs[i] + frames[s].frame * size, size * sizeof(float));
      }
    }
    // Zero tail slots: no stale frame of another caller goes through the model again.
    if (instance.dirty_slots > used) {
      std::memset(slots + used * size, 0, (instance.dirty_slots - used) * size * sizeof(float));
    }
  }
  instance.dirty_slots = used;
  HT_RETURN_IF_ERROR(interpreter.Run());
  *scatter_seconds = CopyOutputs(interpreter, frames);
  return Status::Ok();
}

std::string BatchingModel::DescribePlan() const {
  std::lock_guard lock(group_->mutex_);
  std::string out = instances_.front()->plan;
  if (options_.max_batch > 1) {
    std::string sizes;
    for (const int b : RunBatchSizes(options_.max_batch, options_.batch_step))
      sizes += (sizes.empty() ? "" : ", ") + std::to_string(b);
    out += "  batching: up to " + std::to_string(options_.max_batch) + " frames per run (batch " + sizes +
           "), waiting at most " + std::to_string(options_.batch_wait.count()) + " us for a fuller batch\n";
  }
  if (options_.max_concurrent_runs > 0) {
    out += "  at most " + std::to_string(options_.max_concurrent_runs) + " run(s) of this model at once\n";
  }
  return out;
}

BatchingStats BatchingModel::stats() const {
  std::lock_guard lock(group_->mutex_);
  return stats_;
}

}  // namespace handtrack::runtime
