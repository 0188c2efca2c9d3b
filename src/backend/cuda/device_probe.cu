#include "backend/cuda/ops.h"

namespace handtrack::backend::cuda {
namespace {

__global__ void ProbeKernel() {}

}  // namespace

// Asking for a kernel's attributes loads the module for the current device:
// it fails (cudaErrorNoKernelImageForDevice) when the build holds neither
// machine code nor compatible PTX for it, which is exactly what running needs.
cudaError_t ProbeKernelImage() {
  cudaFuncAttributes attributes;
  return cudaFuncGetAttributes(&attributes, ProbeKernel);
}

}  // namespace handtrack::backend::cuda
