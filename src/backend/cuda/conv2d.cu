#include <algorithm>

#include "backend/cuda/gemm.h"
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// A 1x1 filter at stride 1 reads exactly one input pixel per output pixel (no
// padding either way), so the convolution is a matrix product of the
// [pixels, in_c] input and the [out_c, in_c] filter.
bool IsPointwise(const model::Graph& graph, const model::Node& node) {
  const auto& filter = graph.tensors[node.inputs[1]].shape;
  return filter[1] == 1 && filter[2] == 1 && node.params.stride_h == 1 && node.params.stride_w == 1;
}

GemmShape PointwiseShape(const model::Graph& graph, const model::Node& node) {
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& filter = graph.tensors[node.inputs[1]].shape;
  return {in[0] * in[1] * in[2], filter[0], filter[3]};
}

// One thread per output element, output channels fastest: a warp shares its
// input pixels and reads the filters from cache.
// out[n, oy, ox, oc] = bias[oc] + sum over (ky, kx, ic) of in[n, iy, ix, ic] * filter[oc, ky, kx, ic]
template <typename T>
__global__ void Conv2DKernel(WindowGeometry g, const T* __restrict__ in, const T* __restrict__ filter,
                             const T* __restrict__ bias, T* __restrict__ out, model::Activation activation,
                             Epilogue epilogue) {
  const int count = g.batch * g.out_h * g.out_w * g.out_c;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, g.out_c, 1, g.out_w, g.out_h);
    const int oc = position.c, ox = position.x, oy = position.y, n = position.n;
    float acc = bias != nullptr ? ToFloat(bias[oc]) : 0.0f;
    ForEachTapInside(g, oy, ox, [&](int iy, int ix, int ky, int kx) {
      const T* pixel = in + ((static_cast<size_t>(n) * g.in_h + iy) * g.in_w + ix) * g.in_c;
      const T* weights = filter + ((static_cast<size_t>(oc) * g.filter_h + ky) * g.filter_w + kx) * g.in_c;
      for (int ic = 0; ic < g.in_c; ++ic) acc = fmaf(ToFloat(pixel[ic]), ToFloat(weights[ic]), acc);
    });
    out[i] = FromFloat<T>(ApplyEpilogue<T>(epilogue, Activate(acc, activation), i, oc));
  }
}

// Output channels per thread of the tiled kernel below.
constexpr int kConvChannels = 8;
// Shared memory for its filter (float): 48 KB, the static limit.
constexpr int kConvMaxFilterFloats = 12 * 1024;

// The same convolution for filters that fit in shared memory and out_c a
// multiple of 8 (the models' first layer: 3x3 or 5x5 over 3 channels). The
// generic kernel re-reads every input value once per output channel; here a
// thread computes 8 channels of one pixel, reading each input value once and
// the filter, transposed to [ky][kx][ic][oc], from shared memory (threads of
// one channel group read the same address: a broadcast).
template <typename T>
__global__ void Conv2DChannelTileKernel(WindowGeometry g, const T* __restrict__ in,
                                        const T* __restrict__ filter, const T* __restrict__ bias,
                                        T* __restrict__ out, model::Activation activation,
                                        Epilogue epilogue) {
  extern __shared__ float4 shared_filter4[];
  float* shared_filter = reinterpret_cast<float*>(shared_filter4);
  const int taps = g.filter_h * g.filter_w * g.in_c;
  for (int i = threadIdx.x; i < taps * g.out_c; i += blockDim.x) {
    const int oc = i % g.out_c, tap = i / g.out_c;
    shared_filter[i] = ToFloat(filter[oc * taps + tap]);
  }
  __syncthreads();
  const int groups = g.out_c / kConvChannels;
  const int count = g.batch * g.out_h * g.out_w * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, groups, kConvChannels, g.out_w, g.out_h);
    const int oc = position.c, ox = position.x, oy = position.y, n = position.n;
    float acc[kConvChannels];
#pragma unroll
    for (int j = 0; j < kConvChannels; ++j) acc[j] = bias != nullptr ? ToFloat(bias[oc + j]) : 0.0f;
    ForEachTapInside(g, oy, ox, [&](int iy, int ix, int ky, int kx) {
      const T* pixel = in + ((n * g.in_h + iy) * g.in_w + ix) * g.in_c;
      const float* weights = shared_filter + ((ky * g.filter_w + kx) * g.in_c) * g.out_c + oc;
      for (int ic = 0; ic < g.in_c; ++ic) {
        const float x = ToFloat(pixel[ic]);
        const float4 low = *reinterpret_cast<const float4*>(weights + ic * g.out_c);
        const float4 high = *reinterpret_cast<const float4*>(weights + ic * g.out_c + 4);
        const float w[kConvChannels] = {low.x, low.y, low.z, low.w, high.x, high.y, high.z, high.w};
#pragma unroll
        for (int j = 0; j < kConvChannels; ++j) acc[j] = fmaf(x, w[j], acc[j]);
      }
    });
    const int index = (((n * g.out_h + oy) * g.out_w + ox) * g.out_c) + oc;
    Lanes<T, kConvChannels> result;
#pragma unroll
    for (int j = 0; j < kConvChannels; ++j) {
      result.v[j] = FromFloat<T>(ApplyEpilogue<T>(epilogue, Activate(acc[j], activation), index + j, oc + j));
    }
    *reinterpret_cast<Lanes<T, kConvChannels>*>(out + index) = result;
  }
}

// Output pixels along x per thread of the strip kernel below.
constexpr int kStripPixels = 4;

// The models' first layers at large batch ([n, 192, 192, 3] -> 32 channels,
// 5x5 stride 2; [n, 224, 224, 3] -> 24 channels, 3x3 stride 2): the channel
// tile kernel above at compile-time filter size, input channels and stride,
// with every tap unrolled, and each thread computing kStripPixels adjacent
// output pixels x 8 channels. Its pixels' windows overlap along x, so a thread
// loads each input row's strip of (kStripPixels - 1) * kStride + kFilter
// pixels once into registers, and each pair of float4 filter loads from
// shared memory feeds kStripPixels x 8 FMAs instead of 8 (the loads, not the
// FMAs, bounded the channel tile kernel). Columns outside the image load as
// zero (an FMA adding 0 x w leaves the sum as the skipped tap would); rows
// outside are skipped. Sums run in the generic kernels' order (bias, then ky,
// kx, ic). Threads of one strip's channel groups are adjacent, so a warp's
// stores cover whole 64-byte pixel rows.
// Alignment: out_c and oc are multiples of 8, so the filter's float4 pairs
// in shared memory and the 8-value output store sit at multiples of 8 values
// (the arena is 256-byte aligned); inputs are read one value at a time.
//
// At small batches (too few strips to fill the GPU) the same kernel runs with
// one pixel per thread (kPixels = 1) instead of the channel tile kernel, whose
// taps loop at run time with a load, then its multiply-adds, one tap after the
// other: here every load of a filter row is issued before its first
// multiply-add, so a thread waits for memory once per filter row, not per tap.
template <typename T, int kFilter, int kInC, int kStride, int kPixels = kStripPixels>
__global__ void __launch_bounds__(kThreadsPerBlock)
    Conv2DStripKernel(WindowGeometry g, const T* __restrict__ in, const T* __restrict__ filter,
                      const T* __restrict__ bias, T* __restrict__ out, model::Activation activation,
                      Epilogue epilogue) {
  extern __shared__ float4 shared_filter4[];
  float* shared_filter = reinterpret_cast<float*>(shared_filter4);
  constexpr int kTaps = kFilter * kFilter * kInC;
  constexpr int kStripInputs = (kPixels - 1) * kStride + kFilter;
  for (int i = threadIdx.x; i < kTaps * g.out_c; i += blockDim.x) {
    const int oc = i % g.out_c, tap = i / g.out_c;
    shared_filter[i] = ToFloat(filter[oc * kTaps + tap]);
  }
  __syncthreads();
  const int groups = g.out_c / kConvChannels;
  const int strips_per_row = (g.out_w + kPixels - 1) / kPixels;
  const int count = g.batch * g.out_h * strips_per_row * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int oc = i % groups * kConvChannels;
    int rest = i / groups;
    const int ox0 = rest % strips_per_row * kPixels;
    rest /= strips_per_row;
    const int oy = rest % g.out_h;
    const int n = rest / g.out_h;
    float acc[kPixels][kConvChannels];
#pragma unroll
    for (int j = 0; j < kConvChannels; ++j) {
      const float b = bias != nullptr ? ToFloat(bias[oc + j]) : 0.0f;
#pragma unroll
      for (int p = 0; p < kPixels; ++p) acc[p][j] = b;
    }
    const int ix0 = ox0 * kStride - g.pad_left;
    const int iy0 = oy * kStride - g.pad_top;
#pragma unroll
    for (int ky = 0; ky < kFilter; ++ky) {
      const int iy = iy0 + ky;
      if (iy < 0 || iy >= g.in_h) continue;
      const T* row = in + (n * g.in_h + iy) * g.in_w * kInC;
      float strip[kStripInputs * kInC];
#pragma unroll
      for (int s = 0; s < kStripInputs; ++s) {
        const int ix = ix0 + s;
        const bool inside = ix >= 0 && ix < g.in_w;
#pragma unroll
        for (int ic = 0; ic < kInC; ++ic) strip[s * kInC + ic] = inside ? ToFloat(row[ix * kInC + ic]) : 0.0f;
      }
#pragma unroll
      for (int kx = 0; kx < kFilter; ++kx) {
#pragma unroll
        for (int ic = 0; ic < kInC; ++ic) {
          const float* weights = shared_filter + ((ky * kFilter + kx) * kInC + ic) * g.out_c + oc;
          const float4 w0 = *reinterpret_cast<const float4*>(weights);
          const float4 w1 = *reinterpret_cast<const float4*>(weights + 4);
#pragma unroll
          for (int p = 0; p < kPixels; ++p) {
            const float x = strip[(p * kStride + kx) * kInC + ic];
            acc[p][0] = fmaf(x, w0.x, acc[p][0]);
            acc[p][1] = fmaf(x, w0.y, acc[p][1]);
            acc[p][2] = fmaf(x, w0.z, acc[p][2]);
            acc[p][3] = fmaf(x, w0.w, acc[p][3]);
            acc[p][4] = fmaf(x, w1.x, acc[p][4]);
            acc[p][5] = fmaf(x, w1.y, acc[p][5]);
            acc[p][6] = fmaf(x, w1.z, acc[p][6]);
            acc[p][7] = fmaf(x, w1.w, acc[p][7]);
          }
        }
      }
    }
#pragma unroll
    for (int p = 0; p < kPixels; ++p) {
      const int ox = ox0 + p;
      if (ox >= g.out_w) break;  // the last strip of a row whose width is not a multiple of kPixels
      const int index = ((n * g.out_h + oy) * g.out_w + ox) * g.out_c + oc;
      Lanes<T, kConvChannels> result;
#pragma unroll
      for (int j = 0; j < kConvChannels; ++j) {
        result.v[j] =
            FromFloat<T>(ApplyEpilogue<T>(epilogue, Activate(acc[p][j], activation), index + j, oc + j));
      }
      *reinterpret_cast<Lanes<T, kConvChannels>*>(out + index) = result;
    }
  }
}

// The strip kernel's instantiations: 3 input channels, stride 2, dilation 1,
// 3x3 or 5x5 (the models' first layers); nullptr for other shapes.
template <typename T, int kPixels = kStripPixels>
auto StripKernelFor(const WindowGeometry& g) -> decltype(&Conv2DStripKernel<T, 3, 3, 2, kPixels>) {
  if (g.in_c != 3 || g.stride_h != 2 || g.stride_w != 2 || g.dilation_h != 1 || g.dilation_w != 1 ||
      g.filter_h != g.filter_w) {
    return nullptr;
  }
  if (g.filter_h == 3) return &Conv2DStripKernel<T, 3, 3, 2, kPixels>;
  if (g.filter_h == 5) return &Conv2DStripKernel<T, 5, 3, 2, kPixels>;
  return nullptr;
}

}  // namespace

int64_t Conv2DScratchBytes(const model::Graph& graph, const model::Node& node, const DeviceInfo& device) {
  return IsPointwise(graph, node) ? GemmScratchBytes(PointwiseShape(graph, node), device) : 0;
}

cudaError_t EnqueueConv2D(const OpLaunch& launch) {
  const float* bias = launch.inputs.size() > 2 ? launch.inputs[2] : nullptr;
  if (IsPointwise(launch.graph, launch.node)) {
    return EnqueueGemm(
        PointwiseShape(launch.graph, launch.node),
        {launch.inputs[0], launch.inputs[1], bias, launch.output, launch.node.params.activation}, launch);
  }
  const auto& filter = launch.input_tensor(1).shape;
  const WindowGeometry g = MakeWindowGeometry(launch, filter[1], filter[2], launch.node.params.dilation_h,
                                              launch.node.params.dilation_w);
  const int count = static_cast<int>(launch.output_tensor().num_elements());
  const int64_t filter_floats = static_cast<int64_t>(filter[0]) * filter[1] * filter[2] * filter[3];
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    if (g.out_c % kConvChannels == 0 && filter_floats <= kConvMaxFilterFloats) {
      // The strip kernel has a quarter of the threads; it is taken when those
      // still fill the GPU (about 2 blocks per SM), i.e. at large batch, so
      // that small batches keep the channel tile kernel's parallelism.
      const int64_t strip_threads = static_cast<int64_t>(g.batch) * g.out_h *
                                    ((g.out_w + kStripPixels - 1) / kStripPixels) * (g.out_c / kConvChannels);
      const auto strip_kernel = StripKernelFor<T>(g);
      if (strip_kernel != nullptr && strip_threads >= int64_t{512} * launch.device.multiprocessors) {
        const unsigned blocks =
            std::min(BlocksFor(strip_threads), 8u * static_cast<unsigned>(launch.device.multiprocessors));
        strip_kernel<<<blocks, kThreadsPerBlock, filter_floats * sizeof(float), launch.stream>>>(
            g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
            launch.node.params.activation, launch.epilogue);
        return cudaGetLastError();
      }
      // Each block stages the whole filter: enough pixels per block to pay for it.
      const unsigned blocks = std::min(BlocksFor(count / kConvChannels),
                                       8u * static_cast<unsigned>(launch.device.multiprocessors));
      if (const auto pixel_kernel = StripKernelFor<T, 1>(g);
          pixel_kernel != nullptr && launch.device.unrolled_taps) {
        pixel_kernel<<<blocks, kThreadsPerBlock, filter_floats * sizeof(float), launch.stream>>>(
            g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
            launch.node.params.activation, launch.epilogue);
        return cudaGetLastError();
      }
      Conv2DChannelTileKernel<T><<<blocks, kThreadsPerBlock, filter_floats * sizeof(float), launch.stream>>>(
          g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
          launch.node.params.activation, launch.epilogue);
      return cudaGetLastError();
    }
    Conv2DKernel<T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
        g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
        launch.node.params.activation, launch.epilogue);
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
