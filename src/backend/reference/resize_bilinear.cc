#include <cmath>

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {
namespace {

struct Tap {
  int lower, upper;
  float weight;  // of the upper sample
};

// TFLite's source coordinate of an output position, with its two neighbours.
Tap SourceTap(int out_index, int in_size, int out_size, const model::NodeParams& p) {
  const float scale = (p.align_corners && out_size > 1) ? static_cast<float>(in_size - 1) / (out_size - 1)
                                                        : static_cast<float>(in_size) / out_size;
  const float src = p.half_pixel_centers ? (out_index + 0.5f) * scale - 0.5f : out_index * scale;
  const float floor_src = std::floor(src);
  Tap tap;
  tap.lower = std::max(static_cast<int>(floor_src), 0);
  tap.upper = std::min(static_cast<int>(std::ceil(src)), in_size - 1);
  tap.weight = src - floor_src;
  return tap;
}

}  // namespace

void ResizeBilinear(const KernelArgs& args) {
  const auto& in_shape = args.input_tensor(0).shape;
  const auto& out_shape = args.output_tensor().shape;
  const int batch = in_shape[0], in_h = in_shape[1], in_w = in_shape[2], channels = in_shape[3];
  const int out_h = out_shape[1], out_w = out_shape[2];
  const float* in = args.inputs[0];
  float* out = args.outputs[0];
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      const Tap ty = SourceTap(oy, in_h, out_h, args.node.params);
      for (int ox = 0; ox < out_w; ++ox) {
        const Tap tx = SourceTap(ox, in_w, out_w, args.node.params);
        auto at = [&](int y, int x, int c) {
          return in[((static_cast<size_t>(n) * in_h + y) * in_w + x) * channels + c];
        };
        float* dst = out + ((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * channels;
        for (int c = 0; c < channels; ++c) {
          const float top =
              at(ty.lower, tx.lower, c) + (at(ty.lower, tx.upper, c) - at(ty.lower, tx.lower, c)) * tx.weight;
          const float bottom =
              at(ty.upper, tx.lower, c) + (at(ty.upper, tx.upper, c) - at(ty.upper, tx.lower, c)) * tx.weight;
          dst[c] = top + (bottom - top) * ty.weight;
        }
      }
    }
  }
}

}  // namespace handtrack::backend::reference
