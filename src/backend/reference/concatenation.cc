#include <cstring>

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

void Concatenation(const KernelArgs& args) {
  const auto& out_shape = args.output_tensor().shape;
  const int axis = args.node.params.axis;
  int64_t outer = 1, inner = 1;
  for (int d = 0; d < axis; ++d) outer *= out_shape[d];
  for (size_t d = axis + 1; d < out_shape.size(); ++d) inner *= out_shape[d];
  float* out = args.outputs[0];
  for (int64_t o = 0; o < outer; ++o) {
    for (size_t i = 0; i < args.inputs.size(); ++i) {
      const int64_t chunk = args.input_tensor(i).shape[axis] * inner;
      std::memcpy(out, args.inputs[i] + o * chunk, chunk * sizeof(float));
      out += chunk;
    }
  }
  const int64_t total = args.output_tensor().num_elements();
  for (int64_t i = 0; i < total; ++i) {
    args.outputs[0][i] = ApplyActivation(args.outputs[0][i], args.node.params.activation);
  }
}

}  // namespace handtrack::backend::reference
