#include "backend/xnnpack/residual_kernel.h"

#include <cstdint>
#include <string>
#include <utility>

#include "backend/xnnpack/op_util.h"

// As in depthwise_kernel.cc: the AVX-512 and AVX2 functions carry target(...)
// instead of the file being built with -mavx512f or -mavx2, and run only after
// the CPU check in Create. (At the library's -O2 GCC 12 leaves a plain loop scalar,
// and the slope's select then becomes a branch that the random signs of the
// sums mispredict: about 4 ns per value, ten times XNNPACK's ADD and PRELU.)
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HANDTRACK_RESIDUAL_KERNEL_AVX512 1
#include <immintrin.h>
#define HANDTRACK_TARGET_AVX512F __attribute__((target("avx512f")))
#define HANDTRACK_TARGET_AVX2 __attribute__((target("avx2")))
// GCC 12's _mm512_max_ps / _mm512_min_ps start from an undefined vector, which
// -Wuninitialized reports wherever they are inlined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#else
#define HANDTRACK_RESIDUAL_KERNEL_AVX512 0
#endif

namespace handtrack::backend::xnnpack {
namespace {

#if HANDTRACK_RESIDUAL_KERNEL_AVX512

constexpr size_t kLanes = 16;  // floats in one AVX-512 vector

HANDTRACK_TARGET_AVX512F inline __mmask16 MaskOf(size_t count) {
  return count >= kLanes ? static_cast<__mmask16>(0xffff) : static_cast<__mmask16>((1u << count) - 1);
}

// min(max(a + b, lo), hi) of `count` values from offset i: XNNPACK's ADD.
HANDTRACK_TARGET_AVX512F inline __m512 ClampedSum(const float* a, const float* b, size_t i, __mmask16 mask,
                                                  __m512 lo, __m512 hi) {
  const __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(mask, a + i), _mm512_maskz_loadu_ps(mask, b + i));
  return _mm512_min_ps(_mm512_max_ps(sum, lo), hi);
}

HANDTRACK_TARGET_AVX512F void RunRowsAvx512(const float* a, const float* b, float* out, size_t channels,
                                            float output_min, float output_max, const float* slopes,
                                            size_t row_begin, size_t row_end) {
  const __m512 lo = _mm512_set1_ps(output_min), hi = _mm512_set1_ps(output_max);
  if (slopes == nullptr) {  // no PRELU: the rows are one run of values
    const size_t end = row_end * channels;
    for (size_t i = row_begin * channels; i < end; i += kLanes) {
      const __mmask16 mask = MaskOf(end - i);
      _mm512_mask_storeu_ps(out + i, mask, ClampedSum(a, b, i, mask, lo, hi));
    }
    return;
  }
  const __m512i zero = _mm512_setzero_si512();
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t base = row * channels;
    for (size_t c = 0; c < channels; c += kLanes) {
      const __mmask16 mask = MaskOf(channels - c);
      const __m512 sum = ClampedSum(a, b, base + c, mask, lo, hi);
      // XNNPACK's PRELU: the slope where the sign bit is set (-0.0 included).
      const __mmask16 negative = _mm512_cmplt_epi32_mask(_mm512_castps_si512(sum), zero);
      const __m512 result = _mm512_mask_mul_ps(sum, negative, sum, _mm512_maskz_loadu_ps(mask, slopes + c));
      _mm512_mask_storeu_ps(out + base + c, mask, result);
    }
  }
}

// The same with 8 lanes, for CPUs without AVX-512F. AVX2 has no mask
// registers: the tail's lanes are chosen by a lane mask vector, and the
// negative sums by their sign bit (blendv reads only that bit).
HANDTRACK_TARGET_AVX2 inline __m256i TailMask(size_t count) {
  const __m256i lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int n = count >= 8 ? 8 : static_cast<int>(count);
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), lanes);
}

HANDTRACK_TARGET_AVX2 inline __m256 ClampedSum8(const float* a, const float* b, size_t i, __m256i mask,
                                                __m256 lo, __m256 hi) {
  const __m256 sum = _mm256_add_ps(_mm256_maskload_ps(a + i, mask), _mm256_maskload_ps(b + i, mask));
  return _mm256_min_ps(_mm256_max_ps(sum, lo), hi);
}

HANDTRACK_TARGET_AVX2 void RunRowsAvx2(const float* a, const float* b, float* out, size_t channels,
                                       float output_min, float output_max, const float* slopes,
                                       size_t row_begin, size_t row_end) {
  const __m256 lo = _mm256_set1_ps(output_min), hi = _mm256_set1_ps(output_max);
  if (slopes == nullptr) {
    const size_t end = row_end * channels;
    for (size_t i = row_begin * channels; i < end; i += 8) {
      const __m256i mask = TailMask(end - i);
      _mm256_maskstore_ps(out + i, mask, ClampedSum8(a, b, i, mask, lo, hi));
    }
    return;
  }
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t base = row * channels;
    for (size_t c = 0; c < channels; c += 8) {
      const __m256i mask = TailMask(channels - c);
      const __m256 sum = ClampedSum8(a, b, base + c, mask, lo, hi);
      const __m256 scaled = _mm256_mul_ps(sum, _mm256_maskload_ps(slopes + c, mask));
      _mm256_maskstore_ps(out + base + c, mask, _mm256_blendv_ps(sum, scaled, sum));
    }
  }
}

#endif  // HANDTRACK_RESIDUAL_KERNEL_AVX512

}  // namespace

Result<ResidualKernel> ResidualKernel::Create(const model::Graph& graph, const model::Node& add,
                                              const model::Node* prelu, KernelIsa requested_isa) {
  Result<KernelIsa> isa = ResolveKernelIsa(requested_isa, "residual kernel");
  if (!isa.ok()) return Unsupported(add, "stays with XNNPACK: " + isa.status().message());
  if (add.op != model::OpType::kAdd || add.inputs.size() != 2 || add.outputs.size() != 1) {
    return Unsupported(add, "is not an ADD of two inputs");
  }
  const model::Tensor& output = graph.tensors[add.outputs[0]];
  for (int input : add.inputs) {
    if (input < 0 || graph.tensors[input].is_constant || graph.tensors[input].shape != output.shape) {
      return Unsupported(add, "with a constant or broadcast input stays with XNNPACK");
    }
  }
  if (output.shape.empty() || output.num_elements() == 0) return Unsupported(add, "with an empty output");
  const size_t channels = static_cast<size_t>(output.shape.back());
  const size_t rows = static_cast<size_t>(output.num_elements()) / channels;
  std::vector<float> slopes;
  if (prelu != nullptr) {
    if (prelu->op != model::OpType::kPRelu || prelu->inputs.size() != 2 ||
        prelu->inputs[0] != add.outputs[0] || prelu->outputs.size() != 1 ||
        graph.tensors[prelu->outputs[0]].shape != output.shape) {
      return Unsupported(*prelu, "does not take the ADD's sum alone");
    }
    const model::Tensor& alpha = graph.tensors[prelu->inputs[1]];
    bool per_channel = alpha.is_constant && !alpha.shape.empty() &&
                       alpha.shape.size() <= output.shape.size() &&
                       (alpha.shape.back() == 1 || static_cast<size_t>(alpha.shape.back()) == channels) &&
                       alpha.f32.size() == static_cast<size_t>(alpha.shape.back());
    for (size_t i = 0; i + 1 < alpha.shape.size(); ++i) per_channel = per_channel && alpha.shape[i] == 1;
    if (!per_channel) return Unsupported(*prelu, "with alpha that varies beyond the channels");
    slopes.resize(channels);
    for (size_t c = 0; c < channels; ++c) slopes[c] = alpha.f32.size() == 1 ? alpha.f32[0] : alpha.f32[c];
  }
  const OutputRange range = ActivationRange(add.params.activation);
  return ResidualKernel(*isa, rows, channels, range.min, range.max, std::move(slopes));
}

void ResidualKernel::RunRows(const float* a, const float* b, float* out, size_t row_begin,
                             size_t row_end) const {
#if HANDTRACK_RESIDUAL_KERNEL_AVX512
  const float* slopes = slopes_.empty() ? nullptr : slopes_.data();
  if (isa_ == KernelIsa::kAvx512) {
    RunRowsAvx512(a, b, out, channels_, output_min_, output_max_, slopes, row_begin, row_end);
  } else {
    RunRowsAvx2(a, b, out, channels_, output_min_, output_max_, slopes, row_begin, row_end);
  }
#else
  (void)a, (void)b, (void)out, (void)row_begin, (void)row_end;  // Create refused: not x86
#endif
}

}  // namespace handtrack::backend::xnnpack
