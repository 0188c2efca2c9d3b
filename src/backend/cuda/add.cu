#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// Same-shape inputs only: the model reader rejects broadcasting.
__global__ void AddKernel(int count, int channels, const float* __restrict__ a, const float* __restrict__ b,
                          float* __restrict__ out, model::Activation activation, Epilogue epilogue) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = ApplyEpilogue(epilogue, Activate(a[i] + b[i], activation), i, i % channels);
  }
}

}  // namespace

cudaError_t EnqueueAdd(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const auto& shape = launch.output_tensor().shape;
  const int channels = shape.empty() ? 1 : shape.back();
  AddKernel<<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
      count, channels, launch.inputs[0], launch.inputs[1], launch.output, launch.node.params.activation,
      launch.epilogue);
  return cudaGetLastError();
}

}  // namespace handtrack::backend::cuda
