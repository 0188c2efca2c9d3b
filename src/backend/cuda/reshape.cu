#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {

// Dense row-major data is unchanged by a reshape: one device-to-device copy
// (a memcpy node of the graph). Aliasing the two tensors instead would save
// the copy; see docs/CUDA.md.
cudaError_t EnqueueReshape(const OpLaunch& launch) {
  const size_t bytes = static_cast<size_t>(launch.output_tensor().num_elements()) *
                       (launch.half ? sizeof(__half) : sizeof(float));
  return cudaMemcpyAsync(launch.output, launch.inputs[0], bytes, cudaMemcpyDeviceToDevice, launch.stream);
}

}  // namespace handtrack::backend::cuda
