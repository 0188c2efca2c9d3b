#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {
namespace {

// alpha is per channel (the innermost axis), as the model reader requires.
// One thread per kLanes consecutive values (1, or a 16-byte vector).
// Alignment (kLanes > 1): the host takes this path only when `channels` is a
// multiple of kLanes and the buffers are 16-byte aligned; then vector v covers
// values [v * kLanes, v * kLanes + kLanes) and channels [c, c + kLanes) with c
// a multiple of kLanes: aligned offsets into both `in`/`out` and `alpha`.
template <int kLanes, typename T>
__global__ void PReluKernel(int count, int channels, const T* __restrict__ in, const T* __restrict__ alpha,
                            T* __restrict__ out) {
  const int vectors = count / kLanes;
  for (int v = blockIdx.x * blockDim.x + threadIdx.x; v < vectors; v += gridDim.x * blockDim.x) {
    const int offset = v * kLanes;
    if constexpr (kLanes == 1) {
      const float x = ToFloat(in[offset]);
      out[offset] = FromFloat<T>(x >= 0.0f ? x : x * ToFloat(alpha[offset % channels]));
    } else {
      float x[kLanes], slope[kLanes];
      LoadVector(in + offset, x);
      LoadVector(alpha + offset % channels, slope);
#pragma unroll
      for (int j = 0; j < kLanes; ++j) x[j] = x[j] >= 0.0f ? x[j] : x[j] * slope[j];
      StoreVector(out + offset, x);
    }
  }
}

}  // namespace

cudaError_t EnqueuePRelu(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const int channels = static_cast<int>(launch.input_tensor(1).num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    constexpr int kLanes = kVectorLanes<T>;
    const T* in = As<T>(launch.inputs[0]);
    const T* alpha = As<T>(launch.inputs[1]);
    T* out = As<T>(launch.output);
    if (channels % kLanes == 0 && VectorAligned(in, alpha, out)) {
      PReluKernel<kLanes, T><<<BlocksFor(count / kLanes), kThreadsPerBlock, 0, launch.stream>>>(
          count, channels, in, alpha, out);
    } else {
      PReluKernel<1, T>
          <<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(count, channels, in, alpha, out);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
