#include "base/cuda_capture_gate.h"

namespace handtrack {

CudaCaptureGate& CudaCaptureGate::Process() {
  static CudaCaptureGate gate;
  return gate;
}

void CudaCaptureGate::EnterUse() {
  std::unique_lock lock(mutex_);
  changed_.wait(lock, [&] { return captures_ == 0 && captures_waiting_ == 0; });
  ++uses_;
}

void CudaCaptureGate::LeaveUse() {
  std::lock_guard lock(mutex_);
  if (--uses_ == 0) changed_.notify_all();
}

void CudaCaptureGate::EnterCapture() {
  std::unique_lock lock(mutex_);
  ++captures_waiting_;
  changed_.wait(lock, [&] { return uses_ == 0; });
  --captures_waiting_;
  ++captures_;
}

void CudaCaptureGate::LeaveCapture() {
  std::lock_guard lock(mutex_);
  if (--captures_ == 0) changed_.notify_all();
}

}  // namespace handtrack
