#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// alpha is per channel (the innermost axis).
void PRelu(const KernelArgs& args) {
  const int64_t n = args.output_tensor().num_elements();
  const int64_t channels = args.input_tensor(1).num_elements();
  const float* in = args.inputs[0];
  const float* alpha = args.inputs[1];
  float* out = args.outputs[0];
  for (int64_t i = 0; i < n; ++i) out[i] = in[i] >= 0.0f ? in[i] : in[i] * alpha[i % channels];
}

}  // namespace handtrack::backend::reference
