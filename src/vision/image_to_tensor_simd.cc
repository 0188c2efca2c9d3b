#include "vision/image_to_tensor_simd.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define HANDTRACK_SAMPLER_X86 1
#include <immintrin.h>
#else
#define HANDTRACK_SAMPLER_X86 0
#endif

namespace handtrack::vision::internal {

#if HANDTRACK_SAMPLER_X86
namespace {

// Per output channel the portable loop computes, in integers,
//   level = ((p00 (32 - fx) + p01 fx) (32 - fy) + (p10 (32 - fx) + p11 fx) fy + 512) >> 10
// and then float(level) * (1.0f / 255). Any regrouping that adds the same products
// gives the same level, which lets every pixel, border pixels included, take one
// branch-free form: read the 2x2 block at base = (clamp(sx, 0, w - 2), clamp(sy, 0, h - 2)),
// always inside the image, and weigh its two columns (rows) by the sums of the original
// weights of the neighbours that land on them. kReplicate: a neighbour lands on its
// clamped column; kZero: a neighbour outside lands nowhere (black adds nothing).
// Inside the image the weights are simply (32 - fx, fx) and (32 - fy, fy).
//
// One pixel in SSE registers: [8 bytes of the top row | 8 bytes of the bottom row],
// shuffled into (p00, p01, p10, p11) byte quadruples per channel; pmaddubsw with the
// column weights gives (top, bottom) as 16-bit sums (<= 255 * 32), pmaddwd with the row
// weights the 32-bit level sum of each channel; lane 3 (no channel) is zero. AVX2 does
// two pixels per register, one per 128-bit lane.

constexpr int kInterBits = 5;
constexpr int kInterSteps = 1 << kInterBits;
constexpr int kWeightBits = 2 * kInterBits;
constexpr float kLevelScale = 1.0f / 255.0f;  // convertTo's scale, as the portable table uses

// Coordinates are only converted without clamping when they stay below this in
// 1/32 pixels (the portable loop clamps to +-2^30; cvtpd2dq fails beyond 2^31).
constexpr double kMaxFixedCoordinate = 1 << 29;

// Widest tensor whose column blocks the axis-aligned path precomputes on the stack.
constexpr int kMaxAxisAlignedWidth = 1024;

// Byte offset from p10 at which the bottom row's 8-byte load starts. 3-byte pixels:
// 2 bytes before, so that the load ends with p11 (the image may end right there);
// the top row's load runs 2 bytes into the next row instead, which always exists.
constexpr int BottomLoadOffset(int bytes_per_pixel) { return bytes_per_pixel == 3 ? 2 : 0; }

// pshufb control: 32-bit lane c of the result holds channel c's bytes (p00, p01, p10,
// p11); c = 0, 1, 2 are R, G, B whatever the source order; lane 3 is zero.
template <int kBytesPerPixel, bool kSwapRedBlue>
constexpr std::array<int8_t, 16> kChannelShuffle = [] {
  std::array<int8_t, 16> control{};
  for (int c = 0; c < 4; ++c) {
    const int source = kSwapRedBlue ? 2 - c : c;
    const int bottom = 8 + BottomLoadOffset(kBytesPerPixel);  // where p10 lies
    const int bytes[4] = {source, source + kBytesPerPixel, bottom + source, bottom + source + kBytesPerPixel};
    for (int i = 0; i < 4; ++i) control[4 * c + i] = static_cast<int8_t>(c == 3 ? -128 : bytes[i]);
  }
  return control;
}();

// pshufb controls spreading the 16-bit word of lane k (a pixel's column weights) over
// a 128-bit lane; the AVX2 pair control puts pixel k in the low lane, k + 1 in the high.
constexpr std::array<int8_t, 32> BroadcastWordPair(int k) {
  std::array<int8_t, 32> control{};
  for (int i = 0; i < 32; ++i) control[i] = static_cast<int8_t>(4 * (k + i / 16) + (i & 1));
  return control;
}
constexpr std::array<std::array<int8_t, 32>, 4> kBroadcastWord = {BroadcastWordPair(0), BroadcastWordPair(1),
                                                                  BroadcastWordPair(2), BroadcastWordPair(3)};

// The same for the 32-bit lanes (a pixel's row weights), AVX2 pairs 0, 1 and 2, 3.
constexpr std::array<int8_t, 32> BroadcastDwordPair(int k) {
  std::array<int8_t, 32> control{};
  for (int i = 0; i < 32; ++i) control[i] = static_cast<int8_t>(4 * (k + i / 16) + (i & 3));
  return control;
}
constexpr std::array<std::array<int8_t, 32>, 2> kBroadcastDwordPair = {BroadcastDwordPair(0),
                                                                       BroadcastDwordPair(2)};

#define HT_TARGET_SSE41 __attribute__((target("sse4.1")))
#define HT_TARGET_AVX2 __attribute__((target("avx2")))

HT_TARGET_SSE41 inline __m128i Load128(const int8_t* control) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(control));
}

HT_TARGET_AVX2 inline __m256i Load256(const int8_t* control) {
  return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(control));
}

// (row + x * step) * 32 rounded half to even, for x and x + 1 in xs01, x + 2 and x + 3
// in xs23: the portable loop's expression, operation by operation.
HT_TARGET_SSE41 inline __m128i FixedCoordinates(__m128d row, __m128d xs01, __m128d xs23, __m128d step) {
  const __m128d steps = _mm_set1_pd(kInterSteps);
  const __m128d first = _mm_mul_pd(_mm_add_pd(row, _mm_mul_pd(xs01, step)), steps);
  const __m128d second = _mm_mul_pd(_mm_add_pd(row, _mm_mul_pd(xs23, step)), steps);
  return _mm_unpacklo_epi64(_mm_cvtpd_epi32(first), _mm_cvtpd_epi32(second));
}

// The same for x .. x + 3 in one register.
HT_TARGET_AVX2 inline __m128i FixedCoordinates(__m256d row, __m256d xs, __m256d step) {
  return _mm256_cvtpd_epi32(
      _mm256_mul_pd(_mm256_add_pd(row, _mm256_mul_pd(xs, step)), _mm256_set1_pd(kInterSteps)));
}

// Along one axis, for 4 pixels at 1/32-pixel coordinates `fixed`: the first of the two
// columns (rows) each one reads, and their weights packed as low | high << kHighShift.
template <BorderMode kBorder, int kHighShift>
HT_TARGET_SSE41 inline __m128i AxisWeights(__m128i fixed, int size, __m128i* base) {
  const __m128i zero = _mm_setzero_si128();
  const __m128i one = _mm_set1_epi32(1);
  const __m128i cell = _mm_srai_epi32(fixed, kInterBits);
  const __m128i fraction = _mm_and_si128(fixed, _mm_set1_epi32(kInterSteps - 1));
  *base = _mm_min_epi32(_mm_max_epi32(cell, zero), _mm_set1_epi32(size - 2));
  const __m128i first_weight = _mm_sub_epi32(_mm_set1_epi32(kInterSteps), fraction);
  if (_mm_movemask_epi8(_mm_cmpeq_epi32(cell, *base)) == 0xFFFF) {  // all inside
    return _mm_or_si128(first_weight, _mm_slli_epi32(fraction, kHighShift));
  }
  // The neighbours at cell (weight 32 - fraction) and cell + 1 (fraction) land on
  // `base` or base + 1, or (kZero, outside) nowhere.
  __m128i first = cell;
  __m128i second = _mm_add_epi32(cell, one);
  if constexpr (kBorder == BorderMode::kReplicate) {
    const __m128i last = _mm_set1_epi32(size - 1);
    first = _mm_min_epi32(_mm_max_epi32(first, zero), last);
    second = _mm_min_epi32(_mm_max_epi32(second, zero), last);
  }
  const __m128i next = _mm_add_epi32(*base, one);
  const __m128i low = _mm_add_epi32(_mm_and_si128(_mm_cmpeq_epi32(first, *base), first_weight),
                                    _mm_and_si128(_mm_cmpeq_epi32(second, *base), fraction));
  const __m128i high = _mm_add_epi32(_mm_and_si128(_mm_cmpeq_epi32(first, next), first_weight),
                                     _mm_and_si128(_mm_cmpeq_epi32(second, next), fraction));
  return _mm_or_si128(low, _mm_slli_epi32(high, kHighShift));
}

template <int kBytesPerPixel>
HT_TARGET_SSE41 inline __m128i ColumnBytes(__m128i base_x) {
  return kBytesPerPixel == 4 ? _mm_slli_epi32(base_x, 2) : _mm_add_epi32(base_x, _mm_slli_epi32(base_x, 1));
}

// What stays fixed over one call.
struct WarpConstants {
  const uint8_t* pixels;
  ptrdiff_t bottom_delta;  // from a block's top-row load to its bottom-row load
  int width;
  int height;
  int stride_bytes;
};

// Four neighbouring output pixels, ready to blend: where each one's 2x2 block
// starts, and its column and row weights.
struct PixelGroup {
  alignas(16) int32_t offsets[4];
  __m128i column_weights;  // lane k: byte pair (column base_x, column base_x + 1)
  __m128i row_weights;     // lane k: 16-bit pair (row base_y, row base_y + 1)
};

template <int kBytesPerPixel, BorderMode kBorder>
HT_TARGET_SSE41 inline void PrepareGroup(__m128i fixed_x, __m128i fixed_y, const WarpConstants& c,
                                         PixelGroup* group) {
  __m128i base_x, base_y;
  group->column_weights = AxisWeights<kBorder, 8>(fixed_x, c.width, &base_x);
  group->row_weights = AxisWeights<kBorder, 16>(fixed_y, c.height, &base_y);
  _mm_store_si128(reinterpret_cast<__m128i*>(group->offsets),
                  _mm_add_epi32(_mm_mullo_epi32(base_y, _mm_set1_epi32(c.stride_bytes)),
                                ColumnBytes<kBytesPerPixel>(base_x)));
}

// [8 bytes of the block's top row | 8 bytes of its bottom row].
HT_TARGET_SSE41 inline __m128i LoadBlock(const uint8_t* top, ptrdiff_t bottom_delta) {
  return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(top)),
                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(top + bottom_delta)));
}

// One pixel: R, G, B in lanes 0..2, zero in lane 3. The weights are already spread
// over the register (byte pairs, 16-bit pairs).
HT_TARGET_SSE41 inline __m128 BlendPixel(__m128i block, __m128i channel_shuffle, __m128i column_weights,
                                         __m128i row_weights) {
  const __m128i quads = _mm_shuffle_epi8(block, channel_shuffle);
  const __m128i sums = _mm_madd_epi16(_mm_maddubs_epi16(quads, column_weights), row_weights);
  const __m128i levels =
      _mm_srai_epi32(_mm_add_epi32(sums, _mm_set1_epi32(1 << (kWeightBits - 1))), kWeightBits);
  return _mm_mul_ps(_mm_cvtepi32_ps(levels), _mm_set1_ps(kLevelScale));
}

// The same for two pixels, one per 128-bit lane.
HT_TARGET_AVX2 inline __m256 BlendPixelPair(__m256i blocks, __m256i channel_shuffle, __m256i column_weights,
                                            __m256i row_weights) {
  const __m256i quads = _mm256_shuffle_epi8(blocks, channel_shuffle);
  const __m256i sums = _mm256_madd_epi16(_mm256_maddubs_epi16(quads, column_weights), row_weights);
  const __m256i levels =
      _mm256_srai_epi32(_mm256_add_epi32(sums, _mm256_set1_epi32(1 << (kWeightBits - 1))), kWeightBits);
  return _mm256_mul_ps(_mm256_cvtepi32_ps(levels), _mm256_set1_ps(kLevelScale));
}

HT_TARGET_AVX2 inline __m256i BroadcastEightBytes(const uint8_t* bytes) {
  int64_t value;
  std::memcpy(&value, bytes, sizeof(value));
  return _mm256_set1_epi64x(value);
}

// [block low | block high]: four 8-byte broadcast loads merged by blends, which keeps
// the work off the shuffle port that inserting a 128-bit lane would need.
HT_TARGET_AVX2 inline __m256i LoadBlockPair(const uint8_t* top_low, const uint8_t* top_high,
                                            ptrdiff_t bottom_delta) {
  __m256i blocks = _mm256_blend_epi32(BroadcastEightBytes(top_low),
                                      BroadcastEightBytes(top_low + bottom_delta), 0b00001100);
  blocks = _mm256_blend_epi32(blocks, BroadcastEightBytes(top_high), 0b00110000);
  return _mm256_blend_epi32(blocks, BroadcastEightBytes(top_high + bottom_delta), 0b11000000);
}

// Pixel k of a group, on its own.
template <int k>
HT_TARGET_SSE41 inline __m128 BlendGroupPixel(const WarpConstants& c, const PixelGroup& group,
                                              __m128i channel_shuffle) {
  return BlendPixel(LoadBlock(c.pixels + group.offsets[k], c.bottom_delta), channel_shuffle,
                    _mm_shuffle_epi8(group.column_weights, Load128(kBroadcastWord[k].data())),
                    _mm_shuffle_epi32(group.row_weights, k * 0x55));
}

// Lane 3 lands on the next pixel's red, which is written after it; only the
// tensor's last pixel has no successor.
HT_TARGET_SSE41 inline void StorePixel(__m128 values, float* dst, const float* out_end) {
  if (dst + 4 <= out_end) {
    _mm_storeu_ps(dst, values);
  } else {
    _mm_storel_pi(reinterpret_cast<__m64*>(dst), values);
    _mm_store_ss(dst + 2, _mm_movehl_ps(values, values));
  }
}

HT_TARGET_AVX2 inline void StorePixelPair(__m256 values, float* dst, const float* out_end) {
  _mm_storeu_ps(dst, _mm256_castps256_ps128(values));
  if (dst + 7 <= out_end) {
    _mm_storeu_ps(dst + 3, _mm256_extractf128_ps(values, 1));  // one store, no shuffle
  } else {
    StorePixel(_mm256_extractf128_ps(values, 1), dst + 3, out_end);
  }
}

// The pixels of a group that ends the row early, one at a time.
HT_TARGET_SSE41 inline void BlendPartialGroup(const WarpConstants& c, const PixelGroup& group,
                                              __m128i channel_shuffle, int count, float* dst,
                                              const float* out_end) {
  StorePixel(BlendGroupPixel<0>(c, group, channel_shuffle), dst, out_end);
  if (count > 1) StorePixel(BlendGroupPixel<1>(c, group, channel_shuffle), dst + 3, out_end);
  if (count > 2) StorePixel(BlendGroupPixel<2>(c, group, channel_shuffle), dst + 6, out_end);
}

// kZero, and the whole tensor row reads one source row (axis-aligned regions, the
// letterbox): the row is black when neither neighbour row is in the image.
template <BorderMode kBorder>
inline bool RowIsBlack(const SamplingGrid& grid, int fixed_y, int height) {
  if constexpr (kBorder != BorderMode::kZero) return false;
  const int cell_y = fixed_y >> kInterBits;
  return grid.column_step_y == 0.0 && (cell_y < -1 || cell_y > height - 1);
}

inline void FillBlack(float* dst, int out_width) {
  std::fill(dst, dst + static_cast<size_t>(out_width) * 3, 0.0f);
}

// Groups prepared before any of them is blended: one group's chain from coordinates
// to stored pixels is long, and interleaving the two phases over a chunk of groups
// keeps many independent loads and blends in flight instead of a few whole chains.
constexpr int kChunkGroups = 16;

template <int kBytesPerPixel, bool kSwapRedBlue, BorderMode kBorder>
HT_TARGET_SSE41 void WarpRowsSse41(const WarpConstants& c, const SamplingGrid& grid, int out_width,
                                   int out_height, float* out) {
  const __m128i channel_shuffle = Load128(kChannelShuffle<kBytesPerPixel, kSwapRedBlue>.data());
  const __m128d column_step_x = _mm_set1_pd(grid.column_step_x);
  const __m128d column_step_y = _mm_set1_pd(grid.column_step_y);
  const float* const out_end = out + static_cast<size_t>(out_width) * out_height * 3;
  const int row_groups = (out_width + 3) / 4;
  PixelGroup groups[kChunkGroups];
  for (int y = 0; y < out_height; ++y) {
    const __m128d row_x = _mm_set1_pd(grid.origin_x + y * grid.row_step_x);
    const __m128d row_y = _mm_set1_pd(grid.origin_y + y * grid.row_step_y);
    float* dst = out + static_cast<size_t>(y) * out_width * 3;
    __m128d xs01 = _mm_setr_pd(0.0, 1.0);
    __m128d xs23 = _mm_setr_pd(2.0, 3.0);
    if (RowIsBlack<kBorder>(grid, _mm_cvtsi128_si32(FixedCoordinates(row_y, xs01, xs23, column_step_y)),
                            c.height)) {
      FillBlack(dst, out_width);
      continue;
    }
    for (int first_group = 0; first_group < row_groups; first_group += kChunkGroups) {
      const int chunk = std::min(kChunkGroups, row_groups - first_group);
      for (int g = 0; g < chunk; ++g) {
        PrepareGroup<kBytesPerPixel, kBorder>(FixedCoordinates(row_x, xs01, xs23, column_step_x),
                                              FixedCoordinates(row_y, xs01, xs23, column_step_y), c,
                                              &groups[g]);
        xs01 = _mm_add_pd(xs01, _mm_set1_pd(4.0));
        xs23 = _mm_add_pd(xs23, _mm_set1_pd(4.0));
      }
      for (int g = 0; g < chunk; ++g, dst += 12) {
        const int x = 4 * (first_group + g);
        if (out_width - x < 4) {
          BlendPartialGroup(c, groups[g], channel_shuffle, out_width - x, dst, out_end);
          break;
        }
        StorePixel(BlendGroupPixel<0>(c, groups[g], channel_shuffle), dst, out_end);
        StorePixel(BlendGroupPixel<1>(c, groups[g], channel_shuffle), dst + 3, out_end);
        StorePixel(BlendGroupPixel<2>(c, groups[g], channel_shuffle), dst + 6, out_end);
        StorePixel(BlendGroupPixel<3>(c, groups[g], channel_shuffle), dst + 9, out_end);
      }
    }
  }
}

// Pixels k and k + 1 of a group; column_weights and row_weights hold the group's
// weights in both 128-bit lanes.
template <int k>
HT_TARGET_AVX2 inline __m256 BlendGroupPair(const WarpConstants& c, const PixelGroup& group,
                                            __m256i column_weights, __m256i row_weights,
                                            __m256i channel_shuffle) {
  static_assert(k == 0 || k == 2);
  return BlendPixelPair(
      LoadBlockPair(c.pixels + group.offsets[k], c.pixels + group.offsets[k + 1], c.bottom_delta),
      channel_shuffle, _mm256_shuffle_epi8(column_weights, Load256(kBroadcastWord[k].data())),
      _mm256_shuffle_epi8(row_weights, Load256(kBroadcastDwordPair[k / 2].data())));
}

template <int kBytesPerPixel, bool kSwapRedBlue, BorderMode kBorder>
HT_TARGET_AVX2 void WarpRowsAvx2(const WarpConstants& c, const SamplingGrid& grid, int out_width,
                                 int out_height, float* out) {
  const __m128i channel_shuffle = Load128(kChannelShuffle<kBytesPerPixel, kSwapRedBlue>.data());
  const __m256i channel_shuffle_pair = _mm256_broadcastsi128_si256(channel_shuffle);
  const __m256d column_step_x = _mm256_set1_pd(grid.column_step_x);
  const __m256d column_step_y = _mm256_set1_pd(grid.column_step_y);
  const float* const out_end = out + static_cast<size_t>(out_width) * out_height * 3;
  const int row_groups = (out_width + 3) / 4;
  PixelGroup groups[kChunkGroups];
  for (int y = 0; y < out_height; ++y) {
    const __m256d row_x = _mm256_set1_pd(grid.origin_x + y * grid.row_step_x);
    const __m256d row_y = _mm256_set1_pd(grid.origin_y + y * grid.row_step_y);
    float* dst = out + static_cast<size_t>(y) * out_width * 3;
    __m256d xs = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
    if (RowIsBlack<kBorder>(grid, _mm_cvtsi128_si32(FixedCoordinates(row_y, xs, column_step_y)), c.height)) {
      FillBlack(dst, out_width);
      continue;
    }
    for (int first_group = 0; first_group < row_groups; first_group += kChunkGroups) {
      const int chunk = std::min(kChunkGroups, row_groups - first_group);
      for (int g = 0; g < chunk; ++g, xs = _mm256_add_pd(xs, _mm256_set1_pd(4.0))) {
        PrepareGroup<kBytesPerPixel, kBorder>(FixedCoordinates(row_x, xs, column_step_x),
                                              FixedCoordinates(row_y, xs, column_step_y), c, &groups[g]);
      }
      for (int g = 0; g < chunk; ++g, dst += 12) {
        const int x = 4 * (first_group + g);
        if (out_width - x < 4) {
          BlendPartialGroup(c, groups[g], channel_shuffle, out_width - x, dst, out_end);
          break;
        }
        const __m256i column_weights = _mm256_broadcastsi128_si256(groups[g].column_weights);
        const __m256i row_weights = _mm256_broadcastsi128_si256(groups[g].row_weights);
        StorePixelPair(BlendGroupPair<0>(c, groups[g], column_weights, row_weights, channel_shuffle_pair),
                       dst, out_end);
        StorePixelPair(BlendGroupPair<2>(c, groups[g], column_weights, row_weights, channel_shuffle_pair),
                       dst + 6, out_end);
      }
    }
  }
}

// Axis-aligned grids (column_step_y == row_step_x == 0, the letterbox): every tensor
// row reads the same source columns with the same weights, and each tensor row one
// pair of source rows, so both are worked out once (x * 0.0 adds a zero to the other
// coordinate, which changes no rounding).
template <int kBytesPerPixel, bool kSwapRedBlue, BorderMode kBorder>
HT_TARGET_AVX2 void WarpAxisAlignedRowsAvx2(const WarpConstants& c, const SamplingGrid& grid, int out_width,
                                            int out_height, float* out) {
  const __m128i channel_shuffle = Load128(kChannelShuffle<kBytesPerPixel, kSwapRedBlue>.data());
  const __m256i channel_shuffle_pair = _mm256_broadcastsi128_si256(channel_shuffle);
  const float* const out_end = out + static_cast<size_t>(out_width) * out_height * 3;

  const int groups = (out_width + 3) / 4;
  alignas(16) int32_t column_bytes[kMaxAxisAlignedWidth + 3];
  __m128i column_weights[kMaxAxisAlignedWidth / 4];
  {
    const __m256d row_x = _mm256_set1_pd(grid.origin_x + 0 * grid.row_step_x);
    const __m256d column_step_x = _mm256_set1_pd(grid.column_step_x);
    __m256d xs = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
    for (int g = 0; g < groups; ++g, xs = _mm256_add_pd(xs, _mm256_set1_pd(4.0))) {
      __m128i base_x;
      column_weights[g] =
          AxisWeights<kBorder, 8>(FixedCoordinates(row_x, xs, column_step_x), c.width, &base_x);
      _mm_store_si128(reinterpret_cast<__m128i*>(column_bytes + 4 * g), ColumnBytes<kBytesPerPixel>(base_x));
    }
  }

  for (int y = 0; y < out_height; ++y) {
    const __m256d row_y = _mm256_set1_pd(grid.origin_y + y * grid.row_step_y);
    const __m128i fixed_y = FixedCoordinates(row_y, _mm256_setzero_pd(), _mm256_set1_pd(grid.column_step_y));
    float* dst = out + static_cast<size_t>(y) * out_width * 3;
    if (RowIsBlack<kBorder>(grid, _mm_cvtsi128_si32(fixed_y), c.height)) {
      FillBlack(dst, out_width);
      continue;
    }
    __m128i base_y;
    const __m128i row_weights = AxisWeights<kBorder, 16>(fixed_y, c.height, &base_y);  // 4 equal lanes
    const __m256i row_weights_pair = _mm256_broadcastsi128_si256(row_weights);
    const uint8_t* const row = c.pixels + static_cast<ptrdiff_t>(_mm_cvtsi128_si32(base_y)) * c.stride_bytes;
    const int full_groups = out_width / 4;
    for (int g = 0; g < full_groups; ++g, dst += 12) {
      const int32_t* bytes = column_bytes + 4 * g;
      const __m256i weights = _mm256_broadcastsi128_si256(column_weights[g]);
      StorePixelPair(
          BlendPixelPair(LoadBlockPair(row + bytes[0], row + bytes[1], c.bottom_delta), channel_shuffle_pair,
                         _mm256_shuffle_epi8(weights, Load256(kBroadcastWord[0].data())), row_weights_pair),
          dst, out_end);
      StorePixelPair(
          BlendPixelPair(LoadBlockPair(row + bytes[2], row + bytes[3], c.bottom_delta), channel_shuffle_pair,
                         _mm256_shuffle_epi8(weights, Load256(kBroadcastWord[2].data())), row_weights_pair),
          dst + 6, out_end);
    }
    for (int x = full_groups * 4; x < out_width; ++x, dst += 3) {
      const __m128i weights = _mm_shuffle_epi8(column_weights[x / 4], Load128(kBroadcastWord[x % 4].data()));
      StorePixel(
          BlendPixel(LoadBlock(row + column_bytes[x], c.bottom_delta), channel_shuffle, weights, row_weights),
          dst, out_end);
    }
  }
}

enum class Variant { kSse41, kAvx2, kAvx2AxisAligned };

template <BorderMode kBorder, int kBytesPerPixel, bool kSwapRedBlue>
void WarpRowsVariant(Variant variant, const WarpConstants& c, const SamplingGrid& grid, int out_width,
                     int out_height, float* out) {
  switch (variant) {
    case Variant::kSse41:
      return WarpRowsSse41<kBytesPerPixel, kSwapRedBlue, kBorder>(c, grid, out_width, out_height, out);
    case Variant::kAvx2:
      return WarpRowsAvx2<kBytesPerPixel, kSwapRedBlue, kBorder>(c, grid, out_width, out_height, out);
    case Variant::kAvx2AxisAligned:
      return WarpAxisAlignedRowsAvx2<kBytesPerPixel, kSwapRedBlue, kBorder>(c, grid, out_width, out_height,
                                                                            out);
  }
}

template <BorderMode kBorder>
void WarpRowsForFormat(Variant variant, PixelFormat format, const WarpConstants& c, const SamplingGrid& grid,
                       int out_width, int out_height, float* out) {
  switch (format) {
    case PixelFormat::kRGB:
      return WarpRowsVariant<kBorder, 3, false>(variant, c, grid, out_width, out_height, out);
    case PixelFormat::kBGR:
      return WarpRowsVariant<kBorder, 3, true>(variant, c, grid, out_width, out_height, out);
    case PixelFormat::kRGBA:
      return WarpRowsVariant<kBorder, 4, false>(variant, c, grid, out_width, out_height, out);
    case PixelFormat::kBGRA:
      return WarpRowsVariant<kBorder, 4, true>(variant, c, grid, out_width, out_height, out);
  }
}

VectorIsa CpuVectorIsa() {
  static const VectorIsa isa = [] {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2")) return VectorIsa::kAvx2;
    if (__builtin_cpu_supports("sse4.1")) return VectorIsa::kSse41;
    return VectorIsa::kNone;
  }();
  return isa;
}

// True when every coordinate the vector loops convert, including those of the up
// to 3 lanes past a row's end, stays far inside the range where no clamping happens.
bool CoordinatesFitWithoutClamping(const SamplingGrid& grid, int out_width, int out_height) {
  const double columns = out_width + 3.0;
  const double reach_x = std::abs(grid.origin_x) + columns * std::abs(grid.column_step_x) +
                         out_height * std::abs(grid.row_step_x);
  const double reach_y = std::abs(grid.origin_y) + columns * std::abs(grid.column_step_y) +
                         out_height * std::abs(grid.row_step_y);
  // NaN fails both comparisons.
  return reach_x * kInterSteps < kMaxFixedCoordinate && reach_y * kInterSteps < kMaxFixedCoordinate;
}

// Byte offsets of the 2x2 blocks, plus the 8-byte loads, fit in 32 bits.
bool OffsetsFitInt32(const ImageView& image) {
  const int64_t last_block = static_cast<int64_t>(image.height - 1) * image.stride_bytes +
                             static_cast<int64_t>(image.width) * BytesPerPixel(image.format) + 8;
  return last_block < (int64_t{1} << 31);
}

}  // namespace
#endif  // HANDTRACK_SAMPLER_X86

VectorIsa BestVectorIsa() {
#if HANDTRACK_SAMPLER_X86
  return CpuVectorIsa();
#else
  return VectorIsa::kNone;
#endif
}

bool WarpRowsSimd(const ImageView& image, const SamplingGrid& grid, int out_width, int out_height,
                  BorderMode border, VectorIsa isa, float* out) {
#if HANDTRACK_SAMPLER_X86
  isa = std::min(isa, CpuVectorIsa());
  if (isa == VectorIsa::kNone || image.width < 2 || image.height < 2 || !OffsetsFitInt32(image) ||
      !CoordinatesFitWithoutClamping(grid, out_width, out_height)) {
    return false;
  }
  const WarpConstants constants{image.data,
                                image.stride_bytes - BottomLoadOffset(BytesPerPixel(image.format)),
                                image.width, image.height, image.stride_bytes};
  Variant variant = Variant::kSse41;
  if (isa == VectorIsa::kAvx2) {
    const bool axis_aligned = grid.column_step_y == 0.0 && grid.row_step_x == 0.0;
    variant = axis_aligned && out_width <= kMaxAxisAlignedWidth ? Variant::kAvx2AxisAligned : Variant::kAvx2;
  }
  if (border == BorderMode::kZero) {
    WarpRowsForFormat<BorderMode::kZero>(variant, image.format, constants, grid, out_width, out_height, out);
  } else {
    WarpRowsForFormat<BorderMode::kReplicate>(variant, image.format, constants, grid, out_width, out_height,
                                              out);
  }
  return true;
#else
  (void)image, (void)grid, (void)out_width, (void)out_height, (void)border, (void)isa, (void)out;
  return false;
#endif
}

}  // namespace handtrack::vision::internal
