#include "backend/cuda/cuda_device.h"

#include <cuda_runtime.h>

#include <string>

namespace handtrack::backend::cuda {
namespace {

// The number of devices, or Unavailable "no CUDA device (...)" with the reason.
Result<int> CountDevices() {
  int count = 0;
  const cudaError_t counted = cudaGetDeviceCount(&count);
  if (counted != cudaSuccess) {
    int driver_version = 0;  // stays 0 where no driver is installed
    cudaDriverGetVersion(&driver_version);
    return UnavailableError(std::string("no CUDA device (") +
                            (driver_version == 0 ? "no CUDA driver; " : "") +
                            "cudaGetDeviceCount: " + cudaGetErrorString(counted) + ")");
  }
  if (count <= 0) return UnavailableError("no CUDA device (cudaGetDeviceCount found none)");
  return count;
}

std::string CapabilityText(int major, int minor) {
  return std::to_string(major) + "." + std::to_string(minor);
}

}  // namespace

Status UseCudaDevice(int device, DeviceInfo* info) {
  HT_ASSIGN_OR_RETURN(const int count, CountDevices());
  if (device < 0 || device >= count) {
    return UnavailableError("no CUDA device " + std::to_string(device) + " (" + std::to_string(count) +
                            " found)");
  }
  if (const cudaError_t error = cudaSetDevice(device); error != cudaSuccess) {
    return UnavailableError("no CUDA device usable (cudaSetDevice(" + std::to_string(device) +
                            "): " + cudaGetErrorString(error) + ")");
  }
  if (const cudaError_t error = ProbeKernelImage(); error != cudaSuccess) {
    cudaDeviceProp properties{};
    cudaGetDeviceProperties(&properties, device);
    return UnavailableError("no CUDA device usable (" + std::string(properties.name) +
                            ", compute capability " + CapabilityText(properties.major, properties.minor) +
                            ", cannot run kernels built for " HANDTRACK_CUDA_ARCHITECTURES ": " +
                            cudaGetErrorString(error) + ")");
  }
  if (info != nullptr) {
    info->index = device;
    if (const cudaError_t error =
            cudaDeviceGetAttribute(&info->multiprocessors, cudaDevAttrMultiProcessorCount, device);
        error != cudaSuccess) {
      return UnavailableError(std::string("no CUDA device usable (cudaDeviceGetAttribute: ") +
                              cudaGetErrorString(error) + ")");
    }
    int major = 0, minor = 0;
    cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    info->compute_capability = major * 10 + minor;
    int shared_optin = 0;
    if (cudaDeviceGetAttribute(&shared_optin, cudaDevAttrMaxSharedMemoryPerBlockOptin, device) ==
            cudaSuccess &&
        shared_optin > info->max_shared_bytes_per_block) {
      info->max_shared_bytes_per_block = shared_optin;
    }
  }
  return Status::Ok();
}

std::vector<GpuInfo> ListCudaDevices(bool probe, std::string* why_none) {
  std::vector<GpuInfo> gpus;
  const Result<int> count = CountDevices();
  if (!count.ok()) {
    if (why_none != nullptr) *why_none = count.status().message();
    return gpus;
  }
  // The caller's current device is put back: listing must not move later CUDA calls of this thread.
  int current = 0;
  const bool had_current = cudaGetDevice(&current) == cudaSuccess;
  for (int device = 0; device < *count; ++device) {
    GpuInfo gpu;
    gpu.index = device;
    gpu.backend = "cuda";
    cudaDeviceProp properties{};
    if (const cudaError_t error = cudaGetDeviceProperties(&properties, device); error != cudaSuccess) {
      gpu.detail =
          std::string("cannot be queried (cudaGetDeviceProperties: ") + cudaGetErrorString(error) + ")";
      gpus.push_back(std::move(gpu));
      continue;
    }
    gpu.name = properties.name;
    gpu.memory_total_bytes = static_cast<int64_t>(properties.totalGlobalMem);
    gpu.compute_capability = properties.major * 10 + properties.minor;
    gpu.usable = true;
    gpu.detail = "ready";
    if (probe) {
      if (const Status usable = UseCudaDevice(device, nullptr); !usable.ok()) {
        gpu.usable = false;
        gpu.detail = usable.message();
      } else {
        size_t free_bytes = 0, total_bytes = 0;
        if (cudaMemGetInfo(&free_bytes, &total_bytes) == cudaSuccess) {
          gpu.memory_free_bytes = static_cast<int64_t>(free_bytes);
        }
      }
    } else {
      gpu.memory_free_bytes = -1;  // not asked: it needs a context on the device
    }
    gpus.push_back(std::move(gpu));
  }
  if (had_current) cudaSetDevice(current);
  return gpus;
}

}  // namespace handtrack::backend::cuda
