#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

__global__ void FloatToHalfKernel(int count, const float* __restrict__ in, __half* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = __float2half_rn(in[i]);
  }
}

struct HalfToFloatCopies {
  HalfToFloatCopy copies[kMaxHalfToFloatCopies];
};

// blockIdx.y: the copy.
__global__ void HalfToFloatCopiesKernel(HalfToFloatCopies all) {
  const HalfToFloatCopy copy = all.copies[blockIdx.y];
  const __half* in = reinterpret_cast<const __half*>(copy.in);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < copy.count;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    copy.out[i] = __half2float(in[i]);
  }
}

}  // namespace

cudaError_t EnqueueHalfToFloatCopies(std::span<const HalfToFloatCopy> copies, cudaStream_t stream) {
  if (copies.empty()) return cudaSuccess;
  if (copies.size() > kMaxHalfToFloatCopies) return cudaErrorInvalidValue;
  HalfToFloatCopies all;
  int64_t largest = 0;
  for (size_t i = 0; i < copies.size(); ++i) {
    all.copies[i] = copies[i];
    largest = std::max(largest, copies[i].count);
  }
  const dim3 grid(BlocksFor(largest), static_cast<unsigned>(copies.size()));
  HalfToFloatCopiesKernel<<<grid, kThreadsPerBlock, 0, stream>>>(all);
  return cudaGetLastError();
}

cudaError_t EnqueueFloatToHalf(const float* in, float* out, int64_t count, cudaStream_t stream) {
  FloatToHalfKernel<<<BlocksFor(count), kThreadsPerBlock, 0, stream>>>(static_cast<int>(count), in,
                                                                       As<__half>(out));
  return cudaGetLastError();
}

cudaError_t EnqueueHalfToFloat(const float* in, float* out, int64_t count, cudaStream_t stream) {
  const HalfToFloatCopy copy{in, out, count};
  return EnqueueHalfToFloatCopies({&copy, 1}, stream);
}

}  // namespace handtrack::backend::cuda
