#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {
namespace {

void Clamp(const KernelArgs& args, model::Activation activation) {
  const int64_t n = args.output_tensor().num_elements();
  for (int64_t i = 0; i < n; ++i) args.outputs[0][i] = ApplyActivation(args.inputs[0][i], activation);
}

}  // namespace

void Relu(const KernelArgs& args) { Clamp(args, model::Activation::kRelu); }
void Relu6(const KernelArgs& args) { Clamp(args, model::Activation::kRelu6); }

}  // namespace handtrack::backend::reference
