#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {
namespace {

// Copies one input into its slot along the axis: `outer` rows of `chunk`
// elements each, placed `offset` elements into output rows of `out_chunk`
// elements, where an element is kLanes consecutive values (1, or a 16-byte
// vector). One thread per element.
// Alignment (kLanes > 1): the host takes this path only when chunk, out_chunk
// and offset (in values) are multiples of kLanes and both buffers are 16-byte
// aligned, so every input and output vector starts at a multiple of kLanes.
template <int kLanes, typename T>
__global__ void ConcatenateKernel(int outer, int chunk, int out_chunk, int offset, const T* __restrict__ in,
                                  T* __restrict__ out, model::Activation activation) {
  const int count = outer * chunk;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int row = i / chunk;
    const int destination = row * out_chunk + offset + (i - row * chunk);
    if constexpr (kLanes == 1) {
      out[destination] = FromFloat<T>(Activate(ToFloat(in[i]), activation));
    } else {
      float v[kLanes];
      LoadVector(in + i * kLanes, v);
#pragma unroll
      for (int j = 0; j < kLanes; ++j) v[j] = Activate(v[j], activation);
      StoreVector(out + destination * kLanes, v);
    }
  }
}

}  // namespace

cudaError_t EnqueueConcatenation(const OpLaunch& launch) {
  const auto& out_shape = launch.output_tensor().shape;
  const int rank = static_cast<int>(out_shape.size());
  const int axis = launch.node.params.axis < 0 ? launch.node.params.axis + rank : launch.node.params.axis;
  int outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  for (int d = axis + 1; d < rank; ++d) inner *= out_shape[d];
  const int out_chunk = out_shape[axis] * inner;
  int offset = 0;
  for (size_t i = 0; i < launch.node.inputs.size(); ++i) {
    const int chunk = launch.input_tensor(i).shape[axis] * inner;
    const cudaError_t error = WithStorage(launch, [&](auto zero) {
      using T = decltype(zero);
      constexpr int kLanes = kVectorLanes<T>;
      const T* in = As<T>(launch.inputs[i]);
      T* out = As<T>(launch.output);
      if (chunk % kLanes == 0 && out_chunk % kLanes == 0 && offset % kLanes == 0 && VectorAligned(in, out)) {
        ConcatenateKernel<kLanes, T>
            <<<BlocksFor(outer * chunk / kLanes), kThreadsPerBlock, 0, launch.stream>>>(
                outer, chunk / kLanes, out_chunk / kLanes, offset / kLanes, in, out,
                launch.node.params.activation);
      } else {
        ConcatenateKernel<1, T><<<BlocksFor(outer * chunk), kThreadsPerBlock, 0, launch.stream>>>(
            outer, chunk, out_chunk, offset, in, out, launch.node.params.activation);
      }
      return cudaGetLastError();
    });
    if (error != cudaSuccess) return error;
    offset += chunk;
  }
  return cudaSuccess;
}

}  // namespace handtrack::backend::cuda
