// CUDA runtime errors as handtrack Status values.
#pragma once

#include <cuda_runtime.h>

#include <string>

#include "handtrack/status.h"

namespace handtrack::backend::cuda {

// OK for cudaSuccess; otherwise "failed to <action>: <cudaGetErrorString>",
// ResourceExhausted for out-of-memory errors, Internal for errors that only a
// bug in the backend can cause (bad launch configurations or arguments), and
// Unavailable for the rest (a missing, lost or faulting device).
Status CudaStatus(cudaError_t error, const std::string& action);

}  // namespace handtrack::backend::cuda
