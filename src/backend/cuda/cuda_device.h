// Finding and describing the GPUs the backend runs on.
#pragma once

#include <string>
#include <vector>

#include "backend/cuda/ops.h"
#include "handtrack/models.h"
#include "handtrack/status.h"

namespace handtrack::backend::cuda {

// Makes GPU `device` (ModelOptions::device) current for the calling thread and
// fills `info` (optional). Unavailable "no CUDA device (...)" when there is no
// driver, no device of that index ("no CUDA device 3 (2 found)"), or when it
// cannot run this build's kernels; never aborts.
Status UseCudaDevice(int device, DeviceInfo* info);

// Every CUDA device of the machine (ListGpus). `probe`: also each one's free
// memory and whether this build's kernels load there, which creates a CUDA
// context on each device; without it, only what cudaGetDeviceProperties says.
// Empty with `why_none` set when there is no driver or no device.
std::vector<GpuInfo> ListCudaDevices(bool probe, std::string* why_none);

}  // namespace handtrack::backend::cuda
