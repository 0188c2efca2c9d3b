// The fp16 matrix product on the tensor cores (see gemm.h for the contract).
//
// Why: at large batches the 1x1 convolutions are most of the hand models'
// arithmetic (290 of 331 M multiply-adds per frame in hand_landmark_full), and
// the CUDA-core GEMM tops out far below what the tensor cores give for fp16
// inputs with float accumulation (mma.sync m16n8k16, sm_80 and later).
//
// Layout: a block computes a 128 x kBlockN tile of out with 4 warps, each warp
// 32 rows x kBlockN columns (2 x kBlockN/8 mma tiles). Products with too few
// 128-row tiles to fill the GPU (small batches, the models' late layers) take
// 64-row tiles (16 rows per warp) and, when those are still too few, split K:
// first between up to DeviceInfo::k_groups groups of 4 warps in one block,
// which add their float tiles in shared memory in group order, then, for the
// parts left, over blocks like the CUDA-core GEMM: each block writes float
// partial sums to scratch and SplitKReduceKernel (gemm.cu) sums them in split
// order. Either way the result does not depend on timing. Splitting inside the
// block saves the second kernel (a quarter of the launches at batch 1, where
// each launch costs about what its work does). On the tensor cores a K step of 32 costs a
// few instructions where the CUDA-core GEMM spends 256 multiply-adds per
// thread on a step of 16, so at batch 1 each block's chain of K steps is
// mostly the wait for its loads. K advances 32 at a
// time through a double-buffered shared-memory stage filled by cp.async
// (16-byte chunks; K is a multiple of 8, so a chunk is wholly inside or wholly
// outside the matrix, and chunks outside are zero-filled), fragments are read
// with ldmatrix. Shared rows are 40 halves (80 bytes): 16-byte aligned for
// ldmatrix, and the 8 rows of one 8x8 matrix fall on distinct banks.
//
// The epilogue (bias, activation, folded ADD / PRELU) runs on the float
// accumulators before the single rounding to half, as in the CUDA-core GEMM.
#include <cuda_fp16.h>

#include <algorithm>
#include <cstdlib>
#include <string>
#include <type_traits>

#include "backend/cuda/gemm.h"
#include "backend/cuda/op_util.cuh"

namespace handtrack::backend::cuda {
namespace {

constexpr int kBlockK = 32;
constexpr int kRowHalves = kBlockK + 8;  // shared row pitch, see above

__host__ __device__ constexpr int CeilDiv(int a, int b) { return (a + b - 1) / b; }

// The tile width with the least padding for n (ties: the wider one, fewer
// blocks re-reading a). Multiples of 16, since ldmatrix.x4 reads two n8 tiles.
int ChooseBlockN(int n) {
  if (n <= 16) return 16;
  if (n <= 32) return 32;
  if (n <= 48) return 48;
  if (n <= 64) return 64;
  return CeilDiv(n, 48) * 48 < CeilDiv(n, 64) * 64 ? 48 : 64;
}

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 800
#define HANDTRACK_TENSOR_CORES 1
#else
#define HANDTRACK_TENSOR_CORES 0
#endif

#if HANDTRACK_TENSOR_CORES
__device__ __forceinline__ unsigned SharedAddress(const void* pointer) {
  return static_cast<unsigned>(__cvta_generic_to_shared(pointer));
}
#endif

// 16 bytes global -> shared; src_bytes 0 writes zeros (the address is not read).
__device__ __forceinline__ void CopyChunk(void* shared, const void* global, int src_bytes) {
#if HANDTRACK_TENSOR_CORES
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(SharedAddress(shared)), "l"(global),
               "r"(src_bytes));
#endif
}

__device__ __forceinline__ void CommitCopies() {
#if HANDTRACK_TENSOR_CORES
  asm volatile("cp.async.commit_group;\n" ::);
#endif
}

template <int kPending>
__device__ __forceinline__ void WaitCopies() {
#if HANDTRACK_TENSOR_CORES
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
#endif
}

__device__ __forceinline__ void LoadMatrixX4(unsigned (&r)[4], const __half* shared) {
#if HANDTRACK_TENSOR_CORES
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(SharedAddress(shared)));
#endif
}

// c += a (16x16, row) * b (16x8, col), fp16 in, fp32 accumulate.
__device__ __forceinline__ void MultiplyAccumulate(float (&c)[4], const unsigned (&a)[4], unsigned b0,
                                                   unsigned b1) {
#if HANDTRACK_TENSOR_CORES
  asm volatile(
      "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
      "{%0, %1, %2, %3};\n"
      : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
#endif
}

// Bias, activation and epilogue of output `index` (column `col`), as a float.
__device__ __forceinline__ float Finish(const GemmOperands& operands, const Epilogue& epilogue, int index,
                                        int col, float v) {
  const __half* bias = As<__half>(operands.bias);
  v = Activate(v + (bias != nullptr ? __half2float(bias[col]) : 0.0f), operands.activation);
  return ApplyEpilogue<__half>(epilogue, v, index, col);
}

// One finished output (row, col) from its float sum: bias, activation, epilogue, one half.
__device__ __forceinline__ void StoreOne(const GemmShape& shape, const GemmOperands& operands,
                                         const Epilogue& epilogue, int row, int col, float sum) {
  const int index = row * shape.n + col;
  As<__half>(operands.out)[index] = __float2half_rn(Finish(operands, epilogue, index, col, sum));
}

// Eight neighbouring outputs (row, col..col+7) from the float tile in shared
// memory: bias, activation, epilogue, one 16-byte store. n is a multiple of 8,
// so every row start, col, and the residual's matching address are 16-byte aligned.
__device__ __forceinline__ void StoreEight(const GemmShape& shape, const GemmOperands& operands,
                                           const Epilogue& epilogue, int row, int col, const float* values) {
  using Eight = Lanes<__half, 8>;
  const int index = row * shape.n + col;
  const float4 low = *reinterpret_cast<const float4*>(values);
  const float4 high = *reinterpret_cast<const float4*>(values + 4);
  float v[8] = {low.x, low.y, low.z, low.w, high.x, high.y, high.z, high.w};
  Eight bias, alpha;
  if (operands.bias != nullptr) bias = *reinterpret_cast<const Eight*>(As<__half>(operands.bias) + col);
  // The ADD's operand: a tensor, or the folded MAX_POOL and PAD's value (pooled_channels is a
  // multiple of 8, so the eight channels are all pooled or all padding).
  const bool has_residual = epilogue.residual != nullptr || epilogue.pooled_input != nullptr;
  float residual[8] = {};
  if (epilogue.residual != nullptr) {
    const Eight loaded = *reinterpret_cast<const Eight*>(As<__half>(epilogue.residual) + index);
#pragma unroll
    for (int j = 0; j < 8; ++j) residual[j] = __half2float(loaded.v[j]);
  } else if (epilogue.pooled_input != nullptr && col < epilogue.pooled_channels) {
    const __half* window = PooledWindow<__half>(epilogue, index, col);
    const int64_t right = epilogue.pooled_channels, below = 2 * static_cast<int64_t>(epilogue.out_w) * right;
    const Eight a = *reinterpret_cast<const Eight*>(window),
                b = *reinterpret_cast<const Eight*>(window + right);
    const Eight c = *reinterpret_cast<const Eight*>(window + below);
    const Eight d = *reinterpret_cast<const Eight*>(window + below + right);
#pragma unroll
    for (int j = 0; j < 8; ++j) {
      residual[j] = fmaxf(fmaxf(__half2float(a.v[j]), __half2float(b.v[j])),
                          fmaxf(__half2float(c.v[j]), __half2float(d.v[j])));
    }
  }
  if (epilogue.prelu_alpha != nullptr)
    alpha = *reinterpret_cast<const Eight*>(As<__half>(epilogue.prelu_alpha) + col);
  Eight result;
#pragma unroll
  for (int j = 0; j < 8; ++j) {
    float x =
        Activate(v[j] + (operands.bias != nullptr ? __half2float(bias.v[j]) : 0.0f), operands.activation);
    if (has_residual) x = Activate(x + residual[j], epilogue.residual_activation);
    if (epilogue.prelu_alpha != nullptr && x < 0.0f) x *= __half2float(alpha.v[j]);
    result.v[j] = __float2half_rn(x);
  }
  *reinterpret_cast<Eight*>(As<__half>(operands.out) + index) = result;
}

// A block is kKGroups groups of kGroupWarps warps. Every group computes the
// block's whole output tile over its own share of the block's K range, with
// its own stages in shared memory; the groups' float tiles are then summed in
// group order (so results do not depend on timing).
constexpr int kGroupWarps = 4;
constexpr int kGroupThreads = kGroupWarps * 32;
constexpr int kMaxKGroups = 8;

// Shared memory of one group: its two K stages, and after the last one its
// float output tile (pitch kBlockN + 8: a half-warp's float2 stores fall on
// distinct banks).
__host__ __device__ constexpr int OutPitch(int block_n) { return block_n + 8; }
__host__ __device__ constexpr int GroupSharedBytes(int m_tiles, int block_n) {
  const int block_m = kGroupWarps * 16 * m_tiles;
  const int stage_bytes = 2 * (block_m + block_n) * kRowHalves * static_cast<int>(sizeof(__half));
  const int out_bytes = block_m * OutPitch(block_n) * static_cast<int>(sizeof(float));
  return stage_bytes > out_bytes ? stage_bytes : out_bytes;
}

// Waits for the threads of one group: the groups' K loops run different numbers of steps, so
// they cannot share __syncthreads (barrier 0); group g uses named barrier g + 1.
template <int kKGroups>
__device__ __forceinline__ void GroupBarrier(int group) {
  if constexpr (kKGroups == 1) {
    __syncthreads();
  } else {
    asm volatile("bar.sync %0, %1;\n" ::"r"(group + 1), "n"(kGroupThreads) : "memory");
  }
}

// kMTiles m16 tiles per warp: 2 (128-row blocks) or 1 (64-row blocks).
// Block (x, y): output tile x over the K range y (k_per_split wide, a multiple
// of kBlockK), shared between its kKGroups groups in whole K steps; with
// `partials` it writes its raw float sums to partials[y], else finished
// outputs. Dynamic shared memory: kKGroups * GroupSharedBytes(kMTiles, kBlockN).
template <int kMTiles, int kBlockN, int kKGroups>
__global__ void __launch_bounds__(kKGroups* kGroupThreads)
    TensorCoreGemmKernel(GemmShape shape, int tiles_n, int k_per_split, GemmOperands operands,
                         Epilogue epilogue, float* partials) {
  constexpr int kWarpM = 16 * kMTiles;
  constexpr int kBlockM = kGroupWarps * kWarpM;
  constexpr int kTilesN = kBlockN / 8;  // mma n8 tiles per warp
  constexpr int kOutPitch = OutPitch(kBlockN);
  constexpr int kGroupBytes = GroupSharedBytes(kMTiles, kBlockN);
  extern __shared__ __align__(16) unsigned char block_shared[];
  const int group = kKGroups == 1 ? 0 : static_cast<int>(threadIdx.x) / kGroupThreads;
  unsigned char* shared = block_shared + group * kGroupBytes;
  auto a_tile = reinterpret_cast<__half(*)[kBlockM][kRowHalves]>(shared);
  auto b_tile =
      reinterpret_cast<__half(*)[kBlockN][kRowHalves]>(shared + 2 * kBlockM * kRowHalves * sizeof(__half));
  const __half* a = As<__half>(operands.a);
  const __half* b = As<__half>(operands.b);
  const int m = shape.m, n = shape.n, k = shape.k;
  // Tiles of one block row are neighbours in launch order, so the blocks
  // re-reading a row panel of `a` find it in L2.
  const int m0 = (blockIdx.x / tiles_n) * kBlockM;
  const int n0 = (blockIdx.x % tiles_n) * kBlockN;
  const int tid = static_cast<int>(threadIdx.x) - group * kGroupThreads, lane = tid % 32, warp = tid / 32;
  const int block_k_begin = blockIdx.y * k_per_split;
  const int block_k_end = min(k, block_k_begin + k_per_split);
  const int group_k = CeilDiv(CeilDiv(block_k_end - block_k_begin, kBlockK), kKGroups) * kBlockK;
  const int k_begin = min(block_k_end, block_k_begin + group * group_k);
  const int k_end = min(block_k_end, k_begin + group_k);

  // Rows [row0, row0 + kPanelRows) x columns [k0, k0 + kBlockK) of a [rows x k]
  // matrix into one stage's tile.
  auto load_panel = [&](auto panel_rows, __half(*tile)[kRowHalves], const __half* matrix, int row0, int rows,
                        int k0) {
    constexpr int kPanelRows = decltype(panel_rows)::value;
    constexpr int kChunksPerRow = kBlockK / 8;
#pragma unroll
    for (int i = tid; i < kPanelRows * kChunksPerRow; i += kGroupThreads) {
      const int row = i / kChunksPerRow, kk = (i % kChunksPerRow) * 8;
      const bool inside = row0 + row < rows && k0 + kk < k_end;
      CopyChunk(&tile[row][kk], inside ? matrix + static_cast<size_t>(row0 + row) * k + k0 + kk : matrix,
                inside ? 16 : 0);
    }
  };
  auto load_stage = [&](int stage, int k0) {
    load_panel(std::integral_constant<int, kBlockM>{}, a_tile[stage], a, m0, m, k0);
    load_panel(std::integral_constant<int, kBlockN>{}, b_tile[stage], b, n0, n, k0);
    CommitCopies();
  };

  float acc[kMTiles][kTilesN][4] = {};
  // A group whose share of K is empty (K shorter than the groups) keeps zeros.
  const int k_tiles = CeilDiv(k_end - k_begin, kBlockK);
  if (k_tiles > 0) load_stage(0, k_begin);
  for (int kt = 0; kt < k_tiles; ++kt) {
    const int stage = kt & 1;
    if (kt + 1 < k_tiles) {
      load_stage(stage ^ 1, k_begin + (kt + 1) * kBlockK);
      WaitCopies<1>();
    } else {
      WaitCopies<0>();
    }
    GroupBarrier<kKGroups>(group);
#pragma unroll
    for (int kk = 0; kk < kBlockK; kk += 16) {
      unsigned a_frag[kMTiles][4];
#pragma unroll
      for (int mi = 0; mi < kMTiles; ++mi) {
        LoadMatrixX4(a_frag[mi], &a_tile[stage][warp * kWarpM + mi * 16 + (lane & 15)][kk + (lane >> 4) * 8]);
      }
#pragma unroll
      for (int nj = 0; nj < kTilesN / 2; ++nj) {
        unsigned b_frag[4];
        LoadMatrixX4(b_frag,
                     &b_tile[stage][nj * 16 + (lane & 7) + ((lane >> 4) << 3)][kk + ((lane >> 3) & 1) * 8]);
#pragma unroll
        for (int mi = 0; mi < kMTiles; ++mi) {
          MultiplyAccumulate(acc[mi][2 * nj], a_frag[mi], b_frag[0], b_frag[1]);
          MultiplyAccumulate(acc[mi][2 * nj + 1], a_frag[mi], b_frag[2], b_frag[3]);
        }
      }
    }
    GroupBarrier<kKGroups>(group);  // the next iteration's copies overwrite this stage
  }

  // Accumulator c[0..1] is (row g, cols 2t, 2t+1) of the m16n8 tile, c[2..3] row g + 8.
  const int quad = lane >> 2, pair = (lane & 3) * 2;
  // This group's accumulators into its float tile (its stages are free: its loop ended with a
  // barrier); each warp writes only its own rows.
  auto stage_accumulators = [&] {
    float* out_tile = reinterpret_cast<float*>(shared);
#pragma unroll
    for (int mi = 0; mi < kMTiles; ++mi) {
#pragma unroll
      for (int ni = 0; ni < kTilesN; ++ni) {
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int local_row = warp * kWarpM + mi * 16 + quad + 8 * h;
          *reinterpret_cast<float2*>(out_tile + local_row * kOutPitch + ni * 8 + pair) =
              make_float2(acc[mi][ni][2 * h], acc[mi][ni][2 * h + 1]);
        }
      }
    }
  };
  float* split_partials = partials != nullptr ? partials + static_cast<size_t>(blockIdx.y) * m * n : nullptr;

  if constexpr (kKGroups > 1) {
    // Every group is past its loop before any float tile overwrites another group's stages.
    __syncthreads();
    stage_accumulators();
    __syncthreads();
    // The whole block sums the groups' tiles, in group order, and stores.
    constexpr int kGroupFloats = kGroupBytes / static_cast<int>(sizeof(float));
    const float* tiles = reinterpret_cast<const float*>(block_shared);
    if (split_partials == nullptr && n % 8 == 0) {
      constexpr int kChunks = kBlockN / 8;
      for (int i = threadIdx.x; i < kBlockM * kChunks; i += kKGroups * kGroupThreads) {
        const int local_row = i / kChunks, chunk = i % kChunks;
        const int row = m0 + local_row, col = n0 + chunk * 8;
        if (row >= m || col >= n) continue;
        const float* first = tiles + local_row * kOutPitch + chunk * 8;
        float4 low = *reinterpret_cast<const float4*>(first);
        float4 high = *reinterpret_cast<const float4*>(first + 4);
#pragma unroll
        for (int g = 1; g < kKGroups; ++g) {
          const float4 more_low = *reinterpret_cast<const float4*>(first + g * kGroupFloats);
          const float4 more_high = *reinterpret_cast<const float4*>(first + g * kGroupFloats + 4);
          low = make_float4(low.x + more_low.x, low.y + more_low.y, low.z + more_low.z, low.w + more_low.w);
          high = make_float4(high.x + more_high.x, high.y + more_high.y, high.z + more_high.z,
                             high.w + more_high.w);
        }
        alignas(16) float sums[8] = {low.x, low.y, low.z, low.w, high.x, high.y, high.z, high.w};
        StoreEight(shape, operands, epilogue, row, col, sums);
      }
      return;
    }
    for (int i = threadIdx.x; i < kBlockM * kBlockN; i += kKGroups * kGroupThreads) {
      const int local_row = i / kBlockN, local_col = i % kBlockN;
      const int row = m0 + local_row, col = n0 + local_col;
      if (row >= m || col >= n) continue;
      const float* first = tiles + local_row * kOutPitch + local_col;
      float sum = first[0];
#pragma unroll
      for (int g = 1; g < kKGroups; ++g) sum += first[g * kGroupFloats];
      if (split_partials != nullptr) {
        split_partials[row * n + col] = sum;
      } else {
        StoreOne(shape, operands, epilogue, row, col, sum);
      }
    }
    return;
  }

  if (split_partials != nullptr) {
#pragma unroll
    for (int mi = 0; mi < kMTiles; ++mi) {
#pragma unroll
      for (int ni = 0; ni < kTilesN; ++ni) {
        const int col = n0 + ni * 8 + pair;
#pragma unroll
        for (int h = 0; h < 2; ++h) {
          const int row = m0 + warp * kWarpM + mi * 16 + quad + 8 * h;
          if (row >= m || col >= n) continue;
          float* p = split_partials + row * n + col;
          p[0] = acc[mi][ni][2 * h];
          if (col + 1 < n) p[1] = acc[mi][ni][2 * h + 1];
        }
      }
    }
    return;
  }
  // Through shared memory, so that each row leaves in 16-byte stores (and the residual arrives
  // in 16-byte loads) instead of 4-byte pieces; each warp stages and stores only its own rows.
  // Odd widths (n not a multiple of 8) go through it too, one value at a time: storing them
  // straight from `acc` in a loop the compiler did not unroll (its body is large) indexed `acc`
  // at run time, which put the whole array in local memory for every launch of these kernels
  // (zeroed there, loaded before the K loop, stored after it).
  stage_accumulators();
  __syncwarp();
  const float* out_tile = reinterpret_cast<const float*>(shared);
  if (n % 8 == 0) {
    constexpr int kChunks = kBlockN / 8;
    for (int i = lane; i < kWarpM * kChunks; i += 32) {
      const int local_row = warp * kWarpM + i / kChunks, chunk = i % kChunks;
      const int row = m0 + local_row, col = n0 + chunk * 8;
      if (row < m && col < n) {
        StoreEight(shape, operands, epilogue, row, col, out_tile + local_row * kOutPitch + chunk * 8);
      }
    }
    return;
  }
  for (int i = lane; i < kWarpM * kBlockN; i += 32) {
    const int local_row = warp * kWarpM + i / kBlockN, local_col = i % kBlockN;
    const int row = m0 + local_row, col = n0 + local_col;
    if (row < m && col < n)
      StoreOne(shape, operands, epilogue, row, col, out_tile[local_row * kOutPitch + local_col]);
  }
}

struct TensorCorePlan {
  int m_tiles = 2;  // m16 tiles per warp: 128-row blocks (2) or 64-row blocks (1)
  int block_n = 64;
  int tiles_n = 1;
  int tiles = 1;
  int splits = 1;       // blocks per output tile, each over k_per_split values of K
  int k_per_split = 0;  // a multiple of kBlockK
  int k_groups = 1;     // groups of warps per block, each over its share of k_per_split
  int shared_bytes() const { return k_groups * GroupSharedBytes(m_tiles, block_n); }
};

// The most groups of warps a block of 64-row tiles `block_n` wide may have on `device`: at most
// DeviceInfo::k_groups, within the shared memory a block may have.
int MaxKGroups(int block_n, const DeviceInfo& device) {
  int groups = std::clamp(device.k_groups, 1, kMaxKGroups);
  while (groups > 1 && groups * GroupSharedBytes(1, block_n) > device.max_shared_bytes_per_block) groups /= 2;
  return groups;
}

// 128-row tiles when they fill every multiprocessor (large batches); else
// 64-row tiles, split over K into about two blocks per multiprocessor when
// there are fewer tiles than multiprocessors and K is long enough. A split's
// parts go to groups of warps in one block first (the fewest groups that take
// them all, a power of two up to MaxKGroups), the rest to more blocks.
TensorCorePlan PlanTensorCoreGemm(const GemmShape& shape, const DeviceInfo& device) {
  TensorCorePlan plan;
  plan.block_n = ChooseBlockN(shape.n);
  plan.tiles_n = CeilDiv(shape.n, plan.block_n);
  plan.tiles = CeilDiv(shape.m, 128) * plan.tiles_n;
  const int k_steps = CeilDiv(shape.k, kBlockK);
  plan.k_per_split = k_steps * kBlockK;
  if (plan.tiles >= device.multiprocessors) return plan;
  plan.m_tiles = 1;
  plan.tiles = CeilDiv(shape.m, 64) * plan.tiles_n;
  if (plan.tiles >= device.multiprocessors) return plan;
  const KSplit split = SplitOverK(plan.tiles, shape.k, kBlockK, device);
  const int max_groups = MaxKGroups(plan.block_n, device);
  while (plan.k_groups < max_groups && plan.k_groups < split.splits) plan.k_groups *= 2;
  plan.splits = CeilDiv(split.splits, plan.k_groups);
  plan.k_per_split = CeilDiv(k_steps, plan.splits) * kBlockK;
  plan.splits = CeilDiv(shape.k, plan.k_per_split);
  return plan;
}

bool TensorCoresCanRun(const GemmShape& shape, const DeviceInfo& device) {
  return shape.k % 8 == 0 && device.compute_capability >= 80 && device.tensor_cores;
}

// Calls `use` with the kernel of (m tiles per warp, block n, groups).
template <typename Use>
cudaError_t WithKernel(int m_tiles, int block_n, int k_groups, Use&& use) {
  auto by_width = [&](auto m_tiles_constant, auto groups_constant) {
    constexpr int kM = decltype(m_tiles_constant)::value, kG = decltype(groups_constant)::value;
    switch (block_n) {
      case 16:
        return use(TensorCoreGemmKernel<kM, 16, kG>);
      case 32:
        return use(TensorCoreGemmKernel<kM, 32, kG>);
      case 48:
        return use(TensorCoreGemmKernel<kM, 48, kG>);
      default:
        return use(TensorCoreGemmKernel<kM, 64, kG>);
    }
  };
  using One = std::integral_constant<int, 1>;
  if (m_tiles == 2) return by_width(std::integral_constant<int, 2>{}, One{});
  switch (k_groups) {
    case 2:
      return by_width(One{}, std::integral_constant<int, 2>{});
    case 4:
      return by_width(One{}, std::integral_constant<int, 4>{});
    case 8:
      return by_width(One{}, std::integral_constant<int, 8>{});
    default:
      return by_width(One{}, One{});
  }
}

}  // namespace

cudaError_t PrepareTensorCoreGemm(const DeviceInfo& device) {
  if (device.compute_capability < 80 || !device.tensor_cores) return cudaSuccess;
  for (int block_n : {16, 32, 48, 64}) {
    for (int groups = 2; groups <= MaxKGroups(block_n, device); groups *= 2) {
      const int bytes = groups * GroupSharedBytes(1, block_n);
      if (bytes <= 48 * 1024) continue;
      const cudaError_t error = WithKernel(1, block_n, groups, [&](auto kernel) {
        return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes);
      });
      if (error != cudaSuccess) return error;
    }
  }
  return cudaSuccess;
}

int64_t TensorCoreGemmScratchBytes(const GemmShape& shape, const DeviceInfo& device) {
  if (!TensorCoresCanRun(shape, device)) return 0;
  const TensorCorePlan plan = PlanTensorCoreGemm(shape, device);
  if (plan.splits == 1) return 0;
  return static_cast<int64_t>(plan.splits) * shape.m * shape.n * static_cast<int64_t>(sizeof(float));
}

bool UsesTensorCores(const GemmShape& shape, bool half, const DeviceInfo& device) {
  if (!half || !TensorCoresCanRun(shape, device)) return false;
  // Without small_tensor_cores, products too small to give every multiprocessor a 128-row tile
  // stay on the CUDA cores (split over K there).
  return device.small_tensor_cores || PlanTensorCoreGemm(shape, device).m_tiles == 2;
}

cudaError_t EnqueueTensorCoreGemm(const GemmShape& shape, const GemmOperands& operands,
                                  const OpLaunch& launch) {
  const TensorCorePlan plan = PlanTensorCoreGemm(shape, launch.device);
  if (plan.tiles > 0x7fffffff / 2) return cudaErrorInvalidConfiguration;
  const dim3 grid(static_cast<unsigned>(plan.tiles), static_cast<unsigned>(plan.splits));
  float* partials = plan.splits > 1 ? launch.scratch : nullptr;
  WithKernel(plan.m_tiles, plan.block_n, plan.k_groups, [&](auto kernel) {
    kernel<<<grid, plan.k_groups * kGroupThreads, plan.shared_bytes(), launch.stream>>>(
        shape, plan.tiles_n, plan.k_per_split, operands, launch.epilogue, partials);
    return cudaSuccess;
  });
  if (const cudaError_t error = cudaGetLastError(); error != cudaSuccess || plan.splits == 1) return error;
  return EnqueueSplitKReduce(shape, plan.splits, partials, operands, launch);
}

}  // namespace handtrack::backend::cuda
