#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// alpha is per channel (the innermost axis), as the model reader requires.
template <typename T>
__global__ void PReluKernel(int count, int channels, const T* __restrict__ in, const T* __restrict__ alpha,
                            T* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const float v = ToFloat(in[i]);
    out[i] = FromFloat<T>(v >= 0.0f ? v : v * ToFloat(alpha[i % channels]));
  }
}

}  // namespace

cudaError_t EnqueuePRelu(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const int channels = static_cast<int>(launch.input_tensor(1).num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    PReluKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        count, channels, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(launch.output));
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
