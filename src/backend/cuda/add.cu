#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {
namespace {

// Same-shape inputs only: the model reader rejects broadcasting (Supports
// refuses it), so the i-th value of a, b, the residual and the output line
// up. One thread per value.
template <typename T>
__global__ void AddKernel(int count, int channels, const T* __restrict__ a, const T* __restrict__ b,
                          T* __restrict__ out, model::Activation activation, Epilogue epilogue) {
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    out[i] = FromFloat<T>(
        ApplyEpilogue<T>(epilogue, Activate(ToFloat(a[i]) + ToFloat(b[i]), activation), i, i % channels));
  }
}

// The same with one thread per 16-byte vector of kLanes values, for channel
// counts that are a multiple of kLanes. Alignment: vector v covers values
// [v * kLanes, v * kLanes + kLanes) of a, b, out and the residual (all of the
// output's shape, 16-byte aligned buffers: checked on the host), and, since
// rows are whole vectors, channels [c, c + kLanes) with c a multiple of
// kLanes, so the PReLU slopes load as one aligned vector too.
template <typename T>
__global__ void AddVectorKernel(int vectors, int channels, const T* __restrict__ a, const T* __restrict__ b,
                                T* __restrict__ out, model::Activation activation, Epilogue epilogue) {
  constexpr int kLanes = kVectorLanes<T>;
  for (int v = blockIdx.x * blockDim.x + threadIdx.x; v < vectors; v += gridDim.x * blockDim.x) {
    const int offset = v * kLanes;
    float x[kLanes], y[kLanes];
    LoadVector(a + offset, x);
    LoadVector(b + offset, y);
#pragma unroll
    for (int j = 0; j < kLanes; ++j) x[j] = Activate(x[j] + y[j], activation);
    if (epilogue.residual != nullptr) {
      LoadVector(As<T>(epilogue.residual) + offset, y);
#pragma unroll
      for (int j = 0; j < kLanes; ++j) x[j] = Activate(x[j] + y[j], epilogue.residual_activation);
    }
    if (epilogue.prelu_alpha != nullptr) {
      LoadVector(As<T>(epilogue.prelu_alpha) + offset % channels, y);
#pragma unroll
      for (int j = 0; j < kLanes; ++j) x[j] = x[j] < 0.0f ? x[j] * y[j] : x[j];
    }
    StoreVector(out + offset, x);
  }
}

}  // namespace

cudaError_t EnqueueAdd(const OpLaunch& launch) {
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const auto& shape = launch.output_tensor().shape;
  const int channels = shape.empty() ? 1 : shape.back();
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    constexpr int kLanes = kVectorLanes<T>;
    const T* a = As<T>(launch.inputs[0]);
    const T* b = As<T>(launch.inputs[1]);
    T* out = As<T>(launch.output);
    if (channels % kLanes == 0 &&
        VectorAligned(a, b, out, launch.epilogue.residual, launch.epilogue.prelu_alpha)) {
      AddVectorKernel<T><<<BlocksFor(count / kLanes), kThreadsPerBlock, 0, launch.stream>>>(
          count / kLanes, channels, a, b, out, launch.node.params.activation, launch.epilogue);
    } else {
      AddKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
          count, channels, a, b, out, launch.node.params.activation, launch.epilogue);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
