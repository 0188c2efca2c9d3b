// The wasm backend's matrix product, the core of every convolution (1x1
// convolutions are one product over the pixels; others first gather each
// pixel's window into a row, see conv2d.cc), with the element-wise work that
// follows a convolution in these models fused into the store: bias, the
// activation, a residual ADD and its activation, and PRELU. Fusing saves a
// full pass over the activations per fused node.
#pragma once

#include <vector>

namespace handtrack::backend::wasm {

// Output channels per weight panel: two SIMD128 vectors.
inline constexpr int kPanelWidth = 8;

// Weights packed for the micro-kernel: output channels in panels of
// kPanelWidth, each panel `k` rows of kPanelWidth floats (zeros past `n`).
struct PackedWeights {
  int k = 0;                  // inputs per output (rows of the product)
  int n = 0;                  // output channels
  std::vector<float> panels;  // ceil(n / kPanelWidth) * k * kPanelWidth
  std::vector<float> bias;    // n, padded with zeros to a multiple of kPanelWidth
};

// `filter` is n rows of k floats (TFLite's OHWI filter is exactly that);
// `bias` may be null (zeros).
PackedWeights PackWeights(const float* filter, const float* bias, int n, int k);

// What happens to a product before it is stored, in this order.
struct Epilogue {
  // The convolution's own activation (RELU, RELU6, ...): clamp to [min, max].
  bool clamp = false;
  float clamp_min = 0, clamp_max = 0;
  // A fused ADD: `residual` has the output's layout (row m at m * residual_stride).
  const float* residual = nullptr;
  int residual_stride = 0;
  // The ADD's activation.
  bool clamp_after_add = false;
  float add_min = 0, add_max = 0;
  // A fused PRELU: per-channel slopes, padded to a multiple of kPanelWidth.
  const float* prelu_slopes = nullptr;
};

// c[m * ldc + j] = epilogue(bias[j] + sum_i a[m * lda + i] * w[i][j]) for the
// rows m in [row_begin, row_end) and the output channels j of the weight
// panels [panel_begin, panel_end) (-1: to the last panel), so that a product
// with few rows can be split over its channels too.
void GemmRows(const float* a, int lda, const PackedWeights& weights, const Epilogue& epilogue, float* c,
              int ldc, int row_begin, int row_end, int panel_begin = 0, int panel_end = -1);

// Weight panels of a product (kPanelWidth output channels each).
inline int PanelCount(const PackedWeights& weights) { return (weights.n + kPanelWidth - 1) / kPanelWidth; }

}  // namespace handtrack::backend::wasm
