// EnginePool: streams spread over several engines, and moved when one fails.
#include "handtrack/engine_pool.h"

#include <algorithm>
#include <mutex>
#include <utility>

namespace handtrack {
namespace {

// Errors that say the engine (its device, its memory) failed, not the input:
// another engine may well run the same frame.
bool IsEngineFailure(const Status& status) {
  return status.code() == StatusCode::kUnavailable || status.code() == StatusCode::kResourceExhausted ||
         status.code() == StatusCode::kInternal;
}

// "cuda:1" on a device backend (and auto, which picks one first), the delegate's name otherwise.
std::string EngineLabel(const ModelOptions& model) {
  bool on_device = model.delegate.is_auto();
  for (const BackendInfo& backend : ListBackends()) {
    if (backend.name == model.delegate.name()) on_device = backend.device;
  }
  return DelegateName(model.delegate) + (on_device ? ":" + std::to_string(model.device) : "");
}

}  // namespace

struct EnginePool::Impl {
  struct Slot {
    HandEngineOptions options;
    PoolEngineStats stats;
    std::shared_ptr<HandEngine> engine;  // null until created, and for good once retired
  };

  EnginePoolOptions options;
  mutable std::mutex mutex;
  std::vector<Slot> slots;  // options.engines, then the fallback when there is one
  int64_t take_overs = 0;   // guarded by mutex

  void Tell(const std::string& line) const {
    if (options.on_event) options.on_event(line);
  }

  std::string Name(int index) const {
    return "engine " + std::to_string(index) + " (" + slots[index].stats.label + ")";
  }

  // The least-loaded engine not retired, or the fallback (made now) when none is
  // left; -1 with the reason when there is nothing. Called with `mutex` held.
  Result<int> Pick(std::string* events) {
    int best = -1;
    for (int i = 0; i < static_cast<int>(slots.size()); ++i) {
      const Slot& slot = slots[i];
      if (slot.stats.fallback || slot.stats.failed || slot.engine == nullptr) continue;
      if (best < 0 || slot.stats.streams < slots[best].stats.streams) best = i;
    }
    if (best >= 0) return best;
    if (!options.fallback.has_value()) {
      return UnavailableError("every engine of the pool failed, and it has no fallback engine");
    }
    const int fallback = static_cast<int>(slots.size()) - 1;
    Slot& slot = slots[fallback];
    if (slot.stats.failed) {
      return UnavailableError("every engine of the pool failed, the fallback too (" + slot.stats.failure +
                              ")");
    }
    if (slot.engine == nullptr) {
      Result<std::shared_ptr<HandEngine>> created = HandEngine::Create(slot.options);
      if (!created.ok()) {
        slot.stats.failed = true;
        slot.stats.failure = created.status().message();
        return created.status().WithPrefix("failed to create the fallback engine " + slot.stats.label);
      }
      slot.engine = *created;
      slot.stats.created = true;
      *events += Name(fallback) + " created: every other engine failed";
    }
    return fallback;
  }

  // Retires `index` for `failure` (once), and finds the stream a new engine.
  Result<int> TakeOver(int index, const Status& failure, std::string* events) {
    Slot& failed = slots[index];
    if (!failed.stats.failed) {
      failed.stats.failed = true;
      failed.stats.failure = failure.message();
      // The stats stay; the engine goes once its last stream has moved (they hold it).
      failed.stats.engine = failed.engine->stats();
      failed.engine.reset();
    }
    return Pick(events);
  }
};

EnginePool::EnginePool(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
EnginePool::~EnginePool() = default;

Result<std::shared_ptr<EnginePool>> EnginePool::Create(const EnginePoolOptions& options) {
  const std::string failed = "failed to create engine pool: ";
  if (options.engines.empty()) return InvalidArgumentError(failed + "no engines given");
  for (const HandEngineOptions& engine : options.engines) {
    if (engine.model.variant != options.engines.front().model.variant) {
      return InvalidArgumentError(failed + "its engines run different model variants");
    }
  }
  if (options.fallback.has_value() &&
      options.fallback->model.variant != options.engines.front().model.variant) {
    return InvalidArgumentError(failed + "the fallback engine runs another model variant");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  for (const HandEngineOptions& engine : options.engines) {
    Impl::Slot slot;
    slot.options = engine;
    slot.stats.label = EngineLabel(engine.model);
    impl->slots.push_back(std::move(slot));
  }
  if (options.fallback.has_value()) {
    Impl::Slot slot;
    slot.options = *options.fallback;
    slot.stats.label = EngineLabel(options.fallback->model);
    slot.stats.fallback = true;
    impl->slots.push_back(std::move(slot));
  }
  std::optional<Status> first_error;
  int created = 0;
  for (size_t i = 0; i < options.engines.size(); ++i) {
    Impl::Slot& slot = impl->slots[i];
    Result<std::shared_ptr<HandEngine>> engine = HandEngine::Create(slot.options);
    if (engine.ok()) {
      slot.engine = *engine;
      slot.stats.created = true;
      ++created;
      continue;
    }
    if (!IsEngineFailure(engine.status())) return engine.status();  // the options' fault: no engine helps
    slot.stats.failed = true;
    slot.stats.failure = engine.status().message();
    if (!first_error.has_value()) first_error = engine.status();
  }
  if (created == 0 && !options.fallback.has_value()) return *first_error;
  for (size_t i = 0; i < options.engines.size(); ++i) {
    if (impl->slots[i].stats.failed) {
      impl->Tell(impl->Name(static_cast<int>(i)) +
                 " failed to load, it takes no streams: " + impl->slots[i].stats.failure);
    }
  }
  return std::shared_ptr<EnginePool>(new EnginePool(std::move(impl)));
}

Result<std::unique_ptr<PooledLandmarker>> EnginePool::CreateLandmarker(const HandLandmarkerOptions& options) {
  if (options.engine != nullptr) {
    return InvalidArgumentError(
        "failed to create pooled landmarker: options.engine is set; the pool chooses");
  }
  if (options.running_mode == RunningMode::kLiveStream) {
    return InvalidArgumentError("failed to create pooled landmarker: LIVE_STREAM mode is not pooled");
  }
  std::string events;
  int index = -1;
  HandLandmarkerOptions placed = options;
  {
    std::lock_guard lock(impl_->mutex);
    Result<int> picked = impl_->Pick(&events);
    if (!picked.ok()) return picked.status().WithPrefix("failed to create pooled landmarker");
    index = *picked;
    Impl::Slot& slot = impl_->slots[index];
    placed.engine = slot.engine;
    ++slot.stats.streams;
    ++slot.stats.streams_total;
  }
  if (!events.empty()) impl_->Tell(events);
  Result<std::unique_ptr<HandLandmarker>> landmarker = HandLandmarker::Create(placed);
  if (!landmarker.ok()) {
    std::lock_guard lock(impl_->mutex);
    --impl_->slots[index].stats.streams;
    return landmarker.status();
  }
  // Not make_unique: the constructor is private.
  return std::unique_ptr<PooledLandmarker>(
      new PooledLandmarker(shared_from_this(), std::move(landmarker).value(), index));
}

Result<std::shared_ptr<HandEngine>> EnginePool::PickEngine() {
  std::string events;
  std::shared_ptr<HandEngine> engine;
  {
    std::lock_guard lock(impl_->mutex);
    Result<int> picked = impl_->Pick(&events);
    if (!picked.ok()) return picked.status().WithPrefix("failed to pick an engine");
    engine = impl_->slots[*picked].engine;
  }
  if (!events.empty()) impl_->Tell(events);
  return engine;
}

const HandEngineOptions& EnginePool::engine_options() const { return impl_->options.engines.front(); }

HandEngineStats EnginePoolStats::Total() const {
  HandEngineStats total;
  for (const PoolEngineStats& one : engines) {
    for (auto [all, part] :
         {std::pair{&total.palm, &one.engine.palm}, {&total.landmarks, &one.engine.landmarks}}) {
      all->runs += part->runs;
      all->frames += part->frames;
      all->slots += part->slots;
      all->max_frames_per_run = std::max(all->max_frames_per_run, part->max_frames_per_run);
      all->instances += part->instances;
      all->run_seconds += part->run_seconds;
      all->queue_seconds += part->queue_seconds;
      all->device_seconds += part->device_seconds;
      all->copy_seconds += part->copy_seconds;
      all->launch_seconds += part->launch_seconds;
      all->wait_seconds += part->wait_seconds;
      all->calls += part->calls;
      all->call_seconds += part->call_seconds;
      // Per engine: runs of different engines do not share a GPU queue.
      all->max_concurrent_runs = std::max(all->max_concurrent_runs, part->max_concurrent_runs);
    }
  }
  return total;
}

EnginePoolStats EnginePool::stats() const {
  EnginePoolStats stats;
  std::vector<std::shared_ptr<HandEngine>> engines;
  {
    std::lock_guard lock(impl_->mutex);
    for (const Impl::Slot& slot : impl_->slots) {
      stats.engines.push_back(slot.stats);
      engines.push_back(slot.engine);
    }
    stats.take_overs = impl_->take_overs;
  }
  // Outside the lock: an engine's stats take its own.
  for (size_t i = 0; i < engines.size(); ++i) {
    if (engines[i] != nullptr) stats.engines[i].engine = engines[i]->stats();
  }
  return stats;
}

PooledLandmarker::PooledLandmarker(std::shared_ptr<EnginePool> pool,
                                   std::unique_ptr<HandLandmarker> landmarker, int engine)
    : pool_(std::move(pool)), landmarker_(std::move(landmarker)), engine_(engine) {}

PooledLandmarker::~PooledLandmarker() {
  landmarker_.reset();  // leaves its engine's batching group first
  std::lock_guard lock(pool_->impl_->mutex);
  --pool_->impl_->slots[engine_].stats.streams;
}

Status PooledLandmarker::TakeOver(const Status& failure) {
  EnginePool::Impl& pool = *pool_->impl_;
  std::string events;
  int to = -1;
  std::shared_ptr<HandEngine> engine;
  {
    std::lock_guard lock(pool.mutex);
    Result<int> picked = pool.TakeOver(engine_, failure, &events);
    if (!picked.ok()) {
      if (!events.empty()) pool.Tell(events);
      return failure.WithPrefix("no engine of the pool is left (" + picked.status().message() + ")");
    }
    to = *picked;
    engine = pool.slots[to].engine;
    --pool.slots[engine_].stats.streams;
    ++pool.slots[to].stats.streams;
    ++pool.slots[to].stats.streams_total;
    ++pool.take_overs;
  }
  const std::string from = pool.Name(engine_);
  engine_ = to;
  ++take_overs_;
  // The frame failed without touching the landmarker's state (HandLandmarker::DetectForVideo).
  HT_RETURN_IF_ERROR(landmarker_->UseEngine(std::move(engine)));
  if (!events.empty()) pool.Tell(events);
  pool.Tell(from + " failed (" + failure.message() + "); its stream moved to " + pool.Name(to));
  return Status::Ok();
}

Result<HandLandmarkerResult> PooledLandmarker::WithTakeOver(
    const std::function<Result<HandLandmarkerResult>(HandLandmarker& landmarker)>& detect) {
  while (true) {
    Result<HandLandmarkerResult> result = detect(*landmarker_);
    if (result.ok() || !IsEngineFailure(result.status())) return result;
    HT_RETURN_IF_ERROR(TakeOver(result.status()));
  }
}

Result<HandLandmarkerResult> PooledLandmarker::Detect(const ImageView& image) {
  return WithTakeOver([&](HandLandmarker& landmarker) { return landmarker.Detect(image); });
}

Result<HandLandmarkerResult> PooledLandmarker::DetectForVideo(const ImageView& image, int64_t timestamp_ms) {
  return WithTakeOver(
      [&](HandLandmarker& landmarker) { return landmarker.DetectForVideo(image, timestamp_ms); });
}

std::vector<Result<HandLandmarkerResult>> PooledLandmarker::DetectForVideoFrames(
    std::span<const VideoFrameView> frames) {
  std::vector<Result<HandLandmarkerResult>> results;
  results.reserve(frames.size());
  while (results.size() < frames.size()) {
    std::vector<Result<HandLandmarkerResult>> got =
        landmarker_->DetectForVideoFrames(frames.subspan(results.size()));
    size_t done = 0;
    while (done < got.size() && got[done].ok()) results.push_back(std::move(got[done++]));
    if (done == got.size()) break;
    // The first failed frame and those after it left no trace: after a take-over they go again.
    if (IsEngineFailure(got[done].status())) {
      Status moved = TakeOver(got[done].status());
      if (moved.ok()) continue;
      got[done] = std::move(moved);
    }
    for (; done < got.size(); ++done) results.push_back(std::move(got[done]));
  }
  return results;
}

const HandLandmarkerOptions& PooledLandmarker::options() const { return landmarker_->options(); }
int PooledLandmarker::engine_index() const { return engine_; }
int PooledLandmarker::take_overs() const { return take_overs_; }

}  // namespace handtrack
