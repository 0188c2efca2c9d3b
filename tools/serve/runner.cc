#include "runner.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "engine_pool_options.h"
#include "request.h"
#include "store.h"
#include "track_session.h"

namespace handtrack::serve {

Result<std::shared_ptr<EnginePool>> EngineSet::GetPool(ModelVariant variant) {
  std::lock_guard lock(mutex_);
  std::shared_ptr<EnginePool>& pool = pools_[variant == ModelVariant::kLite ? 1 : 0];
  if (!pool) {
    HandEngineOptions options = options_;
    options.model.variant = variant;
    HT_ASSIGN_OR_RETURN(EnginePoolOptions pool_options, cli::MakeEnginePoolOptions(options, gpus_, log_));
    HT_ASSIGN_OR_RETURN(pool, EnginePool::Create(pool_options));
  }
  return pool;
}

Result<std::shared_ptr<HandEngine>> EngineSet::Get(ModelVariant variant) {
  HT_ASSIGN_OR_RETURN(std::shared_ptr<EnginePool> pool, GetPool(variant));
  return pool->PickEngine();
}

std::vector<std::pair<std::string, HandEngineStats>> EngineSet::Stats() {
  std::shared_ptr<EnginePool> pools[2];
  {
    std::lock_guard lock(mutex_);
    pools[0] = pools_[0];
    pools[1] = pools_[1];
  }
  std::vector<std::pair<std::string, HandEngineStats>> out;
  for (int v = 0; v < 2; ++v) {
    if (!pools[v]) continue;
    out.emplace_back(v == 0 ? "full" : "lite", pools[v]->stats().Total());
  }
  return out;
}

int64_t EngineSet::TakeOvers() {
  std::lock_guard lock(mutex_);
  int64_t take_overs = 0;
  for (const std::shared_ptr<EnginePool>& pool : pools_) {
    if (pool) take_overs += pool->stats().take_overs;
  }
  return take_overs;
}

Runner::Runner(RunnerOptions options, std::shared_ptr<EngineSet> engines)
    : options_(std::move(options)), engines_(std::move(engines)) {}

Runner::~Runner() {
  Stop();
  if (lock_fd_ >= 0) close(lock_fd_);
}

Status Runner::TakeWorkFolder() {
  const std::filesystem::path dir(options_.work_dir);
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return InternalError("failed to create folder " + dir.string() + ": " + ec.message());
  // One process per folder: a second one would delete the first one's jobs' files below and,
  // sharing its name, give its jobs back to the queue.
  const std::string lock = (dir / "lock").string();
  lock_fd_ = open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) return InternalError("failed to open " + lock + ": " + std::strerror(errno));
  if (flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return FailedPreconditionError("failed to start workers in folder " + dir.string() +
                                   ": another handtrack process is using it (each needs its own --data)");
  }
  if (!options_.name.empty()) return Status::Ok();
  // The default name lasts across restarts: HOST:ID, the ID kept in the folder.
  const std::filesystem::path id_file = dir / "worker-id";
  std::string id;
  std::ifstream(id_file) >> id;
  if (!IsValidSessionId(id)) {
    id = NewSessionId();
    std::ofstream out(id_file, std::ios::trunc);
    out << id << "\n";
    out.close();
    if (!out) return InternalError("failed to write " + id_file.string());
  }
  char host[256] = "host";
  gethostname(host, sizeof(host) - 1);
  options_.name = std::string(host) + ":" + id;
  return Status::Ok();
}

Status Runner::Start() {
  HT_RETURN_IF_ERROR(TakeWorkFolder());
  std::error_code ec;
  // Left-overs of a process that died: nothing in them is needed (the job is in the database).
  for (const auto& entry : std::filesystem::directory_iterator(options_.work_dir, ec)) {
    if (entry.path().filename().string().starts_with("job-")) std::filesystem::remove_all(entry.path(), ec);
  }
  // Each thread has its own connection; this one reports a bad address at once, and gives
  // back what this worker held when it last died, so those jobs need not wait for their lease.
  HT_ASSIGN_OR_RETURN(auto store, SessionStore::Open(options_.db));
  HT_ASSIGN_OR_RETURN(int64_t recovered, store->RecoverOwnJobs(options_.name + "/"));
  if (recovered > 0) {
    Log(std::to_string(recovered) + " session(s) that " + options_.name +
        " held when it last stopped went back to the queue, their attempts not counted");
  }
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Loop(i); });
  return Status::Ok();
}

void Runner::Stop() {
  stop_ = true;
  Wake();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Runner::Wake() {
  std::lock_guard lock(mutex_);
  ++wakes_;
  wake_.notify_all();
}

void Runner::Log(const std::string& line) {
  if (options_.log) options_.log(line);
}

void Runner::Loop(int index) {
  std::unique_ptr<SessionStore> store;
  const std::string name = options_.name + "/" + std::to_string(index);
  while (!stop_) {
    if (!store) {
      auto opened = SessionStore::Open(options_.db);
      if (!opened.ok()) {
        Log(opened.status().message());
      } else {
        store = std::move(opened).value();
      }
    }
    std::optional<Claim> claim;
    if (store) {
      auto claimed = store->ClaimNext(name, options_.lease_ms);
      if (!claimed.ok()) {
        Log(claimed.status().message());
        store.reset();  // reconnect
      } else {
        claim = std::move(claimed).value();
      }
    }
    if (claim) {
      Process(*store, *claim);
      continue;
    }
    std::unique_lock lock(mutex_);
    const int64_t seen = wakes_;
    wake_.wait_for(lock, std::chrono::milliseconds(options_.poll_ms),
                   [&] { return stop_ || wakes_ != seen; });
  }
}

void Runner::Process(SessionStore& store, const Claim& claim) {
  const Session& session = claim.session;
  const auto start = std::chrono::steady_clock::now();
  Log("session " + session.id + ": claimed by " + options_.name + " (attempt " +
      std::to_string(session.attempts) + ", lease " + std::to_string(claim.token) + ")");
  const std::filesystem::path dir =
      std::filesystem::path(options_.work_dir) / ("job-" + session.id + "-" + std::to_string(claim.token));
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  JobResult result;
  int take_overs = 0;  // times the session moved off a failed engine
  auto finish = [&] {
    result.processing_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start)
            .count();
    Status stored = store.Finish(claim, result);
    if (!stored.ok()) {
      Log("session " + session.id + ": " + stored.message());
    } else {
      ++jobs_;
      Log("session " + session.id + ": " +
          (result.kind == JobResult::Kind::kSucceeded ? "succeeded"
           : result.kind == JobResult::Kind::kFailed  ? "failed: " + result.error
                                                      : "attempt failed: " + result.error) +
          " (" + std::to_string(result.frames_done) + " frames" +
          (take_overs > 0 ? ", moved off a failed engine " + std::to_string(take_overs) + " time(s), " +
                                std::to_string(engines_->TakeOvers()) + " take-over(s) so far"
                          : "") +
          ")");
    }
    std::filesystem::remove_all(dir, ec);
  };
  auto options = ParseSessionOptions(session.options);
  if (!options.ok()) {
    result.kind = JobResult::Kind::kFailed;
    result.error = options.status().message();
    return finish();
  }
  const std::string video = (dir / "video").string();
  Status copied = ec ? InternalError("failed to create folder " + dir.string() + ": " + ec.message())
                     : store.CopyBlobToFile(session.id, kVideoBlob, video);
  auto engine = engines_->GetPool(options->landmarker.model.variant);
  if (!copied.ok() || !engine.ok()) {  // the machine's trouble, not the session's: another may do better
    result.kind = JobResult::Kind::kRetry;
    result.error = copied.ok() ? engine.status().message() : copied.message();
    return finish();
  }

  cli::TrackVideoRequest request;
  request.input = video;
  request.name = options->name;
  request.landmarker = options->landmarker;
  request.reader = options_.reader;
  // As track: on a batching engine (a GPU), a session's next frames at once, so that palm runs fill.
  request.frames_per_call = cli::DefaultFramesPerCall(engines_->max_batch(), engines_->max_batch() > 1);
  // As track: where the frames are decoded is said once the GPU was asked for.
  if (options_.reader.hardware_decode != HardwareDecode::kNone) {
    request.on_open = [&](const VideoInfo& info) {
      Log("session " + session.id + ": decoder " + info.decoder +
          (info.hardware_fallback_reason.empty() ? "" : ", not cuda: " + info.hardware_fallback_reason));
    };
  }
  const std::pair<const char*, cli::TrackFormat> outputs[] = {{kJsonlBlob, cli::TrackFormat::kJsonLines},
                                                              {kCsvBlob, cli::TrackFormat::kCsv},
                                                              {kGoldenBlob, cli::TrackFormat::kGolden}};
  for (const auto& [kind, format] : outputs) {
    request.outputs.emplace_back(format, (dir / kind).string());
    result.files.emplace_back(kind, (dir / kind).string());
  }
  if (options->overlay) request.overlay = (dir / kOverlayBlob).string();
  // The lease is renewed (with the progress) every second, or every third of the lease if
  // that is shorter; a refused renewal (taken over, cancelled, deleted) or a stop request
  // ends the video there.
  Status lost = Status::Ok();
  bool interrupted = false;
  auto last_renewal = std::chrono::steady_clock::now();
  request.on_progress = [&](int64_t done, int64_t total) -> Status {
    if (done > 0) ++frames_;
    if (stop_) {
      interrupted = true;
      return UnavailableError("failed to finish session " + session.id + ": the worker is stopping");
    }
    const auto now = std::chrono::steady_clock::now();
    // Every second at most (the progress clients see), every third of the lease at least.
    if (done == 0 ||
        now - last_renewal >= std::chrono::milliseconds(std::min<int64_t>(1000, options_.lease_ms / 3))) {
      last_renewal = now;
      Status renewed = store.Renew(claim, options_.lease_ms, done, total);
      if (!renewed.ok()) lost = renewed;
      return renewed;
    }
    return Status::Ok();
  };
  cli::VideoSummary summary = cli::TrackVideo(request, *engine);
  result.frames_done = summary.frames;
  take_overs = summary.take_overs;
  if (interrupted) {
    Status released = store.Release(claim);
    Log("session " + session.id + ": " +
        (released.ok() ? "given back to the queue: the worker is stopping" : released.message()));
    std::filesystem::remove_all(dir, ec);
    return;
  }
  if (!lost.ok()) {
    Log("session " + session.id + ": stopped: " + lost.message());
    std::filesystem::remove_all(dir, ec);
    return;
  }
  if (options->overlay && std::filesystem::exists(request.overlay, ec)) {
    result.files.emplace_back(kOverlayBlob, request.overlay);
  }
  const std::string summary_path = (dir / kSummaryBlob).string();
  summary.input = options->name;
  std::ofstream(summary_path, std::ios::trunc) << summary.ToJson().dump(1) << "\n";
  result.files.emplace_back(kSummaryBlob, summary_path);
  // TrackVideo's errors are the video's (unreadable, truncated, too large): the same on
  // every attempt, so the session fails at once, keeping the frames before the error.
  result.kind = summary.error.empty() ? JobResult::Kind::kSucceeded : JobResult::Kind::kFailed;
  result.error = summary.error;
  for (size_t at; (at = result.error.find(video)) != std::string::npos;)
    result.error.replace(at, video.size(), options->name);
  finish();
}

}  // namespace handtrack::serve
