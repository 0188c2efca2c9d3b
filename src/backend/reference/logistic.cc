#include <cmath>

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

void Logistic(const KernelArgs& args) {
  const int64_t n = args.output_tensor().num_elements();
  const float* in = args.inputs[0];
  float* out = args.outputs[0];
  for (int64_t i = 0; i < n; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
}

}  // namespace handtrack::backend::reference
