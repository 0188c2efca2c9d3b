#include "backend/wasm/thread_pool.h"

#include <map>

namespace handtrack::backend::wasm {
namespace {

// Spins before sleeping: long enough to bridge the gap between two kernels of
// a model run (microseconds), short enough not to hold a core between frames.
constexpr int kSpinsBeforeSleep = 50000;

constexpr uint64_t Pack(uint64_t generation, uint64_t tasks, uint64_t next) {
  return (generation & 0xFFFFFFFFu) << 32 | (tasks & 0xFFFFu) << 16 | (next & 0xFFFFu);
}
constexpr uint64_t GenerationOf(uint64_t job) { return job >> 32; }
constexpr uint64_t TasksOf(uint64_t job) { return (job >> 16) & 0xFFFFu; }
constexpr uint64_t NextOf(uint64_t job) { return job & 0xFFFFu; }

}  // namespace

ThreadPool::ThreadPool(int threads) {
  for (int i = 1; i < threads; ++i) workers_.emplace_back([this] { WorkerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_.store(true);
  }
  wake_.notify_all();
  for (std::thread& worker : workers_) worker.join();
}

void ThreadPool::RunTasks() {
  uint64_t job = job_.load();
  while (NextOf(job) < TasksOf(job)) {
    const uint64_t taken = job;
    if (!job_.compare_exchange_weak(job, Pack(GenerationOf(taken), TasksOf(taken), NextOf(taken) + 1)))
      continue;
    // The job cannot finish while this task is pending: fn_ and context_ are its own.
    fn_(context_, static_cast<int>(NextOf(taken)));
    tasks_done_.fetch_add(1, std::memory_order_acq_rel);
    job = job_.load();
  }
}

void ThreadPool::Dispatch(int tasks, TaskFn fn, const void* context) {
  const uint64_t generation = GenerationOf(job_.load()) + 1;
  fn_ = fn;
  context_ = context;
  tasks_done_.store(0);
  job_.store(Pack(generation, static_cast<uint64_t>(tasks), 0));  // publishes the job (seq_cst)
  if (sleeping_.load() > 0) {
    // A worker that counted itself sleeping checks for work under the lock
    // before it waits: taking the lock here orders this notify after that.
    { std::lock_guard<std::mutex> lock(mutex_); }
    wake_.notify_all();
  }
  RunTasks();
  while (tasks_done_.load(std::memory_order_acquire) < tasks) {
  }
}

void ThreadPool::WorkerLoop() {
  auto has_work = [this] {
    const uint64_t job = job_.load();
    return NextOf(job) < TasksOf(job);
  };
  while (!stop_.load()) {
    for (int spins = 0; spins < kSpinsBeforeSleep && !has_work() && !stop_.load(); ++spins) {
    }
    if (!has_work()) {
      std::unique_lock<std::mutex> lock(mutex_);
      sleeping_.fetch_add(1);
      wake_.wait(lock, [&] { return has_work() || stop_.load(); });
      sleeping_.fetch_sub(1);
    }
    RunTasks();
  }
}

std::shared_ptr<ThreadPool> SharedThreadPool(int threads) {
  static std::mutex mutex;
  static std::map<int, std::weak_ptr<ThreadPool>> pools;
  std::lock_guard<std::mutex> lock(mutex);
  std::shared_ptr<ThreadPool> pool = pools[threads].lock();
  if (pool == nullptr) {
    pool = std::make_shared<ThreadPool>(threads);
    pools[threads] = pool;
  }
  return pool;
}

}  // namespace handtrack::backend::wasm
