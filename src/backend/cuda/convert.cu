#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

__global__ void FloatToHalfKernel(int count, const float* __restrict__ in, __half* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = __float2half_rn(in[i]);
  }
}

__global__ void HalfToFloatKernel(int count, const __half* __restrict__ in, float* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = __half2float(in[i]);
  }
}

}  // namespace

cudaError_t EnqueueFloatToHalf(const float* in, float* out, int64_t count, cudaStream_t stream) {
  FloatToHalfKernel<<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(static_cast<int>(count), in,
                                                                       As<__half>(out));
  return cudaGetLastError();
}

cudaError_t EnqueueHalfToFloat(const float* in, float* out, int64_t count, cudaStream_t stream) {
  HalfToFloatKernel<<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(static_cast<int>(count),
                                                                       As<__half>(in), out);
  return cudaGetLastError();
}

}  // namespace handtrack::backend::cuda
