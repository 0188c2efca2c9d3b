#include "backend/xnnpack/depthwise_kernel.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <utility>

#include "backend/xnnpack/op_util.h"

// The AVX-512 and AVX2 functions carry target(...) instead of the file being
// built with -mavx512f or -mavx2, so that the rest of this file (and the build)
// stays portable; they only run after the CPU check in Create.
#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HANDTRACK_DEPTHWISE_KERNEL_X86 1
#include <immintrin.h>
#define HANDTRACK_TARGET_AVX512F __attribute__((target("avx512f")))
#define HANDTRACK_TARGET_AVX2_FMA __attribute__((target("avx2,fma")))
// GCC 12's _mm512_max_ps / _mm512_min_ps start from an undefined vector, which
// -Wuninitialized reports wherever they are inlined.
#pragma GCC diagnostic ignored "-Wuninitialized"
#else
#define HANDTRACK_DEPTHWISE_KERNEL_X86 0
#endif

namespace handtrack::backend::xnnpack {
namespace {

// Output pixels computed together: each keeps its own accumulator chain, and
// 8 chains hide the FMA latency (AVX-512: with 8 + (8-1)*S+KW vector
// registers of 32; AVX2, with 16 registers, loads each input vector per tap
// instead, see ComputeAvx2Block).
constexpr int kMaxPixels = 8;

// Floats per channel block: one vector.
constexpr int LanesOf(KernelIsa isa) { return isa == KernelIsa::kAvx512 ? 16 : 8; }

std::string ShapeSummary(const DepthwiseShape& s) {
  return std::to_string(s.filter_height) + "x" + std::to_string(s.filter_width) + " stride " +
         std::to_string(s.stride_height) + "x" + std::to_string(s.stride_width);
}

#if HANDTRACK_DEPTHWISE_KERNEL_X86

// What every pixel block of one output row and one channel block shares.
struct BlockArgs {
  size_t row_stride;    // floats between input rows
  size_t pixel_stride;  // floats between pixels: the channel count
  int filter_rows;      // filter rows whose input row lies inside the input
  const float* bias;    // one vector
  const float* taps;    // the first tap of the first filter row inside the input
  int block_channels;   // the channels of this block that exist: 1..lanes
  int input_width;
  float output_min;
  float output_max;
};

// `kPixels` output pixels of one row for 16 channels. `in` points at the
// input pixel of the first filter row inside the input and of column
// `first_column`, the left edge of the first pixel's window, which may lie
// left of the input when kCheckColumns. Each input vector is loaded once per
// filter row and used by every tap that reads it. kCheckColumns zero-masks
// the loads of columns outside [0, input_width), so padding reads nothing.
// Every load and store is masked to the block's channels.
template <int kFilterWidth, int kStride, int kPixels, bool kCheckColumns>
HANDTRACK_TARGET_AVX512F void ComputeAvx512Block(const BlockArgs& a, const float* in, int first_column,
                                                 float* out) {
  constexpr int kLanes = LanesOf(KernelIsa::kAvx512);
  constexpr int kInputColumns = (kPixels - 1) * kStride + kFilterWidth;
  const __mmask16 channel_mask = a.block_channels >= kLanes
                                     ? static_cast<__mmask16>(0xFFFF)
                                     : static_cast<__mmask16>((1u << a.block_channels) - 1);
  __mmask16 column_masks[kInputColumns];
#pragma GCC unroll 64
  for (int i = 0; i < kInputColumns; ++i) {
    const bool inside =
        !kCheckColumns || static_cast<unsigned>(first_column + i) < static_cast<unsigned>(a.input_width);
    column_masks[i] = inside ? channel_mask : 0;
  }
  const __m512 bias = _mm512_loadu_ps(a.bias);
  __m512 acc[kPixels];
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) acc[p] = bias;
  const float* taps = a.taps;
  for (int ky = 0; ky < a.filter_rows; ++ky, in += a.row_stride, taps += kFilterWidth * kLanes) {
    __m512 x[kInputColumns];
#pragma GCC unroll 64
    for (int i = 0; i < kInputColumns; ++i) {
      x[i] = _mm512_maskz_loadu_ps(column_masks[i], in + i * a.pixel_stride);
    }
#pragma GCC unroll 8
    for (int kx = 0; kx < kFilterWidth; ++kx) {
      const __m512 w = _mm512_loadu_ps(taps + kx * kLanes);
#pragma GCC unroll 8
      for (int p = 0; p < kPixels; ++p) acc[p] = _mm512_fmadd_ps(x[p * kStride + kx], w, acc[p]);
    }
  }
  const __m512 lo = _mm512_set1_ps(a.output_min);
  const __m512 hi = _mm512_set1_ps(a.output_max);
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) {
    _mm512_mask_storeu_ps(out + p * a.pixel_stride, channel_mask,
                          _mm512_min_ps(_mm512_max_ps(acc[p], lo), hi));
  }
}

// The same for 8 channels with AVX2 + FMA3. With 16 vector registers the 8
// accumulators leave no room to hold a filter row's input vectors, so each
// FMA loads its input vector (the loads are cheap next to the FMAs: one per
// FMA, where XNNPACK's AVX2 depthwise loads a filter vector too). AVX2 has no
// mask registers: blocks with columns outside the input or a channel tail
// (kMasked) load and store through lane mask vectors; the others load plainly.
// The arithmetic (bias, then one FMA per tap, rows then columns) is the
// AVX-512 block's, so both give the same bits.
template <int kFilterWidth, int kStride, int kPixels, bool kMasked>
HANDTRACK_TARGET_AVX2_FMA void ComputeAvx2Block(const BlockArgs& a, const float* in, int first_column,
                                                float* out) {
  constexpr int kLanes = LanesOf(KernelIsa::kAvx2);
  constexpr int kInputColumns = (kPixels - 1) * kStride + kFilterWidth;
  const __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const __m256i channel_mask = _mm256_cmpgt_epi32(_mm256_set1_epi32(a.block_channels), lane_index);
  __m256i column_masks[kMasked ? kInputColumns : 1];
  if constexpr (kMasked) {
#pragma GCC unroll 64
    for (int i = 0; i < kInputColumns; ++i) {
      const bool inside = static_cast<unsigned>(first_column + i) < static_cast<unsigned>(a.input_width);
      column_masks[i] = inside ? channel_mask : _mm256_setzero_si256();
    }
  }
  const __m256 bias = _mm256_loadu_ps(a.bias);
  __m256 acc[kPixels];
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) acc[p] = bias;
  const float* taps = a.taps;
  for (int ky = 0; ky < a.filter_rows; ++ky, in += a.row_stride, taps += kFilterWidth * kLanes) {
#pragma GCC unroll 8
    for (int kx = 0; kx < kFilterWidth; ++kx) {
      const __m256 w = _mm256_loadu_ps(taps + kx * kLanes);
#pragma GCC unroll 8
      for (int p = 0; p < kPixels; ++p) {
        const int column = p * kStride + kx;
        const float* src = in + column * a.pixel_stride;
        __m256 x;
        if constexpr (kMasked) {
          x = _mm256_maskload_ps(src, column_masks[column]);
        } else {
          x = _mm256_loadu_ps(src);
        }
        acc[p] = _mm256_fmadd_ps(x, w, acc[p]);
      }
    }
  }
  const __m256 lo = _mm256_set1_ps(a.output_min);
  const __m256 hi = _mm256_set1_ps(a.output_max);
#pragma GCC unroll 8
  for (int p = 0; p < kPixels; ++p) {
    const __m256 result = _mm256_min_ps(_mm256_max_ps(acc[p], lo), hi);
    if constexpr (kMasked) {
      _mm256_maskstore_ps(out + p * a.pixel_stride, channel_mask, result);
    } else {
      _mm256_storeu_ps(out + p * a.pixel_stride, result);
    }
  }
}

using PixelBlockFn = void (*)(const BlockArgs&, const float*, int, float*);

// The pixel blocks of one instruction set for 1..kMaxPixels pixels, indexed
// by pixels - 1: `inside` for blocks whose windows lie inside the input and
// whose channels fill a vector, `edge` for the others.
struct PixelBlocks {
  int lanes;
  std::array<PixelBlockFn, kMaxPixels> inside;
  std::array<PixelBlockFn, kMaxPixels> edge;
};

template <int kFilterWidth, int kStride, size_t... kIndex>
constexpr PixelBlocks Avx512Blocks(std::index_sequence<kIndex...>) {
  return {LanesOf(KernelIsa::kAvx512),
          {&ComputeAvx512Block<kFilterWidth, kStride, static_cast<int>(kIndex) + 1, false>...},
          {&ComputeAvx512Block<kFilterWidth, kStride, static_cast<int>(kIndex) + 1, true>...}};
}

template <int kFilterWidth, int kStride, size_t... kIndex>
constexpr PixelBlocks Avx2Blocks(std::index_sequence<kIndex...>) {
  return {LanesOf(KernelIsa::kAvx2),
          {&ComputeAvx2Block<kFilterWidth, kStride, static_cast<int>(kIndex) + 1, false>...},
          {&ComputeAvx2Block<kFilterWidth, kStride, static_cast<int>(kIndex) + 1, true>...}};
}

template <int kFilterWidth, int kStride>
const PixelBlocks& BlocksFor(KernelIsa isa) {
  static constexpr PixelBlocks kAvx512 =
      Avx512Blocks<kFilterWidth, kStride>(std::make_index_sequence<kMaxPixels>());
  static constexpr PixelBlocks kAvx2 =
      Avx2Blocks<kFilterWidth, kStride>(std::make_index_sequence<kMaxPixels>());
  return isa == KernelIsa::kAvx512 ? kAvx512 : kAvx2;
}

template <int kFilterWidth, int kStride>
void ComputeRows(const DepthwiseShape& s, const PixelBlocks& blocks, const float* packed, const float* input,
                 float* output, size_t row_begin, size_t row_end) {
  const int lanes = blocks.lanes;
  const size_t channels = s.channels;
  const int channel_blocks = (s.channels + lanes - 1) / lanes;
  const size_t packed_block_floats = static_cast<size_t>(1 + s.filter_height * kFilterWidth) * lanes;
  // Output columns [inside_begin, inside_end) have their whole window inside
  // the input; the others take the column-checking blocks.
  const int inside_begin = std::min(s.output_width, (s.pad_left + kStride - 1) / kStride);
  const int last_inside_start = s.input_width - kFilterWidth + s.pad_left;
  const int inside_end =
      std::clamp(last_inside_start >= 0 ? last_inside_start / kStride + 1 : 0, inside_begin, s.output_width);
  BlockArgs a;
  a.row_stride = static_cast<size_t>(s.input_width) * channels;
  a.pixel_stride = channels;
  a.input_width = s.input_width;
  a.output_min = s.output_min;
  a.output_max = s.output_max;
  for (size_t row = row_begin; row < row_end; ++row) {
    const size_t image = row / s.output_height;
    const int oy = static_cast<int>(row % s.output_height);
    const int first_input_row = oy * s.stride_height - s.pad_top;
    const int ky_begin = std::max(0, -first_input_row);
    const int ky_end = std::min(s.filter_height, s.input_height - first_input_row);
    a.filter_rows = std::max(0, ky_end - ky_begin);
    const float* in_row = input + (image * s.input_height + std::max(first_input_row, 0)) * a.row_stride;
    float* out_row = output + row * s.output_width * channels;
    // The input rows that the next output row of this image adds: fetched
    // into L2 block by block while this row computes, as the tensors of the
    // large layers do not fit in L1/L2 and the hardware prefetcher does not
    // follow a row change.
    const int next_input_row = first_input_row + s.filter_height;
    const bool last_row_of_image = static_cast<int>(row + 1) % s.output_height == 0;
    const int prefetch_rows =
        last_row_of_image ? 0 : std::max(0, std::min(s.stride_height, s.input_height - next_input_row));
    const float* prefetch_row = input + (image * s.input_height + std::max(next_input_row, 0)) * a.row_stride;
    // Pixel blocks outermost, channel blocks inside: a block then reads each
    // input pixel's channels contiguously, which streams better from memory
    // than channel blocks outermost (strided 64-byte reads) when the tensor
    // is not in cache.
    for (int ox = 0; ox < s.output_width;) {
      const int pixels = std::min(kMaxPixels, s.output_width - ox);
      const int first_column = ox * kStride - s.pad_left;
      const bool inside = ox >= inside_begin && ox + pixels <= inside_end;
      if (prefetch_rows > 0) {
        const int column_begin = std::max(first_column, 0);
        const int column_end = std::min(first_column + pixels * kStride, s.input_width);
        if (column_end > column_begin) {
          const char* begin = reinterpret_cast<const char*>(prefetch_row + column_begin * channels);
          const size_t bytes = static_cast<size_t>(column_end - column_begin) * channels * sizeof(float);
          for (int r = 0; r < prefetch_rows; ++r) {
            const char* line = begin + r * a.row_stride * sizeof(float);
            for (size_t offset = 0; offset < bytes; offset += 64) _mm_prefetch(line + offset, _MM_HINT_T1);
          }
        }
      }
      // Left of the input when the first window starts in the padding; only
      // the column-checked loads use it, and they mask those columns off.
      const float* in_block =
          in_row + static_cast<ptrdiff_t>(first_column) * static_cast<ptrdiff_t>(channels);
      float* out_block = out_row + static_cast<size_t>(ox) * channels;
      for (int cb = 0; cb < channel_blocks; ++cb) {
        const int c0 = cb * lanes;
        a.block_channels = std::min(lanes, s.channels - c0);
        const PixelBlockFn compute =
            inside && a.block_channels == lanes ? blocks.inside[pixels - 1] : blocks.edge[pixels - 1];
        const float* block_weights = packed + cb * packed_block_floats;
        a.bias = block_weights;
        a.taps = block_weights + lanes + static_cast<size_t>(ky_begin) * kFilterWidth * lanes;
        compute(a, in_block + c0, first_column, out_block + c0);
      }
      ox += pixels;
    }
  }
}

// ComputeRows with the blocks of one instruction set: the kernel's RowsFn.
template <KernelIsa kIsa, int kFilterWidth, int kStride>
void ComputeRowsWith(const DepthwiseShape& s, const float* packed, const float* input, float* output,
                     size_t row_begin, size_t row_end) {
  ComputeRows<kFilterWidth, kStride>(s, BlocksFor<kFilterWidth, kStride>(kIsa), packed, input, output,
                                     row_begin, row_end);
}

template <KernelIsa kIsa>
DepthwiseKernel::RowsFn RowsFor(const DepthwiseShape& shape) {
  const bool stride1 = shape.stride_width == 1;
  if (shape.filter_width == 3) {
    return stride1 ? &ComputeRowsWith<kIsa, 3, 1> : &ComputeRowsWith<kIsa, 3, 2>;
  }
  return stride1 ? &ComputeRowsWith<kIsa, 5, 1> : &ComputeRowsWith<kIsa, 5, 2>;
}

#endif  // HANDTRACK_DEPTHWISE_KERNEL_X86

}  // namespace

Status CheckDepthwiseKernelSupports(const DepthwiseShape& shape, KernelIsa isa) {
  HT_RETURN_IF_ERROR(ResolveKernelIsa(isa, "depthwise kernel").status());
  auto filter_ok = [](int size) { return size == 3 || size == 5; };
  auto stride_ok = [](int stride) { return stride == 1 || stride == 2; };
  if (!filter_ok(shape.filter_height) || !filter_ok(shape.filter_width) || !stride_ok(shape.stride_height) ||
      !stride_ok(shape.stride_width)) {
    return UnsupportedError("the depthwise kernel has no " + ShapeSummary(shape) +
                            " variant (3x3 or 5x5, stride 1 or 2)");
  }
  const bool sizes_ok = shape.batch >= 1 && shape.input_height >= 1 && shape.input_width >= 1 &&
                        shape.channels >= 1 && shape.output_height >= 1 && shape.output_width >= 1 &&
                        shape.pad_top >= 0 && shape.pad_left >= 0 && shape.pad_top < shape.filter_height &&
                        shape.pad_left < shape.filter_width;
  if (!sizes_ok) return UnsupportedError("the depthwise kernel got an inconsistent " + ShapeSummary(shape));
  if (!(shape.output_min <= shape.output_max)) {
    return UnsupportedError("the depthwise kernel got an empty output range");
  }
  return Status::Ok();
}

Result<DepthwiseKernel> DepthwiseKernel::Create(const DepthwiseShape& shape, const float* filter,
                                                const float* bias, KernelIsa requested_isa) {
  HT_RETURN_IF_ERROR(CheckDepthwiseKernelSupports(shape, requested_isa));
  if (filter == nullptr) return InvalidArgumentError("the depthwise kernel needs the filter values");
  HT_ASSIGN_OR_RETURN(const KernelIsa isa, ResolveKernelIsa(requested_isa, "depthwise kernel"));
  RowsFn rows = nullptr;
#if HANDTRACK_DEPTHWISE_KERNEL_X86
  rows = isa == KernelIsa::kAvx512 ? RowsFor<KernelIsa::kAvx512>(shape) : RowsFor<KernelIsa::kAvx2>(shape);
#endif
  if (rows == nullptr) {
    return UnsupportedError("the depthwise kernel has no " + ShapeSummary(shape) + " variant");
  }

  const int lanes = LanesOf(isa);
  const int channel_blocks = (shape.channels + lanes - 1) / lanes;
  const int taps = shape.filter_height * shape.filter_width;
  std::vector<float> packed(static_cast<size_t>(channel_blocks) * (1 + taps) * lanes, 0.0f);
  float* dst = packed.data();
  for (int cb = 0; cb < channel_blocks; ++cb) {
    // tap -1 is the bias
    for (int tap = -1; tap < taps; ++tap, dst += lanes) {
      for (int lane = 0; lane < lanes; ++lane) {
        const int c = cb * lanes + lane;
        if (c >= shape.channels) break;
        if (tap < 0) {
          dst[lane] = bias != nullptr ? bias[c] : 0.0f;
        } else {
          dst[lane] = filter[static_cast<size_t>(tap) * shape.channels + c];
        }
      }
    }
  }
  return DepthwiseKernel(shape, isa, std::move(packed), rows);
}

void DepthwiseKernel::RunRows(const float* input, float* output, size_t row_begin, size_t row_end) const {
  rows_(shape_, packed_.data(), input, output, row_begin, std::min(row_end, num_rows()));
}

}  // namespace handtrack::backend::xnnpack
