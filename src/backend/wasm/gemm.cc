#include "backend/wasm/gemm.h"

#include <algorithm>
#include <cstring>

#include "backend/wasm/simd.h"

namespace handtrack::backend::wasm {
namespace {

// Rows per micro-kernel call: 4 rows x 8 channels keep 8 accumulators, two
// weight vectors and a splat in registers. (6 rows, 15 live vectors, measured
// slower in V8 on x86: its register allocator spills them.)
constexpr int kRowsPerTile = 4;

// Which parts of the epilogue a kernel instance applies, as template flags:
// the store runs once per 8 outputs, and for the models' thin layers (16 to
// 32 inputs) runtime branches there cost as much as the products.
enum EpilogueFlags : unsigned { kClamp = 1, kResidual = 2, kPrelu = 4 };

#if defined(__GNUC__)
#define HANDTRACK_WASM_INLINE inline __attribute__((always_inline))
#else
#define HANDTRACK_WASM_INLINE inline
#endif

template <unsigned kFlags>
HANDTRACK_WASM_INLINE Vec ApplyEpilogue(Vec v, const Epilogue& e, const float* residual,
                                        const float* slopes) {
  if constexpr ((kFlags & kClamp) != 0) v = Min(Max(v, Splat(e.clamp_min)), Splat(e.clamp_max));
  if constexpr ((kFlags & kResidual) != 0) {
    v = Add(v, Load(residual));
    if (e.clamp_after_add) v = Min(Max(v, Splat(e.add_min)), Splat(e.add_max));
  }
  if constexpr ((kFlags & kPrelu) != 0) {
    const Vec zero = Splat(0.0f);
    v = Add(Max(v, zero), Mul(Load(slopes), Min(v, zero)));
  }
  return v;
}

// Row m of the output, channels n0 .. n0 + width - 1, through the epilogue.
template <unsigned kFlags>
HANDTRACK_WASM_INLINE void StoreRow(Vec acc0, Vec acc1, const Epilogue& e, float* c, int ldc, int m, int n0,
                                    int width) {
  float* out = c + static_cast<size_t>(m) * ldc + n0;
  const float* residual = nullptr;
  if constexpr ((kFlags & kResidual) != 0)
    residual = e.residual + static_cast<size_t>(m) * e.residual_stride + n0;
  const float* slopes = nullptr;
  if constexpr ((kFlags & kPrelu) != 0) slopes = e.prelu_slopes + n0;
  // The second half's pointers, offset only when the epilogue uses them: an offset on a null
  // pointer is undefined behaviour (clang's UBSan reports it).
  const float* slopes_high = nullptr;
  if constexpr ((kFlags & kPrelu) != 0) slopes_high = slopes + 4;
  if (width == kPanelWidth) {
    const float* residual_high = nullptr;
    if constexpr ((kFlags & kResidual) != 0) residual_high = residual + 4;
    Store(out, ApplyEpilogue<kFlags>(acc0, e, residual, slopes));
    Store(out + 4, ApplyEpilogue<kFlags>(acc1, e, residual_high, slopes_high));
    return;
  }
  // A partial panel: go through a full-width scratch row so that nothing
  // past the tensor's last channel is read or written.
  alignas(16) float residual_row[kPanelWidth] = {};
  alignas(16) float out_row[kPanelWidth];
  if constexpr ((kFlags & kResidual) != 0) std::memcpy(residual_row, residual, sizeof(float) * width);
  Store(out_row, ApplyEpilogue<kFlags>(acc0, e, residual_row, slopes));
  Store(out_row + 4, ApplyEpilogue<kFlags>(acc1, e, residual_row + 4, slopes_high));
  std::memcpy(out, out_row, sizeof(float) * width);
}

// Rows m0 .. m0 + kRows - 1 of the product with one weight panel (channels
// n0 .. n0 + width - 1, width <= kPanelWidth). Per input step: one value per
// row, splatted straight from memory, times two weight vectors. The
// accumulators are named variables, not an array, so that every compiler
// keeps them in registers: 2 * kRows + 3 live vectors.
template <int kRows, unsigned kFlags>
void Tile(const float* a, int lda, int k, const float* panel, const float* bias, const Epilogue& e, float* c,
          int ldc, int m0, int n0, int width) {
  static_assert(kRows >= 1 && kRows <= kRowsPerTile);
  const Vec bias0 = Load(bias), bias1 = Load(bias + 4);
  Vec acc00 = bias0, acc01 = bias1, acc10 = bias0, acc11 = bias1;
  Vec acc20 = bias0, acc21 = bias1, acc30 = bias0, acc31 = bias1;
  const float* row0 = a + static_cast<size_t>(m0) * lda;
  const float* row1 = kRows > 1 ? row0 + lda : row0;
  const float* row2 = kRows > 2 ? row1 + lda : row0;
  const float* row3 = kRows > 3 ? row2 + lda : row0;
  // One input per iteration. (Unrolling by four measured much slower in V8:
  // the loads clang hoists ahead of the products no longer fit in registers.)
  const float* w = panel;
  for (int i = 0; i < k; ++i, w += kPanelWidth) {
    const Vec w0 = Load(w), w1 = Load(w + 4);
#define HANDTRACK_WASM_GEMM_ROW(r)        \
  if constexpr (kRows > (r)) {            \
    const Vec x = LoadSplat(row##r + i);  \
    acc##r##0 = MulAdd(x, w0, acc##r##0); \
    acc##r##1 = MulAdd(x, w1, acc##r##1); \
  }
    HANDTRACK_WASM_GEMM_ROW(0)
    HANDTRACK_WASM_GEMM_ROW(1)
    HANDTRACK_WASM_GEMM_ROW(2)
    HANDTRACK_WASM_GEMM_ROW(3)
#undef HANDTRACK_WASM_GEMM_ROW
  }
  StoreRow<kFlags>(acc00, acc01, e, c, ldc, m0, n0, width);
  if constexpr (kRows > 1) StoreRow<kFlags>(acc10, acc11, e, c, ldc, m0 + 1, n0, width);
  if constexpr (kRows > 2) StoreRow<kFlags>(acc20, acc21, e, c, ldc, m0 + 2, n0, width);
  if constexpr (kRows > 3) StoreRow<kFlags>(acc30, acc31, e, c, ldc, m0 + 3, n0, width);
}

}  // namespace

PackedWeights PackWeights(const float* filter, const float* bias, int n, int k) {
  PackedWeights packed;
  packed.k = k;
  packed.n = n;
  const int panels = (n + kPanelWidth - 1) / kPanelWidth;
  packed.panels.assign(static_cast<size_t>(panels) * k * kPanelWidth, 0.0f);
  packed.bias.assign(static_cast<size_t>(panels) * kPanelWidth, 0.0f);
  for (int j = 0; j < n; ++j) {
    float* panel = packed.panels.data() + static_cast<size_t>(j / kPanelWidth) * k * kPanelWidth;
    for (int i = 0; i < k; ++i)
      panel[static_cast<size_t>(i) * kPanelWidth + j % kPanelWidth] = filter[static_cast<size_t>(j) * k + i];
    if (bias != nullptr) packed.bias[j] = bias[j];
  }
  return packed;
}

template <unsigned kFlags>
void GemmRowsWith(const float* a, int lda, const PackedWeights& weights, const Epilogue& epilogue, float* c,
                  int ldc, int row_begin, int row_end, int channel_begin, int channel_end) {
  const int k = weights.k;
  const int n = weights.n;
  // Blocks of rows small enough to stay in cache while every panel passes over them.
  constexpr int kRowBlock = 64;  // a multiple of kRowsPerTile
  for (int block = row_begin; block < row_end; block += kRowBlock) {
    const int block_end = std::min(block + kRowBlock, row_end);
    for (int n0 = channel_begin; n0 < channel_end; n0 += kPanelWidth) {
      const float* panel = weights.panels.data() + static_cast<size_t>(n0 / kPanelWidth) * k * kPanelWidth;
      const float* bias = weights.bias.data() + n0;
      const int width = std::min(kPanelWidth, n - n0);
      int m = block;
      for (; m + kRowsPerTile <= block_end; m += kRowsPerTile)
        Tile<kRowsPerTile, kFlags>(a, lda, k, panel, bias, epilogue, c, ldc, m, n0, width);
      switch (block_end - m) {
        case 3:
          Tile<3, kFlags>(a, lda, k, panel, bias, epilogue, c, ldc, m, n0, width);
          break;
        case 2:
          Tile<2, kFlags>(a, lda, k, panel, bias, epilogue, c, ldc, m, n0, width);
          break;
        case 1:
          Tile<1, kFlags>(a, lda, k, panel, bias, epilogue, c, ldc, m, n0, width);
          break;
        default:
          break;
      }
    }
  }
}

void GemmRows(const float* a, int lda, const PackedWeights& weights, const Epilogue& epilogue, float* c,
              int ldc, int row_begin, int row_end, int panel_begin, int panel_end) {
  const int panels = PanelCount(weights);
  if (panel_end < 0 || panel_end > panels) panel_end = panels;
  const int channel_begin = panel_begin * kPanelWidth;
  const int channel_end = std::min(weights.n, panel_end * kPanelWidth);
  const unsigned flags = (epilogue.clamp ? kClamp : 0u) | (epilogue.residual != nullptr ? kResidual : 0u) |
                         (epilogue.prelu_slopes != nullptr ? kPrelu : 0u);
  switch (flags) {
#define HANDTRACK_WASM_GEMM_CASE(f)                                                                \
  case (f):                                                                                        \
    return GemmRowsWith<(f)>(a, lda, weights, epilogue, c, ldc, row_begin, row_end, channel_begin, \
                             channel_end);
    HANDTRACK_WASM_GEMM_CASE(0)
    HANDTRACK_WASM_GEMM_CASE(1)
    HANDTRACK_WASM_GEMM_CASE(2)
    HANDTRACK_WASM_GEMM_CASE(3)
    HANDTRACK_WASM_GEMM_CASE(4)
    HANDTRACK_WASM_GEMM_CASE(5)
    HANDTRACK_WASM_GEMM_CASE(6)
    HANDTRACK_WASM_GEMM_CASE(7)
#undef HANDTRACK_WASM_GEMM_CASE
  }
}

}  // namespace handtrack::backend::wasm
