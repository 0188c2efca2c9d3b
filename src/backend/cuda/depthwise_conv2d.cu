#include <algorithm>
#include <type_traits>

#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

// fp16 layers may sum each filter row's taps in half precision (DeviceInfo::half_row_sums):
// HFMA2 does two channels' multiply-adds in one instruction on the halves as stored, where
// the float sums need a conversion per value and per weight, and those conversions and
// multiply-adds were most of the depthwise kernels' instructions. Each row's sum (at most
// 5 products, from zero) is then added into the float sums, so rounding in half precision
// never spans more than one filter row. Every kernel below sums in this order (bias, then
// rows top to bottom, each row's taps left to right), so they all give the same bits.

// Four consecutive halves (one thread's channels) as two pairs.
struct alignas(8) HalfQuad {
  __half2 pair[2];
};

// One 8-byte load (as uint2: a struct of two pairs would load as two 4-byte loads).
__device__ __forceinline__ HalfQuad LoadQuad(const __half* p) {
  const uint2 raw = *reinterpret_cast<const uint2*>(p);
  HalfQuad quad;
  memcpy(&quad, &raw, sizeof quad);
  return quad;
}

__device__ __forceinline__ HalfQuad AsQuad(const Lanes<__half, 4>& v) {
  HalfQuad quad;
  memcpy(&quad, &v, sizeof quad);
  return quad;
}

__device__ __forceinline__ HalfQuad ZeroQuad() {
  const __half2 zero = __float2half2_rn(0.0f);
  return HalfQuad{{zero, zero}};
}

__device__ __forceinline__ void MultiplyAdd(HalfQuad& sum, const HalfQuad& x, const HalfQuad& w) {
#pragma unroll
  for (int j = 0; j < 2; ++j) sum.pair[j] = __hfma2(x.pair[j], w.pair[j], sum.pair[j]);
}

// acc[lane] += the row's sum of that lane.
__device__ __forceinline__ void AddRowSum(float (&acc)[4], const HalfQuad& row) {
#pragma unroll
  for (int j = 0; j < 2; ++j) {
    const float2 f = __half22float2(row.pair[j]);
    acc[2 * j] += f.x;
    acc[2 * j + 1] += f.y;
  }
}

// out[n, oy, ox, c * m + k] = bias + sum over (ky, kx) of in[n, iy, ix, c] * filter[0, ky, kx, c * m + k]
//
// One thread per kLanes consecutive output channels of one pixel, channels
// fastest, so that a warp's input and filter reads are consecutive. With
// kLanes = 4 (multiplier 1 and channels a multiple of 4, as in every hand
// model) each read is one 16-byte load and the index arithmetic is shared by
// four outputs.
template <int kLanes, bool kHalfRows, typename T>
__global__ void DepthwiseConv2DKernel(WindowGeometry g, int multiplier, const T* __restrict__ in,
                                      const T* __restrict__ filter, const T* __restrict__ bias,
                                      T* __restrict__ out, model::Activation activation) {
  using Vector = Lanes<T, kLanes>;
  const int groups = g.out_c / kLanes;
  const int count = g.batch * g.out_h * g.out_w * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, groups, kLanes, g.out_w, g.out_h);
    const int oc = position.c, ox = position.x, oy = position.y, n = position.n;
    const int c = oc / multiplier;
    float acc[kLanes];
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane) acc[lane] = bias != nullptr ? ToFloat(bias[oc + lane]) : 0.0f;
    if constexpr (kHalfRows) {
      static_assert(kLanes == 4 && std::is_same_v<T, __half>);
      for (int ky = 0; ky < g.filter_h; ++ky) {
        const int iy = oy * g.stride_h - g.pad_top + ky * g.dilation_h;
        if (iy < 0 || iy >= g.in_h) continue;
        HalfQuad row = ZeroQuad();
        for (int kx = 0; kx < g.filter_w; ++kx) {
          const int ix = ox * g.stride_w - g.pad_left + kx * g.dilation_w;
          if (ix < 0 || ix >= g.in_w) continue;
          MultiplyAdd(row, LoadQuad(in + ((n * g.in_h + iy) * g.in_w + ix) * g.in_c + c),
                      LoadQuad(filter + (ky * g.filter_w + kx) * g.out_c + oc));
        }
        AddRowSum(acc, row);
      }
    } else {
      ForEachTapInside(g, oy, ox, [&](int iy, int ix, int ky, int kx) {
        const Vector x =
            *reinterpret_cast<const Vector*>(in + ((n * g.in_h + iy) * g.in_w + ix) * g.in_c + c);
        const Vector w = *reinterpret_cast<const Vector*>(filter + (ky * g.filter_w + kx) * g.out_c + oc);
#pragma unroll
        for (int lane = 0; lane < kLanes; ++lane)
          acc[lane] = fmaf(ToFloat(x.v[lane]), ToFloat(w.v[lane]), acc[lane]);
      });
    }
    Vector result;
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane) result.v[lane] = FromFloat<T>(Activate(acc[lane], activation));
    *reinterpret_cast<Vector*>(out + i * kLanes) = result;
  }
}

// The generic kernel above walks its taps in a loop whose loads sit behind
// the bounds tests, so a thread has at most a few loads in flight and waits for
// the cache about once per tap: at batch 1 (a few thousand threads, under one
// warp per scheduler) that latency chain is most of a depthwise layer's time.
// For the hand models' shapes (multiplier 1, no dilation, square 3x3 or 5x5
// filters, equal strides 1 or 2, channels a multiple of 4) this kernel knows
// the taps at compile time and loads every tap's input and weights before the
// first multiply-add, from addresses clamped into the image so that no load
// waits for a test; taps outside the image are then left out of the sums. The
// sums are the generic kernel's (bias first, taps in row-major order, the same
// fmaf), so results are bit for bit the same with either kernel.
constexpr int kTapsLanes = 4;

template <int kFilter, int kStride, bool kHalfRows, typename T>
__global__ void __launch_bounds__(kThreadsPerBlock)
    DepthwiseTapsKernel(WindowGeometry g, const T* __restrict__ in, const T* __restrict__ filter,
                        const T* __restrict__ bias, T* __restrict__ out, model::Activation activation) {
  constexpr int kLanes = kTapsLanes;
  using Vector = Lanes<T, kLanes>;
  const int groups = g.out_c / kLanes;
  const int count = g.batch * g.out_h * g.out_w * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const OutputPixel position = OutputPixelOf(i, groups, kLanes, g.out_w, g.out_h);
    const int c = position.c;
    const int iy0 = position.y * kStride - g.pad_top, ix0 = position.x * kStride - g.pad_left;
    bool row_inside[kFilter], col_inside[kFilter];
    int row_offset[kFilter], col_offset[kFilter];
#pragma unroll
    for (int t = 0; t < kFilter; ++t) {
      const int iy = iy0 + t, ix = ix0 + t;
      row_inside[t] = iy >= 0 && iy < g.in_h;
      col_inside[t] = ix >= 0 && ix < g.in_w;
      row_offset[t] = (position.n * g.in_h + min(max(iy, 0), g.in_h - 1)) * g.in_w;
      col_offset[t] = min(max(ix, 0), g.in_w - 1);
    }
    Vector x[kFilter][kFilter], w[kFilter][kFilter];
#pragma unroll
    for (int ky = 0; ky < kFilter; ++ky) {
#pragma unroll
      for (int kx = 0; kx < kFilter; ++kx) {
        x[ky][kx] = *reinterpret_cast<const Vector*>(in + (row_offset[ky] + col_offset[kx]) * g.in_c + c);
        w[ky][kx] = *reinterpret_cast<const Vector*>(filter + (ky * kFilter + kx) * g.out_c + c);
      }
    }
    float acc[kLanes];
    {
      Vector b;
      if (bias != nullptr) b = *reinterpret_cast<const Vector*>(bias + c);
#pragma unroll
      for (int lane = 0; lane < kLanes; ++lane) acc[lane] = bias != nullptr ? ToFloat(b.v[lane]) : 0.0f;
    }
#pragma unroll
    for (int ky = 0; ky < kFilter; ++ky) {
      if constexpr (kHalfRows) {
        if (!row_inside[ky]) continue;
        HalfQuad row = ZeroQuad();
#pragma unroll
        for (int kx = 0; kx < kFilter; ++kx) {
          if (col_inside[kx]) MultiplyAdd(row, AsQuad(x[ky][kx]), AsQuad(w[ky][kx]));
        }
        AddRowSum(acc, row);
      } else {
#pragma unroll
        for (int kx = 0; kx < kFilter; ++kx) {
          if (!row_inside[ky] || !col_inside[kx]) continue;
#pragma unroll
          for (int lane = 0; lane < kLanes; ++lane) {
            acc[lane] = fmaf(ToFloat(x[ky][kx].v[lane]), ToFloat(w[ky][kx].v[lane]), acc[lane]);
          }
        }
      }
    }
    Vector result;
#pragma unroll
    for (int lane = 0; lane < kLanes; ++lane) result.v[lane] = FromFloat<T>(Activate(acc[lane], activation));
    *reinterpret_cast<Vector*>(out + i * kLanes) = result;
  }
}

// The shapes the specialised kernels below and above take (every depthwise layer of the hand
// models): multiplier 1, channels a multiple of `lanes`, no dilation, a square filter, equal
// strides. Which filter sizes and strides have an instantiation is LaunchForFilterAndStride's.
bool SpecialisedShape(const WindowGeometry& g, int multiplier, int lanes) {
  return multiplier == 1 && g.out_c % lanes == 0 && g.dilation_h == 1 && g.dilation_w == 1 &&
         g.filter_h == g.filter_w && g.stride_h == g.stride_w;
}

template <int kValue>
using Constant = std::integral_constant<int, kValue>;

// Launches kernel_for(filter, stride) (a pointer to a specialised kernel's instantiation for
// that 3x3 or 5x5 filter and stride 1 or 2, given as Constant) over `threads` threads in blocks
// of `block_threads`; false, launching nothing, for other filters and strides.
template <typename T, typename KernelFor>
bool LaunchForFilterAndStride(const WindowGeometry& g, const OpLaunch& launch, const float* bias,
                              int64_t threads, int block_threads, KernelFor kernel_for) {
  decltype(kernel_for(Constant<3>{}, Constant<1>{})) kernel = nullptr;
  if (g.filter_h == 3 && g.stride_h == 1) kernel = kernel_for(Constant<3>{}, Constant<1>{});
  if (g.filter_h == 3 && g.stride_h == 2) kernel = kernel_for(Constant<3>{}, Constant<2>{});
  if (g.filter_h == 5 && g.stride_h == 1) kernel = kernel_for(Constant<5>{}, Constant<1>{});
  if (g.filter_h == 5 && g.stride_h == 2) kernel = kernel_for(Constant<5>{}, Constant<2>{});
  if (kernel == nullptr) return false;
  kernel<<<BlocksFor(threads), block_threads, 0, launch.stream>>>(
      g, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
      launch.node.params.activation);
  return true;
}

// kernel_of(std::true_type) (a kernel's instantiation that sums filter rows in halves) for fp16
// layers when DeviceInfo::half_row_sums asks for it, else kernel_of(std::false_type).
template <typename T, typename KernelOf>
auto ForRowSums(const OpLaunch& launch, KernelOf kernel_of) {
  if constexpr (std::is_same_v<T, __half>) {
    if (launch.device.half_row_sums) return kernel_of(std::true_type{});
  }
  return kernel_of(std::false_type{});
}

// Launches the taps kernel when it covers the node and the setting allows it; false otherwise.
template <typename T>
bool LaunchDepthwiseTaps(const WindowGeometry& g, int multiplier, const OpLaunch& launch, const float* bias) {
  if (!launch.device.unrolled_taps || !SpecialisedShape(g, multiplier, kTapsLanes)) return false;
  const int64_t threads = static_cast<int64_t>(g.batch) * g.out_h * g.out_w * (g.out_c / kTapsLanes);
  return LaunchForFilterAndStride<T>(
      g, launch, bias, threads, kThreadsPerBlock, [&launch](auto filter, auto stride) {
        return ForRowSums<T>(launch, [](auto half_rows) {
          return &DepthwiseTapsKernel<decltype(filter)::value, decltype(stride)::value, half_rows, T>;
        });
      });
}

// The common case of the hand models (multiplier 1, no dilation, 3x3 or 5x5,
// stride 1 or 2, channels a multiple of one 16-byte vector) with register
// reuse: each thread computes kCols neighbouring output pixels of one row for
// one vector of channels, so each input row it reads (kSpan vectors) serves
// kCols * kFilter multiply-adds instead of one load per multiply-add. At large
// batches the generic kernel above is bound by these loads.
// Four channels per thread in both precisions (16-byte loads for float, 8 for
// half): eight halves per thread took 117 to 157 registers and measured no
// faster at batch 256 than four, which take about 80.
constexpr int kRowTileLanes = 4;
constexpr int kRowTileThreads = 256;

// The row tiles' step for one input row with half_row_sums: the row's kSpan vectors stay
// halves, and each output's taps along this filter row are summed in halves (HalfQuad) before
// being added into acc. Columns outside the image hold zeros, whose products add nothing.
template <int kFilter, int kStride, int kCols, int kRows, int kSpan>
__device__ __forceinline__ void AddInputRowInHalves(float (&acc)[kRows][kCols][4], const __half* row,
                                                    const __half* __restrict__ filter,
                                                    const WindowGeometry& g, int ix0, int input_row, int c) {
  HalfQuad x[kSpan];
#pragma unroll
  for (int s = 0; s < kSpan; ++s) {
    const int ix = ix0 + s;
    x[s] = ix >= 0 && ix < g.in_w ? LoadQuad(row + ix * g.in_c) : ZeroQuad();
  }
#pragma unroll
  for (int r = 0; r < kRows; ++r) {
    const int ky = input_row - r * kStride;  // the filter row linking this input row to output row r
    if (ky < 0 || ky >= kFilter) continue;
    HalfQuad sums[kCols];
#pragma unroll
    for (int col = 0; col < kCols; ++col) sums[col] = ZeroQuad();
#pragma unroll
    for (int kx = 0; kx < kFilter; ++kx) {
      const HalfQuad w = LoadQuad(filter + (ky * kFilter + kx) * g.out_c + c);
#pragma unroll
      for (int col = 0; col < kCols; ++col) MultiplyAdd(sums[col], x[col * kStride + kx], w);
    }
#pragma unroll
    for (int col = 0; col < kCols; ++col) AddRowSum(acc[r][col], sums[col]);
  }
}

// At stride 1 each thread also covers kRows = 2 output rows: input row r
// feeds output row 0 through filter row r and row 1 through filter row r - 1,
// so 6 input rows serve 2 output rows (a 5x5 filter) instead of 10. (The
// one-row kernel ran at about a third of the memory bandwidth at batch 256;
// reading each input row once per output row it feeds is the suspected cause.)
// Summed in halves (half_row_sums) the stride-2 kernels fit 64 registers, so four blocks per
// multiprocessor instead of three; the stride-1 ones would spill there.
template <int kFilter, int kStride, bool kHalfRows, typename T>
__global__ void __launch_bounds__(kRowTileThreads, kHalfRows&& kStride == 2 ? 4 : 3)
    DepthwiseRowTileKernel(WindowGeometry g, const T* __restrict__ in, const T* __restrict__ filter,
                           const T* __restrict__ bias, T* __restrict__ out, model::Activation activation) {
  constexpr int kLanes = kRowTileLanes;
  constexpr int kCols = 4;
  constexpr int kRows = kStride == 1 ? 2 : 1;
  constexpr int kSpan = (kCols - 1) * kStride + kFilter;
  constexpr int kInputRows = (kRows - 1) * kStride + kFilter;
  using Vector = Lanes<T, kLanes>;
  const int groups = g.out_c / kLanes;
  const int col_tiles = (g.out_w + kCols - 1) / kCols;
  const int row_tiles = (g.out_h + kRows - 1) / kRows;
  const int count = g.batch * row_tiles * col_tiles * groups;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < count; i += gridDim.x * blockDim.x) {
    const int c = i % groups * kLanes;
    int rest = i / groups;
    const int ox0 = rest % col_tiles * kCols;
    rest /= col_tiles;
    const int oy0 = rest % row_tiles * kRows;
    const int n = rest / row_tiles;
    float acc[kRows][kCols][kLanes];
    {
      Vector b;
      if (bias != nullptr) b = *reinterpret_cast<const Vector*>(bias + c);
#pragma unroll
      for (int lane = 0; lane < kLanes; ++lane) {
        const float value = bias != nullptr ? ToFloat(b.v[lane]) : 0.0f;
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
#pragma unroll
          for (int col = 0; col < kCols; ++col) acc[r][col][lane] = value;
        }
      }
    }
    const int ix0 = ox0 * kStride - g.pad_left;
    // One input row at a time: unrolling the rows (more loads in flight per
    // thread) needed more registers, and the lower occupancy measured slower.
#pragma unroll 1
    for (int input_row = 0; input_row < kInputRows; ++input_row) {
      const int iy = oy0 * kStride - g.pad_top + input_row;
      if (iy < 0 || iy >= g.in_h) continue;
      const T* row = in + ((n * g.in_h + iy) * g.in_w) * g.in_c + c;
      if constexpr (kHalfRows) {
        AddInputRowInHalves<kFilter, kStride, kCols, kRows, kSpan>(acc, row, filter, g, ix0, input_row, c);
      } else {
        float x[kSpan][kLanes];
#pragma unroll
        for (int s = 0; s < kSpan; ++s) {
          const int ix = ix0 + s;
          if (ix >= 0 && ix < g.in_w) {
            const Vector v = *reinterpret_cast<const Vector*>(row + ix * g.in_c);
#pragma unroll
            for (int lane = 0; lane < kLanes; ++lane) x[s][lane] = ToFloat(v.v[lane]);
          } else {
#pragma unroll
            for (int lane = 0; lane < kLanes; ++lane) x[s][lane] = 0.0f;
          }
        }
#pragma unroll
        for (int r = 0; r < kRows; ++r) {
          const int ky = input_row - r * kStride;  // the filter row linking this input row to output row r
          if (ky < 0 || ky >= kFilter) continue;
#pragma unroll
          for (int kx = 0; kx < kFilter; ++kx) {
            const Vector wv = *reinterpret_cast<const Vector*>(filter + (ky * kFilter + kx) * g.out_c + c);
#pragma unroll
            for (int lane = 0; lane < kLanes; ++lane) {
              const float w = ToFloat(wv.v[lane]);
#pragma unroll
              for (int col = 0; col < kCols; ++col) {
                acc[r][col][lane] = fmaf(x[col * kStride + kx][lane], w, acc[r][col][lane]);
              }
            }
          }
        }
      }
    }
#pragma unroll
    for (int r = 0; r < kRows; ++r) {
      if (oy0 + r >= g.out_h) break;
      T* pixel = out + ((n * g.out_h + oy0 + r) * g.out_w + ox0) * g.out_c + c;
#pragma unroll
      for (int col = 0; col < kCols; ++col) {
        if (ox0 + col >= g.out_w) break;
        Vector result;
#pragma unroll
        for (int lane = 0; lane < kLanes; ++lane) {
          result.v[lane] = FromFloat<T>(Activate(acc[r][col][lane], activation));
        }
        *reinterpret_cast<Vector*>(pixel + col * g.out_c) = result;
      }
    }
  }
}

// Launches the row-tiled kernel when it covers the node; false otherwise.
template <typename T>
bool LaunchDepthwiseRowTile(const WindowGeometry& g, int multiplier, const OpLaunch& launch,
                            const float* bias) {
  constexpr int kLanes = kRowTileLanes;
  if (!SpecialisedShape(g, multiplier, kLanes)) return false;
  const int64_t threads = static_cast<int64_t>(g.batch) * g.out_h * ((g.out_w + 3) / 4) * (g.out_c / kLanes);
  // Four pixels per thread means a quarter of the threads: at batch 1 that leaves
  // the GPU idle, and the generic kernel's latency is lower; from a few frames on
  // the row tiles' reuse wins (7-12 % of the whole model's GPU time at batch 4-16 on
  // the H100; cuda.small_depthwise_row_tiles "0" keeps them to launches of 1024
  // threads per multiprocessor, as before).
  const int threads_per_multiprocessor = launch.device.small_depthwise_row_tiles ? 128 : 1024;
  if (threads < static_cast<int64_t>(launch.device.multiprocessors) * threads_per_multiprocessor)
    return false;
  return LaunchForFilterAndStride<T>(
      g, launch, bias, threads, kRowTileThreads, [&launch](auto filter, auto stride) {
        return ForRowSums<T>(launch, [](auto half_rows) {
          return &DepthwiseRowTileKernel<decltype(filter)::value, decltype(stride)::value, half_rows, T>;
        });
      });
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
    if (LaunchDepthwiseRowTile<T>(g, multiplier, launch, bias)) return cudaGetLastError();
    if (LaunchDepthwiseTaps<T>(g, multiplier, launch, bias)) return cudaGetLastError();
    if (multiplier == 1 && g.out_c % 4 == 0) {
      const auto kernel =
          ForRowSums<T>(launch, [](auto half_rows) { return &DepthwiseConv2DKernel<4, half_rows, T>; });
      kernel<<<BlocksFor(count / 4), kThreadsPerBlock, 0, launch.stream>>>(
          g, multiplier, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
          launch.node.params.activation);
    } else {
      DepthwiseConv2DKernel<1, false, T><<<BlocksFor(count), kThreadsPerBlock, 0, launch.stream>>>(
          g, multiplier, As<T>(launch.inputs[0]), As<T>(launch.inputs[1]), As<T>(bias), As<T>(launch.output),
          launch.node.params.activation);
    }
    return cudaGetLastError();
  });
}

}  // namespace handtrack::backend::cuda
