#include "backend/cuda/op_util.cuh"
#include "backend/cuda/vector_access.cuh"

namespace handtrack::backend::cuda {
namespace {

struct Tap {
  int lower, upper;
  float weight;  // of the upper sample
};

// TFLite's source coordinate of an output position, with its two neighbours.
// The explicitly rounded products keep nvcc from fusing them into an FMA, so
// that the coordinate (and which samples are picked) is the reference's.
__device__ Tap SourceTap(int out_index, int in_size, int out_size, bool align_corners,
                         bool half_pixel_centers) {
  const float scale = (align_corners && out_size > 1) ? static_cast<float>(in_size - 1) / (out_size - 1)
                                                      : static_cast<float>(in_size) / out_size;
  const float src = half_pixel_centers ? __fsub_rn(__fmul_rn(out_index + 0.5f, scale), 0.5f)
                                       : __fmul_rn(static_cast<float>(out_index), scale);
  const float floor_src = floorf(src);
  Tap tap;
  tap.lower = max(static_cast<int>(floor_src), 0);
  tap.upper = min(static_cast<int>(ceilf(src)), in_size - 1);
  tap.weight = src - floor_src;
  return tap;
}

struct ResizeGeometry {
  int batch, in_h, in_w, channels, out_h, out_w;
  bool align_corners, half_pixel_centers;
};

// One thread per kLanes consecutive channels of one output pixel (kLanes = 1:
// one value; kVectorLanes<T>: one 16-byte vector), channels fastest: the
// source taps are computed once per thread and shared by its lanes.
// Alignment (kLanes > 1): the host takes this path only when `channels` is a
// multiple of kLanes and both buffers are 16-byte aligned; every pixel starts
// at a multiple of `channels` elements and a thread's first channel is a
// multiple of kLanes, so every vector offset is a multiple of kLanes.
template <int kLanes, typename T>
__global__ void ResizeBilinearKernel(ResizeGeometry g, const T* __restrict__ in, T* __restrict__ out) {
  const int channel_groups = g.channels / kLanes;
  const int count = g.batch * g.out_h * g.out_w * channel_groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, channel_groups, kLanes, g.out_w, g.out_h);
    const int c = position.c, ox = position.x, oy = position.y, n = position.n;
    const Tap ty = SourceTap(oy, g.in_h, g.out_h, g.align_corners, g.half_pixel_centers);
    const Tap tx = SourceTap(ox, g.in_w, g.out_w, g.align_corners, g.half_pixel_centers);
    const T* image = in + n * g.in_h * g.in_w * g.channels + c;
    float top_left[kLanes], top_right[kLanes], bottom_left[kLanes], bottom_right[kLanes];
    auto load = [&](int y, int x, float(&v)[kLanes]) {
      const T* source = image + (y * g.in_w + x) * g.channels;
      if constexpr (kLanes == 1) {
        v[0] = ToFloat(*source);
      } else {
        LoadVector(source, v);
      }
    };
    load(ty.lower, tx.lower, top_left);
    load(ty.lower, tx.upper, top_right);
    load(ty.upper, tx.lower, bottom_left);
    load(ty.upper, tx.upper, bottom_right);
    float result[kLanes];
#pragma unroll
    for (int j = 0; j < kLanes; ++j) {
      const float top = top_left[j] + (top_right[j] - top_left[j]) * tx.weight;
      const float bottom = bottom_left[j] + (bottom_right[j] - bottom_left[j]) * tx.weight;
      result[j] = top + (bottom - top) * ty.weight;
    }
    if constexpr (kLanes == 1) {
      out[i] = FromFloat<T>(result[0]);
    } else {
      StoreVector(out + i * kLanes, result);  // i * kLanes is the output offset (channels fastest)
    }
  }
}

}  // namespace

cudaError_t EnqueueResizeBilinear(const OpLaunch& launch) {
  const auto& in = launch.input_tensor(0).shape;
  const auto& out = launch.output_tensor().shape;
  const ResizeGeometry g{in[0],
                         in[1],
                         in[2],
                         in[3],
                         out[1],
                         out[2],
                         launch.node.params.align_corners,
                         launch.node.params.half_pixel_centers};
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    constexpr int kLanes = kVectorLanes<T>;
    const T* in = As<T>(launch.inputs[0]);
    T* out = As<T>(launch.output);
    if (g.channels % kLanes == 0 && VectorAligned(in, out)) {
      ResizeBilinearKernel<kLanes, T>
          <<<BlocksFor(count / kLanes), kThreadsPerBlock, 0, launch.stream>>>(g, in, out);
    } else {
      ResizeBilinearKernel<1, T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(g, in, out);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
