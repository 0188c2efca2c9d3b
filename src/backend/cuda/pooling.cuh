// The window walk shared by MAX_POOL_2D and AVERAGE_POOL_2D.
#pragma once

#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {

// One thread per kLanes consecutive channels of one output pixel (kLanes = 1:
// one value; kVectorLanes<T>: one 16-byte vector), channels fastest. Only
// in-image elements take part, as in TFLite: padding never wins a max, and an
// average divides by the number of in-image elements, not the window size.
// Every lane sums in the same order as the scalar kernel, so both give the
// same bits.
//
// Alignment (kLanes > 1): the host takes this path only when in_c (= out_c)
// is a multiple of kLanes and both buffers are 16-byte aligned; every pixel
// row starts at a multiple of in_c elements and a thread's first channel is a
// multiple of kLanes, so each vector offset is a multiple of kLanes elements.
template <bool kIsMax, int kLanes, typename T>
__global__ void Pool2DKernel(WindowGeometry g, const T* __restrict__ in, T* __restrict__ out,
                             model::Activation activation) {
  const int channel_groups = g.out_c / kLanes;
  const int count = g.batch * g.out_h * g.out_w * channel_groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, channel_groups, kLanes, g.out_w, g.out_h);
    const int c = position.c, ox = position.x, oy = position.y, n = position.n;
    const int y0 = max(oy * g.stride_h - g.pad_top, 0);
    const int y1 = min(oy * g.stride_h - g.pad_top + g.filter_h, g.in_h);
    const int x0 = max(ox * g.stride_w - g.pad_left, 0);
    const int x1 = min(ox * g.stride_w - g.pad_left + g.filter_w, g.in_w);
    float acc[kLanes];
#pragma unroll
    for (int j = 0; j < kLanes; ++j) acc[j] = kIsMax ? -INFINITY : 0.0f;
    for (int y = y0; y < y1; ++y) {
      for (int x = x0; x < x1; ++x) {
        const T* source = in + ((n * g.in_h + y) * g.in_w + x) * g.in_c + c;
        float v[kLanes];
        if constexpr (kLanes == 1) {
          v[0] = ToFloat(*source);
        } else {
          LoadVector(source, v);
        }
#pragma unroll
        for (int j = 0; j < kLanes; ++j) acc[j] = kIsMax ? fmaxf(acc[j], v[j]) : acc[j] + v[j];
      }
    }
    const float window = static_cast<float>(max((y1 - y0) * (x1 - x0), 1));
#pragma unroll
    for (int j = 0; j < kLanes; ++j) {
      if (!kIsMax) acc[j] /= window;
      acc[j] = Activate(acc[j], activation);
    }
    if constexpr (kLanes == 1) {
      out[i] = FromFloat<T>(acc[0]);
    } else {
      StoreVector(out + i * kLanes, acc);  // i * kLanes is the output offset (channels fastest)
    }
  }
}

template <bool kIsMax>
cudaError_t EnqueuePool2D(const OpLaunch& launch) {
  const model::NodeParams& p = launch.node.params;
  const WindowGeometry g = MakeWindowGeometry(launch, p.filter_h, p.filter_w, 1, 1);
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    constexpr int kLanes = kVectorLanes<T>;
    const T* in = As<T>(launch.inputs[0]);
    T* out = As<T>(launch.output);
    if (g.in_c % kLanes == 0 && VectorAligned(in, out)) {
      Pool2DKernel<kIsMax, kLanes, T>
          <<<BlocksFor(count / kLanes), kThreadsPerBlock, 0, launch.stream>>>(g, in, out, p.activation);
    } else {
      Pool2DKernel<kIsMax, 1, T>
          <<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(g, in, out, p.activation);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
