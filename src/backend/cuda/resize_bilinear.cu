#include "backend/cuda/op_util.cuh"

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

// One thread per output element, channels fastest.
template <typename T>
__global__ void ResizeBilinearKernel(ResizeGeometry g, const T* __restrict__ in, T* __restrict__ out) {
  const int count = g.batch * g.out_h * g.out_w * g.channels;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int c = i % g.channels;
    int rest = i / g.channels;
    const int ox = rest % g.out_w;
    rest /= g.out_w;
    const int oy = rest % g.out_h;
    const int n = rest / g.out_h;
    const Tap ty = SourceTap(oy, g.in_h, g.out_h, g.align_corners, g.half_pixel_centers);
    const Tap tx = SourceTap(ox, g.in_w, g.out_w, g.align_corners, g.half_pixel_centers);
    auto at = [&](int y, int x) {
      return ToFloat(in[((static_cast<size_t>(n) * g.in_h + y) * g.in_w + x) * g.channels + c]);
    };
    const float top = at(ty.lower, tx.lower) + (at(ty.lower, tx.upper) - at(ty.lower, tx.lower)) * tx.weight;
    const float bottom =
        at(ty.upper, tx.lower) + (at(ty.upper, tx.upper) - at(ty.upper, tx.lower)) * tx.weight;
    out[i] = FromFloat<T>(top + (bottom - top) * ty.weight);
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
    ResizeBilinearKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        g, As<T>(launch.inputs[0]), As<T>(launch.output));
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
