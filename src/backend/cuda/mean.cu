#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// Mean over height and width (the only axes the model reader accepts): one
// thread per (batch, channel), summing pixels in order as the reference does;
// consecutive threads read consecutive channels.
template <typename T>
__global__ void MeanKernel(int batch, int pixels, int channels, const T* __restrict__ in,
                           T* __restrict__ out) {
  const int count = batch * channels;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int n = i / channels, c = i % channels;
    const T* column = in + static_cast<size_t>(n) * pixels * channels + c;
    float sum = 0.0f;
    for (int p = 0; p < pixels; ++p) sum += ToFloat(column[static_cast<size_t>(p) * channels]);
    out[i] = FromFloat<T>(sum / static_cast<float>(pixels));
  }
}

}  // namespace

cudaError_t EnqueueMean(const OpLaunch& launch) {
  const auto& shape = launch.input_tensor(0).shape;
  const int batch = shape[0], pixels = shape[1] * shape[2], channels = shape[3];
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    MeanKernel<T><<<BlocksFor(static_cast<int64_t>(batch) * channels), kThreadsPerBlock, 0, launch.stream>>>(
        batch, pixels, channels, As<T>(launch.inputs[0]), As<T>(launch.output));
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
