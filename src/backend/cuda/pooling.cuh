// The window walk shared by MAX_POOL_2D and AVERAGE_POOL_2D.
#pragma once

#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {

// One thread per output element, channels fastest. Only in-image elements
// take part, as in TFLite: padding never wins a max, and an average divides
// by the number of in-image elements, not the window size.
template <bool kIsMax, typename T>
__global__ void Pool2DKernel(WindowGeometry g, const T* __restrict__ in, T* __restrict__ out,
                             model::Activation activation) {
  const int count = g.batch * g.out_h * g.out_w * g.out_c;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int c = i % g.out_c;
    int rest = i / g.out_c;
    const int ox = rest % g.out_w;
    rest /= g.out_w;
    const int oy = rest % g.out_h;
    const int n = rest / g.out_h;
    const int y0 = max(oy * g.stride_h - g.pad_top, 0);
    const int y1 = min(oy * g.stride_h - g.pad_top + g.filter_h, g.in_h);
    const int x0 = max(ox * g.stride_w - g.pad_left, 0);
    const int x1 = min(ox * g.stride_w - g.pad_left + g.filter_w, g.in_w);
    float acc = kIsMax ? -INFINITY : 0.0f;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        const float v = ToFloat(in[((static_cast<size_t>(n) * g.in_h + y) * g.in_w + x) * g.in_c + c]);
        acc = kIsMax ? fmaxf(acc, v) : acc + v;
      }
    }
    if (!kIsMax) acc /= static_cast<float>(max((y1 - y0) * (x1 - x0), 1));
    out[i] = FromFloat<T>(Activate(acc, activation));
  }
}

template <bool kIsMax>
cudaError_t EnqueuePool2D(const OpLaunch& launch) {
  const model::NodeParams& p = launch.node.params;
  const WindowGeometry g = MakeWindowGeometry(launch, p.filter_h, p.filter_w, 1, 1);
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    Pool2DKernel<kIsMax, T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        g, As<T>(launch.inputs[0]), As<T>(launch.output), p.activation);
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
