#include "backend/cuda/cuda_status.h"

namespace handtrack::backend::cuda {
namespace {

StatusCode CodeOf(cudaError_t error) {
  switch (error) {
    case cudaErrorMemoryAllocation:
      return StatusCode::kResourceExhausted;
    case cudaErrorInvalidValue:
    case cudaErrorInvalidConfiguration:
    case cudaErrorInvalidPitchValue:
    case cudaErrorInvalidDevicePointer:
    case cudaErrorInvalidMemcpyDirection:
    case cudaErrorInvalidResourceHandle:
    case cudaErrorStreamCaptureUnsupported:
    case cudaErrorStreamCaptureInvalidated:
      return StatusCode::kInternal;
    default:
      return StatusCode::kUnavailable;
  }
}

}  // namespace

Status CudaStatus(cudaError_t error, const std::string& action) {
  if (error == cudaSuccess) return Status::Ok();
  return Status(CodeOf(error), "failed to " + action + ": " + cudaGetErrorString(error));
}

}  // namespace handtrack::backend::cuda
