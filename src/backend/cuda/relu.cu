#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// RELU and RELU6 are their fused activations applied on their own.
template <typename T>
__global__ void ClampKernel(int count, const T* __restrict__ in, T* __restrict__ out,
                            model::Activation activation) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = FromFloat<T>(Activate(ToFloat(in[i]), activation));
  }
}

cudaError_t EnqueueClamp(const OpLaunch& launch, model::Activation activation) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    ClampKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        count, As<T>(launch.inputs[0]), As<T>(launch.output), activation);
    return cudaGetLastError();
  });
}

}  // namespace

cudaError_t EnqueueRelu(const OpLaunch& launch) { return EnqueueClamp(launch, model::Activation::kRelu); }
cudaError_t EnqueueRelu6(const OpLaunch& launch) { return EnqueueClamp(launch, model::Activation::kRelu6); }

}  // namespace handtrack::backend::cuda
