#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// out[n, oy, ox, c * m + k] = bias + sum over (ky, kx) of in[n, iy, ix, c] * filter[0, ky, kx, c * m + k]
void DepthwiseConv2D(const KernelArgs& args) {
  const auto& in_shape = args.input_tensor(0).shape;
  const auto& filter_shape = args.input_tensor(1).shape;
  const auto& out_shape = args.output_tensor().shape;
  const model::NodeParams& p = args.node.params;
  const int batch = in_shape[0], in_h = in_shape[1], in_w = in_shape[2], in_c = in_shape[3];
  const int out_h = out_shape[1], out_w = out_shape[2], out_c = out_shape[3];
  const int kernel_h = filter_shape[1], kernel_w = filter_shape[2];
  const int multiplier = p.depth_multiplier;
  const int pad_top = PaddingBefore(in_h, out_h, kernel_h, p.stride_h, p.dilation_h, p.padding);
  const int pad_left = PaddingBefore(in_w, out_w, kernel_w, p.stride_w, p.dilation_w, p.padding);
  const float* in = args.inputs[0];
  const float* filter = args.inputs[1];
  const float* bias = args.inputs.size() > 2 ? args.inputs[2] : nullptr;
  float* out = args.outputs[0];

  for (int n = 0; n < batch; ++n) {
    for (int oy = 0; oy < out_h; ++oy) {
      for (int ox = 0; ox < out_w; ++ox) {
        float* out_pixel = out + ((static_cast<size_t>(n) * out_h + oy) * out_w + ox) * out_c;
        for (int oc = 0; oc < out_c; ++oc) out_pixel[oc] = bias ? bias[oc] : 0.0f;
        for (int ky = 0; ky < kernel_h; ++ky) {
          const int iy = oy * p.stride_h - pad_top + ky * p.dilation_h;
          if (iy < 0 || iy >= in_h) continue;
          for (int kx = 0; kx < kernel_w; ++kx) {
            const int ix = ox * p.stride_w - pad_left + kx * p.dilation_w;
            if (ix < 0 || ix >= in_w) continue;
            const float* in_pixel = in + ((static_cast<size_t>(n) * in_h + iy) * in_w + ix) * in_c;
            const float* w = filter + (static_cast<size_t>(ky) * kernel_w + kx) * out_c;
            for (int c = 0; c < in_c; ++c) {
              for (int k = 0; k < multiplier; ++k)
                out_pixel[c * multiplier + k] += in_pixel[c] * w[c * multiplier + k];
            }
          }
        }
        for (int oc = 0; oc < out_c; ++oc) out_pixel[oc] = ApplyActivation(out_pixel[oc], p.activation);
      }
    }
  }
}

}  // namespace handtrack::backend::reference
