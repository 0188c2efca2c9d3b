// Finding and describing the GPU the backend runs on.
#pragma once

#include "backend/cuda/ops.h"
#include "handtrack/status.h"

namespace handtrack::backend::cuda {

// The device every segment runs on. One GPU for now; see docs/CUDA.md.
inline constexpr int kCudaDevice = 0;

// Makes kCudaDevice current for the calling thread and fills `info`
// (optional). Unavailable "no CUDA device (...)" when there is no driver, no
// device, or none that can run this build's kernels; never aborts.
Status UseCudaDevice(DeviceInfo* info);

}  // namespace handtrack::backend::cuda
