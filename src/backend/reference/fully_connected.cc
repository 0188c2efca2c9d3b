#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// out[b, o] = bias[o] + sum over i of in[b, i] * weights[o, i]
void FullyConnected(const KernelArgs& args) {
  const auto& w_shape = args.input_tensor(1).shape;
  const int out_features = w_shape[0], in_features = w_shape[1];
  const int64_t batch = args.input_tensor(0).num_elements() / in_features;
  const float* in = args.inputs[0];
  const float* weights = args.inputs[1];
  const float* bias = args.inputs.size() > 2 ? args.inputs[2] : nullptr;
  float* out = args.outputs[0];
  for (int64_t b = 0; b < batch; ++b) {
    for (int o = 0; o < out_features; ++o) {
      float acc = bias ? bias[o] : 0.0f;
      const float* w = weights + static_cast<size_t>(o) * in_features;
      for (int i = 0; i < in_features; ++i) acc += in[b * in_features + i] * w[i];
      out[b * out_features + o] = ApplyActivation(acc, args.node.params.activation);
    }
  }
}

}  // namespace handtrack::backend::reference
