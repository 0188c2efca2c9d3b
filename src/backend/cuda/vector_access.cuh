// 16-byte vector loads and stores of the storage type (4 floats or 8 halves),
// for the element-wise and NHWC kernels' channel-vectorized fast paths.
//
// Alignment: a 16-byte access needs a 16-byte aligned address. Every device
// buffer (weights, arena tensors, staging) starts 256-byte aligned
// (segment_layout.h), so an access at element offset k of a buffer is aligned
// when k is a multiple of kVectorLanes<T>. The kernels take a vector path only
// when the row lengths (channel counts, chunks) that make up their offsets are
// multiples of kVectorLanes<T>; the host additionally checks the pointers
// (VectorAligned), so that a buffer placed otherwise falls back to the
// element-wise kernel instead of faulting.
#pragma once

#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <cstdint>

namespace handtrack::backend::cuda {

// Values of T in one 16-byte vector.
template <typename T>
inline constexpr int kVectorLanes = static_cast<int>(16 / sizeof(T));

// Whether every pointer is 16-byte aligned (nullptr counts as aligned: absent operand).
template <typename... Pointers>
inline bool VectorAligned(const Pointers*... pointers) {
  return ((reinterpret_cast<uintptr_t>(pointers) % 16 == 0) && ...);
}

// One 16-byte load at `p`, converted to float.
__device__ __forceinline__ void LoadVector(const float* p, float (&v)[4]) {
  const float4 f = *reinterpret_cast<const float4*>(p);
  v[0] = f.x;
  v[1] = f.y;
  v[2] = f.z;
  v[3] = f.w;
}

__device__ __forceinline__ void LoadVector(const __half* p, float (&v)[8]) {
  const uint4 raw = *reinterpret_cast<const uint4*>(p);
  const __half2* pairs = reinterpret_cast<const __half2*>(&raw);
#pragma unroll
  for (int j = 0; j < 4; ++j) {
    const float2 f = __half22float2(pairs[j]);
    v[2 * j] = f.x;
    v[2 * j + 1] = f.y;
  }
}

// One 16-byte store at `p`, each value rounded to nearest as FromFloat does.
__device__ __forceinline__ void StoreVector(float* p, const float (&v)[4]) {
  *reinterpret_cast<float4*>(p) = make_float4(v[0], v[1], v[2], v[3]);
}

__device__ __forceinline__ void StoreVector(__half* p, const float (&v)[8]) {
  uint4 raw;
  __half2* pairs = reinterpret_cast<__half2*>(&raw);
#pragma unroll
  for (int j = 0; j < 4; ++j) pairs[j] = __floats2half2_rn(v[2 * j], v[2 * j + 1]);
  *reinterpret_cast<uint4*>(p) = raw;
}

}  // namespace handtrack::backend::cuda
