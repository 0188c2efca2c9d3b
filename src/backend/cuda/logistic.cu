#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// expf, not __expf: the fast intrinsic is off by more than the 1e-4 budget
// for large |x|.
template <typename T>
__global__ void LogisticKernel(int count, const T* __restrict__ in, T* __restrict__ out) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = FromFloat<T>(1.0f / (1.0f + expf(-ToFloat(in[i]))));
  }
}

}  // namespace

cudaError_t EnqueueLogistic(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    LogisticKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        count, As<T>(launch.inputs[0]), As<T>(launch.output));
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
