#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// alpha is per channel (the innermost axis), as the model reader requires.
__global__ void PReluKernel(int count, int channels, const float* __restrict__ in,
                            const float* __restrict__ alpha, float* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const float v = in[i];
    out[i] = v >= 0.0f ? v : v * alpha[i % channels];
  }
}

}  // namespace

cudaError_t EnqueuePRelu(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const int channels = static_cast<int>(launch.input_tensor(1).num_elements());
  PReluKernel<<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(count, channels, launch.inputs[0],
                                                                        launch.inputs[1], launch.output);
  return cudaGetLastError();
}

}  // namespace handtrack::backend::cuda
