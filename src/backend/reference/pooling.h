// Shared window walk of the two 2-D pooling kernels.
#pragma once

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// Calls reduce(init, value) over every in-image element of each window and
// finish(accumulated, count) for each output element.
template <typename Reduce, typename Finish>
void Pool2D(const KernelArgs& args, float init, Reduce reduce, Finish finish) {
  const auto& in_shape = args.input_tensor(0).shape;
  const auto& out_shape = args.output_tensor().shape;
  const model::NodeParams& p = args.node.params;
  const int batch = in_shape[0], in_h = in_shape[1], in_w = in_shape[2], channels = in_shape[3];
  const int out_h = out_shape[1], out_w = out_shape[2];
  const int pad_top = PaddingBefore(in_h, out_h, p.filter_h, p.stride_h, 1, p.padding);
  const int pad_left = PaddingBefore(in_w, out_w, p.filter_w, p.stride_w, 1, p.padding);
  const float* in = args.inputs[0];
  float* out = args.outputs[0];
  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        const int y0 = std::max(oy * p.stride_h - pad_top, 0);
        const int y1 = std::min(oy * p.stride_h - pad_top + p.filter_h, in_h);
        const int x0 = std::max(ox * p.stride_w - pad_left, 0);
        const int x1 = std::min(ox * p.stride_w - pad_left + p.filter_w, in_w);
        for (int c = 0; c < channels; ++c) {
          float acc = init;
          for (int y = y0; y < y1; ++y) {
            for (int x = x0; x < x1; ++x)
              acc = reduce(acc, in[((static_cast<size_t>(n) * in_h + y) * in_w + x) * channels + c]);
          }
          const int count = std::max((y1 - y0) * (x1 - x0), 1);
          out[((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * channels + c] =
              ApplyActivation(finish(acc, count), p.activation);
        }
      }
    }
  }
}

}  // namespace handtrack::backend::reference
