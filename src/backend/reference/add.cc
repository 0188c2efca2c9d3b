#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

void Add(const KernelArgs& args) {
  const int64_t n = args.output_tensor().num_elements();
  const float* a = args.inputs[0];
  const float* b = args.inputs[1];
  float* out = args.outputs[0];
  for (int64_t i = 0; i < n; ++i) out[i] = ApplyActivation(a[i] + b[i], args.node.params.activation);
}

}  // namespace handtrack::backend::reference
