#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// RELU and RELU6 are their fused activations applied on their own.
__global__ void ClampKernel(int count, const float* __restrict__ in, float* __restrict__ out,
                            model::Activation activation) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = Activate(in[i], activation);
  }
}

cudaError_t EnqueueClamp(const OpLaunch& launch, model::Activation activation) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  ClampKernel<<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(count, launch.inputs[0],
                                                                        launch.output, activation);
  return cudaGetLastError();
}

}  // namespace

cudaError_t EnqueueRelu(const OpLaunch& launch) { return EnqueueClamp(launch, model::Activation::kRelu); }
cudaError_t EnqueueRelu6(const OpLaunch& launch) { return EnqueueClamp(launch, model::Activation::kRelu6); }

}  // namespace handtrack::backend::cuda
