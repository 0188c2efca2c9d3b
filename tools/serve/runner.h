// Job runners: threads that claim sessions from the store, track their video through
// the same code as `handtrack track` (cli::TrackVideo), renew their lease as they go and
// store the results with the job's end in one fenced transaction. `handtrack serve` runs
// them in-process; `handtrack worker` runs only them, on any machine that reaches the
// database.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "handtrack/engine_pool.h"
#include "handtrack/hand_engine.h"
#include "handtrack/status.h"
#include "handtrack/video_io.h"

namespace handtrack::serve {

// The engines of the process, one pool per model variant (cli::MakeEnginePoolOptions: one
// engine, or one per GPU of --gpus with the CPU as the last resort), made on first use and
// shared by every runner thread and request. `log` gets the pools' events (take-overs).
class EngineSet {
 public:
  explicit EngineSet(HandEngineOptions options, std::vector<int> gpus = {},
                     std::function<void(const std::string&)> log = {})
      : options_(std::move(options)), gpus_(std::move(gpus)), log_(std::move(log)) {}
  // The pool of `variant`: sessions spread over its engines (TrackVideo).
  Result<std::shared_ptr<EnginePool>> GetPool(ModelVariant variant);
  // The engine a request should use now (the pool's least loaded).
  Result<std::shared_ptr<HandEngine>> Get(ModelVariant variant);
  // Stats of the engines made so far, summed per variant.
  std::vector<std::pair<std::string, HandEngineStats>> Stats();
  // Streams moved off a failed engine so far, all variants.
  int64_t TakeOvers();
  // The most frames per model run (1: no batching; serve chooses more on a GPU only).
  int max_batch() const { return options_.max_batch; }

 private:
  HandEngineOptions options_;
  std::vector<int> gpus_;
  std::function<void(const std::string&)> log_;
  std::mutex mutex_;
  std::shared_ptr<EnginePool> pools_[2];
};

struct RunnerOptions {
  std::string db;        // database address (store.h)
  std::string work_dir;  // temporary files of the jobs (the video, the results before storing)
  int threads = 1;       // jobs at once
  int64_t lease_ms = 30000;
  int64_t poll_ms = 500;  // how often an idle runner looks for work
  // This worker's name in the database; by default HOST:ID, the ID kept in work_dir, so a
  // restarted worker is the same one and takes back the jobs it held (RecoverOwnJobs).
  // Names must be unique among the workers of one database.
  std::string name;
  VideoReaderOptions reader;
  std::function<void(const std::string&)> log;  // one line per event; may be empty
};

class Runner {
 public:
  Runner(RunnerOptions options, std::shared_ptr<EngineSet> engines);
  ~Runner();  // Stop()
  // Takes work_dir (one process per folder, locked until destruction), gives back the jobs
  // this worker held when it last died, and starts the threads.
  Status Start();
  // Asks every thread to stop after its current frame and joins them; a job being
  // processed goes back to the queue, its attempt not counted (Release).
  void Stop();
  // Wakes idle threads (a session was just created).
  void Wake();

  int64_t frames_processed() const { return frames_.load(); }
  int64_t jobs_finished() const { return jobs_.load(); }

 private:
  Status TakeWorkFolder();
  void Loop(int index);
  void Process(class SessionStore& store, const struct Claim& claim);
  void Log(const std::string& line);

  RunnerOptions options_;
  std::shared_ptr<EngineSet> engines_;
  std::vector<std::thread> threads_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> frames_{0}, jobs_{0};
  std::mutex mutex_;
  std::condition_variable wake_;
  int64_t wakes_ = 0;
  int lock_fd_ = -1;
};

}  // namespace handtrack::serve
