// Helpers shared by the op files: fused activations, TFLite's padding rule,
// launch sizes and the geometry of windowed ops.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>

#include "backend/cuda/ops.h"
#include "backend/padding.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

// Threads per block of the element-wise kernels.
inline constexpr int kThreadsPerBlock = 256;

// Blocks for one thread per element; kernels loop with a grid stride, so the
// count is capped well below the launch limit.
inline unsigned BlocksFor(int64_t elements) {
  return static_cast<unsigned>(
      std::clamp<int64_t>((elements + kThreadsPerBlock - 1) / kThreadsPerBlock, 1, 65535));
}

// Storage types: float (fp32) or __half (fp16); arithmetic is float either way.
__device__ __forceinline__ float ToFloat(float v) { return v; }
__device__ __forceinline__ float ToFloat(__half v) { return __half2float(v); }
template <typename T>
__device__ __forceinline__ T FromFloat(float v);
template <>
__device__ __forceinline__ float FromFloat<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half FromFloat<__half>(float v) {
  return __float2half_rn(v);
}

// The launch's float pointers as the storage type.
template <typename T>
__host__ __device__ __forceinline__ const T* As(const float* p) {
  return reinterpret_cast<const T*>(p);
}
template <typename T>
__host__ __device__ __forceinline__ T* As(float* p) {
  return reinterpret_cast<T*>(p);
}

// kLanes consecutive values, loaded and stored as one vector (16 bytes for 4 floats, 8 for 4 halves).
template <typename T, int kLanes>
struct alignas(sizeof(T) * kLanes) Lanes {
  T v[kLanes];
};

// Calls fn(T{}) with T = __half when the launch stores fp16, else float.
template <typename Fn>
inline cudaError_t WithStorage(const OpLaunch& launch, Fn&& fn) {
  if (launch.half) return fn(__half{});
  return fn(float{});
}

__device__ __forceinline__ float Activate(float v, model::Activation activation) {
  switch (activation) {
    case model::Activation::kNone:
      return v;
    case model::Activation::kRelu:
      return fmaxf(v, 0.0f);
    case model::Activation::kReluN1To1:
      return fminf(fmaxf(v, -1.0f), 1.0f);
    case model::Activation::kRelu6:
      return fminf(fmaxf(v, 0.0f), 6.0f);
  }
  return v;
}

// Where a grid-stride index over [batch, out_h, out_w, groups] points (groups
// of `lanes` channels, fastest, so that neighbouring threads read neighbouring
// channels): batch n, row y, column x and the group's first channel c.
struct OutputPixel {
  int n, y, x, c;
};
__device__ __forceinline__ OutputPixel OutputPixelOf(int index, int groups, int lanes, int out_w, int out_h) {
  OutputPixel p;
  p.c = index % groups * lanes;
  int rest = index / groups;
  p.x = rest % out_w;
  rest /= out_w;
  p.y = rest % out_h;
  p.n = rest / out_h;
  return p;
}

// The first of the pooled input's 2x2 window for output `index` (Epilogue::pooled_input), at
// `channel`; the window's other values are pooled_channels and a row (2 * out_w * pooled_channels) on.
template <typename T>
__device__ __forceinline__ const T* PooledWindow(const Epilogue& epilogue, int index, int channel) {
  int pixel = index / epilogue.out_c;
  const int x = pixel % epilogue.out_w;
  pixel /= epilogue.out_w;
  const int y = pixel % epilogue.out_h;
  const int n = pixel / epilogue.out_h;
  return As<T>(epilogue.pooled_input) +
         ((static_cast<int64_t>(n) * 2 * epilogue.out_h + 2 * y) * 2 * epilogue.out_w + 2 * x) *
             epilogue.pooled_channels +
         channel;
}

// The folded MAX_POOL and PAD's value at output `index`, channel `channel` (Epilogue::pooled_input).
template <typename T>
__device__ __forceinline__ float PooledResidual(const Epilogue& epilogue, int index, int channel) {
  if (channel >= epilogue.pooled_channels) return 0.0f;
  const T* window = PooledWindow<T>(epilogue, index, channel);
  const int64_t right = epilogue.pooled_channels, below = 2 * static_cast<int64_t>(epilogue.out_w) * right;
  return fmaxf(fmaxf(ToFloat(window[0]), ToFloat(window[right])),
               fmaxf(ToFloat(window[below]), ToFloat(window[below + right])));
}

// Folded ADD / PRELU nodes (see Epilogue in ops.h) on the value at `index`,
// whose position along the last axis is `channel`.
template <typename T = float>
__device__ __forceinline__ float ApplyEpilogue(const Epilogue& epilogue, float v, int index, int channel) {
  if (epilogue.residual != nullptr) {
    v = Activate(v + ToFloat(As<T>(epilogue.residual)[index]), epilogue.residual_activation);
  } else if (epilogue.pooled_input != nullptr) {
    v = Activate(v + PooledResidual<T>(epilogue, index, channel), epilogue.residual_activation);
  }
  if (epilogue.prelu_alpha != nullptr && v < 0.0f) v *= ToFloat(As<T>(epilogue.prelu_alpha)[channel]);
  return v;
}

// The NHWC geometry of a convolution or pooling node, passed to kernels by value.
struct WindowGeometry {
  int batch, in_h, in_w, in_c;
  int out_h, out_w, out_c;
  int filter_h, filter_w;
  int stride_h, stride_w;
  int dilation_h, dilation_w;
  int pad_top, pad_left;
};

// The filter size comes from the filter tensor (convolutions) or the node's
// attributes (pooling, which has no dilation: pass 1).
inline WindowGeometry MakeWindowGeometry(const OpLaunch& launch, int filter_h, int filter_w, int dilation_h,
                                         int dilation_w) {
  const auto& in = launch.input_tensor(0).shape;
  const auto& out = launch.output_tensor().shape;
  const model::NodeParams& p = launch.node.params;
  WindowGeometry g{};
  g.batch = in[0];
  g.in_h = in[1];
  g.in_w = in[2];
  g.in_c = in[3];
  g.out_h = out[1];
  g.out_w = out[2];
  g.out_c = out[3];
  g.filter_h = filter_h;
  g.filter_w = filter_w;
  g.stride_h = p.stride_h;
  g.stride_w = p.stride_w;
  g.dilation_h = dilation_h;
  g.dilation_w = dilation_w;
  g.pad_top = PaddingBefore(g.in_h, g.out_h, filter_h, p.stride_h, dilation_h, p.padding);
  g.pad_left = PaddingBefore(g.in_w, g.out_w, filter_w, p.stride_w, dilation_w, p.padding);
  return g;
}

// Calls tap(iy, ix, ky, kx) for each filter tap of output pixel (oy, ox) whose
// input pixel (iy, ix) lies inside the input: as in TFLite, padding taps add nothing.
template <typename Tap>
__device__ __forceinline__ void ForEachTapInside(const WindowGeometry& g, int oy, int ox, Tap&& tap) {
  for (int ky = 0; ky < g.filter_h; ++ky) {
    const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
    if (iy < 0 || iy >= g.in_h) continue;
    for (int kx = 0; kx < g.filter_w; ++kx) {
      const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
      if (ix < 0 || ix >= g.in_w) continue;
      tap(iy, ix, ky, kx);
    }
  }
}

}  // namespace handtrack::backend::cuda
