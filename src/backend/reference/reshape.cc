#include <cstring>

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// Dense row-major data is unchanged by a reshape: copy it.
void Reshape(const KernelArgs& args) {
  const int64_t n = args.output_tensor().num_elements();
  if (args.outputs[0] != args.inputs[0]) std::memcpy(args.outputs[0], args.inputs[0], n * sizeof(float));
}

}  // namespace handtrack::backend::reference
