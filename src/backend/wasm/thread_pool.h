// The wasm backend's threads: a fixed set of workers that a kernel spreads its
// tasks over, the calling thread included. In the browser's threaded build
// they are Emscripten pthreads (Web Workers) from the module's pool; natively
// std::threads.
//
// Between model runs the workers sleep on a condition variable; while a model
// runs they spin for a short while between kernels, because waking a sleeping
// Web Worker costs tens of microseconds and a model runs about a hundred
// kernels back to back. Tasks are taken one at a time by whichever thread is
// free, and the caller waits only for tasks, never for a worker to show up:
// on a loaded machine a descheduled worker costs at most one task.
//
// Threading: ParallelFor may be called from any thread; calls on one pool
// take turns (the segments of every model share a pool per thread count, see
// SharedThreadPool). It returns when every task has run.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace handtrack::backend::wasm {

class ThreadPool {
 public:
  // `threads` >= 1 counts the caller: threads - 1 workers are started.
  explicit ThreadPool(int threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Calls fn(task) once for each task in [0, tasks), on any of the threads;
  // the caller takes tasks too, so a busy or sleeping worker delays nothing
  // but the task it holds.
  template <typename Fn>
  void ParallelFor(int tasks, const Fn& fn) {
    if (tasks <= 0) return;
    if (workers_.empty() || tasks == 1 || tasks > kMaxTasks) {
      for (int t = 0; t < tasks; ++t) fn(t);
      return;
    }
    std::lock_guard<std::mutex> turn(dispatch_mutex_);
    Dispatch(
        tasks, [](const void* context, int task) { (*static_cast<const Fn*>(context))(task); }, &fn);
  }

 private:
  using TaskFn = void (*)(const void* context, int task);
  void Dispatch(int tasks, TaskFn fn, const void* context);
  // Takes and runs tasks of the current job until none is left.
  void RunTasks();
  void WorkerLoop();

  // The job's state in one atomic word, so that a worker can never take a
  // task of one job and run it with another's function: generation (32
  // bits), number of tasks (16 bits), next task to take (16 bits). A worker
  // that takes a task (compare-exchange of the whole word) holds the job
  // open, so fn_ and context_ stay those of its generation while it runs.
  static constexpr int kMaxTasks = 0xFFFF;
  std::atomic<uint64_t> job_{0};
  std::atomic<int> tasks_done_{0};
  TaskFn fn_ = nullptr;
  const void* context_ = nullptr;
  std::mutex dispatch_mutex_;  // one ParallelFor at a time
  std::vector<std::thread> workers_;
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

// The process's pool of `threads` threads, shared by every segment that asks
// for that many while any of them holds it: a model's segments and the two
// models of a landmarker use the same workers instead of starting their own
// (the browser's threaded build has a fixed pool of pthreads).
std::shared_ptr<ThreadPool> SharedThreadPool(int threads);

}  // namespace handtrack::backend::wasm
