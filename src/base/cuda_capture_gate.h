// Keeps CUDA graph captures apart from other threads' work in the same CUDA context.
//
// The CUDA backend captures its graphs from a stream (ThreadLocal mode). A call from another
// thread that synchronises the context implicitly (freeing device memory, creating or
// destroying a video decoder: what FFmpeg's NVDEC does when a video opens, changes size or
// closes) invalidates a capture in progress ("operation failed due to a previous error during
// capture"), and the model's run fails. handtrack's own CUDA work never does that, but NVDEC in
// the runtime's primary context (io's CudaDecodingContext::kShared) can: 16 videos opening while
// the engine captured its first graphs failed 2 of 16 on an H200 (2026-12-05). So decoding
// holds a use of the gate around its FFmpeg calls, and a capture waits for the uses in
// progress to end and holds new ones back until it is done.
//
// Thread-safe; process-wide (the CUDA runtime's primary context is). Captures may overlap
// each other (they did before), uses may overlap each other; a waiting capture goes first.
#pragma once

#include <condition_variable>
#include <mutex>

namespace handtrack {

class CudaCaptureGate {
 public:
  // The process's gate.
  static CudaCaptureGate& Process();

  void EnterUse();
  void LeaveUse();
  void EnterCapture();
  void LeaveCapture();

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int uses_ = 0;
  int captures_ = 0;
  int captures_waiting_ = 0;
};

// A use of the process's gate for the scope; none when `active` is false (CPU decoding, or
// a context of FFmpeg's own).
class ScopedCudaContextUse {
 public:
  explicit ScopedCudaContextUse(bool active) : active_(active) {
    if (active_) CudaCaptureGate::Process().EnterUse();
  }
  ~ScopedCudaContextUse() {
    if (active_) CudaCaptureGate::Process().LeaveUse();
  }
  ScopedCudaContextUse(const ScopedCudaContextUse&) = delete;
  ScopedCudaContextUse& operator=(const ScopedCudaContextUse&) = delete;

 private:
  bool active_;
};

// A capture of the process's gate for the scope.
class ScopedCudaCapture {
 public:
  ScopedCudaCapture() { CudaCaptureGate::Process().EnterCapture(); }
  ~ScopedCudaCapture() { CudaCaptureGate::Process().LeaveCapture(); }
  ScopedCudaCapture(const ScopedCudaCapture&) = delete;
  ScopedCudaCapture& operator=(const ScopedCudaCapture&) = delete;
};

}  // namespace handtrack
