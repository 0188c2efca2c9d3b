#include <algorithm>

#include "backend/cuda/gemm.h"
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

constexpr int kTileM = 64;
constexpr int kTileN = 64;
constexpr int kTileK = 16;
constexpr int kGemmThreads = 256;  // 16 x 16 threads, 4 x 4 outputs each
constexpr int kMaxSplits = 32;

struct GemmPlan {
  int tiles_n = 1;
  int tiles_m = 1;
  int splits = 1;
  int k_per_split = 0;  // a multiple of kTileK
};

int CeilDiv(int a, int b) { return (a + b - 1) / b; }

// Enough blocks for about two per multiprocessor, when K is long enough.
GemmPlan PlanGemm(const GemmShape& shape, const DeviceInfo& device) {
  GemmPlan plan;
  plan.tiles_n = CeilDiv(shape.n, kTileN);
  plan.tiles_m = CeilDiv(shape.m, kTileM);
  const KSplit split = SplitOverK(plan.tiles_n * plan.tiles_m, shape.k, kTileK, device);
  plan.splits = split.splits;
  plan.k_per_split = split.k_per_split;
  return plan;
}

// Loads 4 consecutive k of one row: one 16-byte load when K is a multiple of
// 4 (then k_end is too, and so all 4 are in range or none), else one by one.
template <bool kVectorLoads, typename T>
__device__ __forceinline__ float4 LoadFour(const T* __restrict__ matrix, int row, int rows, int k, int kk,
                                           int k_end) {
  float4 v = make_float4(0.0f, 0.0f, 0.0f, 0.0f);
  if (row >= rows) return v;
  const T* p = matrix + static_cast<size_t>(row) * k + kk;
  if (kVectorLoads) {
    if (kk < k_end) {
      const Lanes<T, 4> four = *reinterpret_cast<const Lanes<T, 4>*>(p);
      v = make_float4(ToFloat(four.v[0]), ToFloat(four.v[1]), ToFloat(four.v[2]), ToFloat(four.v[3]));
    }
  } else {
    if (kk < k_end) v.x = ToFloat(p[0]);
    if (kk + 1 < k_end) v.y = ToFloat(p[1]);
    if (kk + 2 < k_end) v.z = ToFloat(p[2]);
    if (kk + 3 < k_end) v.w = ToFloat(p[3]);
  }
  return v;
}

// Block (x, y, z) computes output tile (y, x) over K range z; with
// `partials` it writes its raw sums to partials[z], else finished outputs.
template <bool kVectorLoads, typename T>
__global__ void __launch_bounds__(kGemmThreads)
    GemmKernel(GemmShape shape, int k_per_split, GemmOperands operands, Epilogue epilogue, float* partials) {
  const T* a = As<T>(operands.a);
  const T* b = As<T>(operands.b);
  const T* bias = As<T>(operands.bias);
  T* out = As<T>(operands.out);
  // Tiles are stored K-major so that the inner loop reads a row of each with
  // consecutive threads; +4 spreads the transposing stores over the banks.
  __shared__ float a_tile[kTileK][kTileM + 4];
  __shared__ float b_tile[kTileK][kTileN + 4];
  const int m = shape.m, n = shape.n, k = shape.k;
  const int tid = threadIdx.x;
  const int tx = tid % 16, ty = tid / 16;
  const int m0 = blockIdx.y * kTileM, n0 = blockIdx.x * kTileN;
  const int k_begin = blockIdx.z * k_per_split;
  const int k_end = min(k, k_begin + k_per_split);
  // Each thread loads 4 consecutive k of one row of each tile.
  const int load_row = tid / 4, load_k = (tid % 4) * 4;

  float acc[4][4] = {};
  for (int k0 = k_begin; k0 < k_end; k0 += kTileK) {
    const float4 a4 = LoadFour<kVectorLoads>(a, m0 + load_row, m, k, k0 + load_k, k_end);
    const float4 b4 = LoadFour<kVectorLoads>(b, n0 + load_row, n, k, k0 + load_k, k_end);
    a_tile[load_k + 0][load_row] = a4.x;
    a_tile[load_k + 1][load_row] = a4.y;
    a_tile[load_k + 2][load_row] = a4.z;
    a_tile[load_k + 3][load_row] = a4.w;
    b_tile[load_k + 0][load_row] = b4.x;
    b_tile[load_k + 1][load_row] = b4.y;
    b_tile[load_k + 2][load_row] = b4.z;
    b_tile[load_k + 3][load_row] = b4.w;
    __syncthreads();
#pragma unroll
    for (int kk = 0; kk < kTileK; ++kk) {
      float a_values[4], b_values[4];
#pragma unroll
      for (int i = 0; i < 4; ++i) a_values[i] = a_tile[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < 4; ++j) b_values[j] = b_tile[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < 4; ++i) {
#pragma unroll
        for (int j = 0; j < 4; ++j) acc[i][j] = fmaf(a_values[i], b_values[j], acc[i][j]);
      }
    }
    __syncthreads();
  }

#pragma unroll
  for (int i = 0; i < 4; ++i) {
    const int row = m0 + ty + 16 * i;
    if (row >= m) continue;
#pragma unroll
    for (int j = 0; j < 4; ++j) {
      const int col = n0 + tx + 16 * j;
      if (col >= n) continue;
      const int index = row * n + col;
      if (partials != nullptr) {
        partials[blockIdx.z * m * n + index] = acc[i][j];
      } else {
        const float v =
            Activate(acc[i][j] + (bias != nullptr ? ToFloat(bias[col]) : 0.0f), operands.activation);
        out[index] = FromFloat<T>(ApplyEpilogue<T>(epilogue, v, index, col));
      }
    }
  }
}

// Sums the splits in order, then bias, activation and epilogue.
template <typename T>
__global__ void SplitKReduceKernel(GemmShape shape, int splits, const float* __restrict__ partials,
                                   GemmOperands operands, Epilogue epilogue) {
  const T* bias = As<T>(operands.bias);
  T* out = As<T>(operands.out);
  const int total = shape.m * shape.n;
  for (int index = blockIdx.x * blockDim.x + threadIdx.x; index < total; index += gridDim.x * blockDim.x) {
    float sum = 0.0f;
    for (int split = 0; split < splits; ++split) sum += partials[split * total + index];
    const int col = index % shape.n;
    const float v = Activate(sum + (bias != nullptr ? ToFloat(bias[col]) : 0.0f), operands.activation);
    out[index] = FromFloat<T>(ApplyEpilogue<T>(epilogue, v, index, col));
  }
}

// Products of few rows (the landmark model's four fully connected heads: 1 x 1152 times
// 1152 x 63 at batch 1) fill a 64-row tile with one useful row and need a long K split into
// many partials to occupy the GPU, then a second launch to add them. Here one warp computes one
// output: its lanes stride over K (4 values per load when K is a multiple of 4), a shuffle tree
// adds the lanes' sums, and lane 0 applies bias, activation and epilogue. One launch, and a
// chain of K / 128 steps per lane.
constexpr int kWarpProductMaxRows = 16;

template <bool kVectorLoads, typename T>
__global__ void __launch_bounds__(kThreadsPerBlock)
    WarpProductKernel(GemmShape shape, GemmOperands operands, Epilogue epilogue) {
  const T* a = As<T>(operands.a);
  const T* b = As<T>(operands.b);
  const T* bias = As<T>(operands.bias);
  T* out = As<T>(operands.out);
  const int lane = threadIdx.x % 32;
  const int warps = gridDim.x * (blockDim.x / 32);
  const int total = shape.m * shape.n;
  for (int index = blockIdx.x * (blockDim.x / 32) + threadIdx.x / 32; index < total; index += warps) {
    const int row = index / shape.n, col = index % shape.n;
    const T* a_row = a + static_cast<size_t>(row) * shape.k;
    const T* b_row = b + static_cast<size_t>(col) * shape.k;
    float sum = 0.0f;
    if (kVectorLoads) {
      for (int k = lane * 4; k < shape.k; k += 32 * 4) {
        const Lanes<T, 4> x = *reinterpret_cast<const Lanes<T, 4>*>(a_row + k);
        const Lanes<T, 4> w = *reinterpret_cast<const Lanes<T, 4>*>(b_row + k);
#pragma unroll
        for (int i = 0; i < 4; ++i) sum = fmaf(ToFloat(x.v[i]), ToFloat(w.v[i]), sum);
      }
    } else {
      for (int k = lane; k < shape.k; k += 32) sum = fmaf(ToFloat(a_row[k]), ToFloat(b_row[k]), sum);
    }
#pragma unroll
    for (int offset = 16; offset > 0; offset /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, offset);
    if (lane == 0) {
      const float v = Activate(sum + (bias != nullptr ? ToFloat(bias[col]) : 0.0f), operands.activation);
      out[index] = FromFloat<T>(ApplyEpilogue<T>(epilogue, v, index, col));
    }
  }
}

bool UsesWarpProducts(const GemmShape& shape, const DeviceInfo& device) {
  return device.warp_products && shape.m <= kWarpProductMaxRows;
}

cudaError_t EnqueueWarpProduct(const GemmShape& shape, const GemmOperands& operands, const OpLaunch& launch) {
  const unsigned blocks = BlocksFor(static_cast<int64_t>(shape.m) * shape.n * 32);  // a warp per output
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    // 16-byte (fp16: 8-byte) loads: row starts are aligned when K is a multiple of 4.
    if (shape.k % 4 == 0) {
      WarpProductKernel<true, T>
          <<<blocks, kThreadsPerBlock, 0, launch.stream>>>(shape, operands, launch.epilogue);
    } else {
      WarpProductKernel<false, T>
          <<<blocks, kThreadsPerBlock, 0, launch.stream>>>(shape, operands, launch.epilogue);
    }
    return cudaGetLastError();
  });
}

}  // namespace

KSplit SplitOverK(int tiles, int k, int step_k, const DeviceInfo& device) {
  const int k_steps = CeilDiv(k, step_k);
  const int wanted_blocks = device.split_blocks_per_multiprocessor * device.multiprocessors;
  int splits = 1;
  if (tiles < wanted_blocks) {
    // Each split covers at least DeviceInfo::split_min_k values of K, so that the partial sums
    // are worth their trip through memory and the second launch.
    const int min_steps_per_split = std::max(1, device.split_min_k / step_k);
    splits = std::clamp(std::min(wanted_blocks / tiles, k_steps / min_steps_per_split), 1, kMaxSplits);
  }
  KSplit split;
  split.k_per_split = CeilDiv(k_steps, splits) * step_k;
  split.splits = CeilDiv(k, split.k_per_split);
  return split;
}

int64_t GemmScratchBytes(const GemmShape& shape, const DeviceInfo& device) {
  if (UsesWarpProducts(shape, device)) return 0;
  const GemmPlan plan = PlanGemm(shape, device);
  const int64_t cuda_core_bytes = plan.splits == 1 ? 0
                                                   : static_cast<int64_t>(plan.splits) * shape.m * shape.n *
                                                         static_cast<int64_t>(sizeof(float));
  // The precision is not known here: enough for whichever kernel EnqueueGemm picks.
  return std::max(cuda_core_bytes, TensorCoreGemmScratchBytes(shape, device));
}

cudaError_t EnqueueSplitKReduce(const GemmShape& shape, int splits, const float* partials,
                                const GemmOperands& operands, const OpLaunch& launch) {
  return WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    SplitKReduceKernel<T>
        <<<BlocksFor(static_cast<int64_t>(shape.m) * shape.n), kThreadsPerBlock, 0, launch.stream>>>(
            shape, splits, partials, operands, launch.epilogue);
    return cudaGetLastError();
  });
}

cudaError_t EnqueueGemm(const GemmShape& shape, const GemmOperands& operands, const OpLaunch& launch) {
  if (UsesWarpProducts(shape, launch.device)) return EnqueueWarpProduct(shape, operands, launch);
  if (UsesTensorCores(shape, launch.half, launch.device))
    return EnqueueTensorCoreGemm(shape, operands, launch);
  const GemmPlan plan = PlanGemm(shape, launch.device);
  const dim3 grid(plan.tiles_n, plan.tiles_m, plan.splits);
  float* partials = plan.splits > 1 ? launch.scratch : nullptr;
  // Row starts are 16-byte (fp16: 8-byte) aligned when K is a multiple of 4: the buffers themselves
  // are 256-byte aligned.
  const cudaError_t error = WithStorage(launch, [&](auto zero) {
    using T = decltype(zero);
    if (shape.k % 4 == 0) {
      GemmKernel<true, T><<<grid, kGemmThreads, 0, launch.stream>>>(shape, plan.k_per_split, operands,
                                                                    launch.epilogue, partials);
    } else {
      GemmKernel<false, T><<<grid, kGemmThreads, 0, launch.stream>>>(shape, plan.k_per_split, operands,
                                                                     launch.epilogue, partials);
    }
    return cudaGetLastError();
  });
  if (error != cudaSuccess || plan.splits == 1) return error;
  return EnqueueSplitKReduce(shape, plan.splits, partials, operands, launch);
}

}  // namespace handtrack::backend::cuda
