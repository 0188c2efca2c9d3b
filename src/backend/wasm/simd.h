// Four-lane float vectors for the wasm backend's kernels: WebAssembly SIMD128
// under Emscripten (-msimd128), SSE2 on x86 (so the same kernels run natively
// in the tests and under the sanitizers), plain arrays elsewhere. Only what
// the kernels need; every load and store is unaligned.
//
// Max/Min follow WebAssembly's pmax/pmin (one instruction on x86 and Arm);
// they differ from IEEE max/min only for NaN and signed zeros, which
// activations clamp identically either way.
#pragma once

#if defined(__wasm_simd128__)
#include <wasm_simd128.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#else
#include <algorithm>
#endif

namespace handtrack::backend::wasm {

#if defined(__wasm_simd128__)

using Vec = v128_t;
inline Vec Load(const float* p) { return wasm_v128_load(p); }
inline void Store(float* p, Vec v) { wasm_v128_store(p, v); }
inline Vec Splat(float x) { return wasm_f32x4_splat(x); }
// *p in all four lanes, straight from memory (one load on x86 with AVX2).
inline Vec LoadSplat(const float* p) { return wasm_v128_load32_splat(p); }
inline Vec Add(Vec a, Vec b) { return wasm_f32x4_add(a, b); }
inline Vec Mul(Vec a, Vec b) { return wasm_f32x4_mul(a, b); }
inline Vec Max(Vec a, Vec b) { return wasm_f32x4_pmax(a, b); }
inline Vec Min(Vec a, Vec b) { return wasm_f32x4_pmin(a, b); }
// Lane `kLane` of `a` in all four lanes.
template <int kLane>
inline Vec Broadcast(Vec a) {
  return wasm_i32x4_shuffle(a, a, kLane, kLane, kLane, kLane);
}

#elif defined(__SSE2__)

using Vec = __m128;
inline Vec Load(const float* p) { return _mm_loadu_ps(p); }
inline void Store(float* p, Vec v) { _mm_storeu_ps(p, v); }
inline Vec Splat(float x) { return _mm_set1_ps(x); }
inline Vec LoadSplat(const float* p) { return _mm_load1_ps(p); }
inline Vec Add(Vec a, Vec b) { return _mm_add_ps(a, b); }
inline Vec Mul(Vec a, Vec b) { return _mm_mul_ps(a, b); }
inline Vec Max(Vec a, Vec b) { return _mm_max_ps(b, a); }  // pmax: a < b ? b : a
inline Vec Min(Vec a, Vec b) { return _mm_min_ps(b, a); }  // pmin: b < a ? b : a
template <int kLane>
inline Vec Broadcast(Vec a) {
  return _mm_shuffle_ps(a, a, _MM_SHUFFLE(kLane, kLane, kLane, kLane));
}

#else

struct Vec {
  float lane[4];
};
inline Vec Load(const float* p) { return Vec{{p[0], p[1], p[2], p[3]}}; }
inline void Store(float* p, Vec v) {
  for (int i = 0; i < 4; ++i) p[i] = v.lane[i];
}
inline Vec Splat(float x) { return Vec{{x, x, x, x}}; }
inline Vec LoadSplat(const float* p) { return Splat(*p); }
inline Vec Add(Vec a, Vec b) {
  return Vec{{a.lane[0] + b.lane[0], a.lane[1] + b.lane[1], a.lane[2] + b.lane[2], a.lane[3] + b.lane[3]}};
}
inline Vec Mul(Vec a, Vec b) {
  return Vec{{a.lane[0] * b.lane[0], a.lane[1] * b.lane[1], a.lane[2] * b.lane[2], a.lane[3] * b.lane[3]}};
}
inline Vec Max(Vec a, Vec b) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.lane[i] = a.lane[i] < b.lane[i] ? b.lane[i] : a.lane[i];
  return r;
}
inline Vec Min(Vec a, Vec b) {
  Vec r;
  for (int i = 0; i < 4; ++i) r.lane[i] = b.lane[i] < a.lane[i] ? b.lane[i] : a.lane[i];
  return r;
}
template <int kLane>
inline Vec Broadcast(Vec a) {
  return Splat(a.lane[kLane]);
}

#endif

// a * b + c, as a multiply then an add: SIMD128 has no fused multiply-add, and
// the reference backend rounds the same way.
inline Vec MulAdd(Vec a, Vec b, Vec c) { return Add(Mul(a, b), c); }

inline constexpr int kLanes = 4;

}  // namespace handtrack::backend::wasm
