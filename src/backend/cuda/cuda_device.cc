#include "backend/cuda/cuda_device.h"

#include <cuda_runtime.h>

#include <string>

namespace handtrack::backend::cuda {

Status UseCudaDevice(DeviceInfo* info) {
  int count = 0;
  const cudaError_t counted = cudaGetDeviceCount(&count);
  if (counted != cudaSuccess) {
    int driver_version = 0;  // stays 0 where no driver is installed
    cudaDriverGetVersion(&driver_version);
    return UnavailableError(std::string("no CUDA device (") +
                            (driver_version == 0 ? "no CUDA driver; " : "") +
                            "cudaGetDeviceCount: " + cudaGetErrorString(counted) + ")");
  }
  if (count <= kCudaDevice) return UnavailableError("no CUDA device (cudaGetDeviceCount found none)");
  if (const cudaError_t error = cudaSetDevice(kCudaDevice); error != cudaSuccess) {
    return UnavailableError("no CUDA device usable (cudaSetDevice(" + std::to_string(kCudaDevice) +
                            "): " + cudaGetErrorString(error) + ")");
  }
  if (const cudaError_t error = ProbeKernelImage(); error != cudaSuccess) {
    cudaDeviceProp properties{};
    cudaGetDeviceProperties(&properties, kCudaDevice);
    return UnavailableError("no CUDA device usable (" + std::string(properties.name) +
                            ", compute capability " + std::to_string(properties.major) + "." +
                            std::to_string(properties.minor) +
                            ", cannot run kernels built for " HANDTRACK_CUDA_ARCHITECTURES ": " +
                            cudaGetErrorString(error) + ")");
  }
  if (info != nullptr) {
    if (const cudaError_t error =
            cudaDeviceGetAttribute(&info->multiprocessors, cudaDevAttrMultiProcessorCount, kCudaDevice);
        error != cudaSuccess) {
      return UnavailableError(std::string("no CUDA device usable (cudaDeviceGetAttribute: ") +
                              cudaGetErrorString(error) + ")");
    }
    int major = 0, minor = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, kCudaDevice);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, kCudaDevice);
    info->compute_capability = major * 10 + minor;
  }
  return Status::Ok();
}

}  // namespace handtrack::backend::cuda
