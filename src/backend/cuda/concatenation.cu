#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// Copies one input into its slot along the axis: `outer` rows of `chunk`
// values each, placed `offset` values into output rows of `out_chunk` values.
template <typename T>
__global__ void ConcatenateKernel(int outer, int chunk, int out_chunk, int offset,
                                  const T* __restrict__ in, T* __restrict__ out,
                                  model::Activation activation) {
  const int count = outer * chunk;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int row = i / chunk;
    out[row * out_chunk + offset + (i - row * chunk)] = FromFloat<T>(Activate(ToFloat(in[i]), activation));
  }
}

}  // namespace

cudaError_t EnqueueConcatenation(const OpLaunch& launch) {
  const auto& out_shape = launch.output_tensor().shape;
  const int axis = launch.node.params.axis;
  int outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  for (size_t d = axis + 1; d < out_shape.size(); ++d) inner *= out_shape[d];
  const int out_chunk = out_shape[axis] * inner;
  int offset = 0;
  for (size_t i = 0; i < launch.node.inputs.size(); ++i) {
    const int chunk = launch.input_tensor(i).shape[axis] * inner;
    const cudaError_t error = WithStorage(launch, [&](auto zero) {
      using T = decltype(zero);
      ConcatenateKernel<T><<<BlocksFor(outer * chunk), kThreadsPerBlock, 0, launch.stream>>>(
          outer, chunk, out_chunk, offset, As<T>(launch.inputs[i]), As<T>(launch.output),
          launch.node.params.activation);
      return cudaGetLastError();
    });
    if (error != cudaSuccess) return error;
    offset += chunk;
  }
  return cudaSuccess;
}

}  // namespace handtrack::backend::cuda
