// The one matrix product of the backend, for 1x1 convolutions and
// FULLY_CONNECTED: out[m, n] = epilogue(act(bias[n] + sum over k of
// a[m, k] * b[n, k])), every matrix row-major; b is [n, k] as TFLite stores
// weights ([out, in]).
//
// Tiles of 64x64 outputs per block, loaded 16 bytes at a time when K is a
// multiple of 4 (every hand model layer). The hand models' late layers have
// few output tiles (7x7 pixels x 192 channels is 3 tiles) and long K (1152),
// which would leave most of the GPU idle, so small products are split over K
// into partial sums in scratch memory (each split at least
// DeviceInfo::split_min_k values of K), then reduced in a fixed order (results
// do not depend on timing) by a second kernel that applies bias, activation
// and epilogue. (Reducing in the last block of each tile instead, which saves
// that launch, measured no faster: one block then sums up to 18 partials per
// output serially; see docs/CUDA.md.) On the tensor cores, groups of warps of
// one block split K first (DeviceInfo::k_groups), which needs no second kernel.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "backend/cuda/ops.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

struct GemmShape {
  int m = 0;
  int n = 0;
  int k = 0;
};

struct GemmOperands {
  const float* a = nullptr;
  const float* b = nullptr;
  const float* bias = nullptr;  // optional
  float* out = nullptr;
  model::Activation activation = model::Activation::kNone;
};

// Scratch bytes EnqueueGemm needs for this shape on this device (0 when the
// product is not split).
int64_t GemmScratchBytes(const GemmShape& shape, const DeviceInfo& device);

// `launch` gives the stream, device, epilogue and the scratch GemmScratchBytes asked for.
// fp16 products run on the tensor cores where UsesTensorCores says so.
cudaError_t EnqueueGemm(const GemmShape& shape, const GemmOperands& operands, const OpLaunch& launch);

// How a product with `tiles` output tiles is split over K, which it walks in steps of `step_k`:
// into about DeviceInfo::split_blocks_per_multiprocessor blocks per multiprocessor, each split
// at least DeviceInfo::split_min_k values of K (a multiple of step_k), at most 32 splits. Both
// GEMMs plan their splits with it.
struct KSplit {
  int splits = 1;
  int k_per_split = 0;
};
KSplit SplitOverK(int tiles, int k, int step_k, const DeviceInfo& device);

// Whether EnqueueGemm runs this product on the tensor cores (tensor_core_gemm.cu):
// fp16 storage, K a multiple of 8, compute capability 8.0 or more,
// DeviceInfo::tensor_cores, and either enough 128-row tiles for every
// multiprocessor or DeviceInfo::small_tensor_cores.
bool UsesTensorCores(const GemmShape& shape, bool half, const DeviceInfo& device);
// Only for products UsesTensorCores accepts; `launch.scratch` holds
// TensorCoreGemmScratchBytes (small products are split over K).
cudaError_t EnqueueTensorCoreGemm(const GemmShape& shape, const GemmOperands& operands,
                                  const OpLaunch& launch);
int64_t TensorCoreGemmScratchBytes(const GemmShape& shape, const DeviceInfo& device);
// Lets the tensor-core kernels whose blocks split K between several groups of warps have the
// shared memory they need beyond 48 KiB (cudaFuncSetAttribute, for the current device). Call
// before enqueueing products on that device, outside a stream capture.
cudaError_t PrepareTensorCoreGemm(const DeviceInfo& device);

// The second kernel of a product split over K: sums the `splits` float partial
// products in `partials` ([splits][m][n]) in split order, then applies bias,
// activation and `launch.epilogue`, and stores in the launch's precision.
cudaError_t EnqueueSplitKReduce(const GemmShape& shape, int splits, const float* partials,
                                const GemmOperands& operands, const OpLaunch& launch);

}  // namespace handtrack::backend::cuda
