#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// Same-shape inputs only: the model reader rejects broadcasting.
template <typename T>
__global__ void AddKernel(int count, int channels, const T* __restrict__ a, const T* __restrict__ b,
                          T* __restrict__ out, model::Activation activation, Epilogue epilogue) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = FromFloat<T>(
        ApplyEpilogue<T>(epilogue, Activate(ToFloat(a[i]) + ToFloat(b[i]), activation), i, i % channels));
  }
}

}  // namespace

cudaError_t EnqueueAdd(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const auto& shape = launch.output_tensor().shape;
  const int channels = shape.empty() ? 1 : shape.back();
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    AddKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        count, channels, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(launch.output),
        launch.node.params.activation, launch.epilogue);
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
