#include <type_traits>

#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// out[n, oy, ox, c * m + k] = bias + sum over (ky, kx) of in[n, iy, ix, c] * filter[0, ky, kx, c * m + k]
//
// One thread per kLanes consecutive output channels of one pixel, channels
// fastest, so that a warp's input and filter reads are consecutive. With
// kLanes = 4 (multiplier 1 and channels a multiple of 4, as in every hand
// model) each read is one 16-byte load and the index arithmetic is shared by
// four outputs.
template <int kLanes, typename T>
__global__ void DepthwiseConv2DKernel(WindowGeometry g, int multiplier, const T* __restrict__ in,
                                      const T* __restrict__ filter, const T* __restrict__ bias,
                                      T* __restrict__ out, model::Activation activation) {
  using Vector = Lanes<T, kLanes>;
  const int groups = g.out_c / kLanes;
  const int count = g.batch * g.out_h * g.out_w * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int oc = i % groups * kLanes;
    int rest = i / groups;
    const int ox = rest % g.out_w;
    rest /= g.out_w;
    const int oy = rest % g.out_h;
    const int n = rest / g.out_h;
    const int c = oc / multiplier;
    float acc[kLanes];
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane) acc[lane] = bias != nullptr ? ToFloat(bias[oc + lane]) : 0.0f;
    for (int ky = 0; ky < g.filter_h; ++ky) {
      const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
      if (iy < 0 || iy >= g.in_h) continue;
      for (int kx = 0; kx < g.filter_w; ++kx) {
        const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
        if (ix < 0 || ix >= g.in_w) continue;
        const Vector x =
            *reinterpret_cast<const Vector*>(in + ((n * g.in_h + iy) * g.in_w + ix) * g.in_c + c);
        const Vector w = *reinterpret_cast<const Vector*>(filter + (ky * g.filter_w + kx) * g.out_c + oc);
#pragma unroll
        for (int lane = 0; lane < kLanes; ++lane) acc[lane] = fmaf(ToFloat(x.v[lane]), ToFloat(w.v[lane]), acc[lane]);
      }
    }
    Vector result;
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane) result.v[lane] = FromFloat<T>(Activate(acc[lane], activation));
    *reinterpret_cast<Vector*>(out + i * kLanes) = result;
  }
}

}  // namespace

cudaError_t EnqueueDepthwiseConv2D(const OpLaunch& launch) {
  const auto& filter = launch.input_tensor(1).shape;
  const WindowGeometry g = MakeWindowGeometry(launch, filter[1], filter[2], launch.node.params.dilation_h,
                                              launch.node.params.dilation_w);
  const int multiplier = launch.node.params.depth_multiplier;
  const float* bias = launch.inputs.size() > 2 ? launch.inputs[2] : nullptr;
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  // 16-byte (fp16: 8-byte) loads need aligned rows: every buffer is 256-byte aligned, each row starts at a
  // multiple of the channel count.
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    if (multiplier == 1 && g.out_c % 4 == 0) {
      DepthwiseConv2DKernel<4, T><<<BlocksFor(count / 4), kThreadsPerBlock, 0, launch.stream>>>(
          g, multiplier, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
          launch.node.params.activation);
    } else {
      DepthwiseConv2DKernel<1, T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
          g, multiplier, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
          launch.node.params.activation);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
