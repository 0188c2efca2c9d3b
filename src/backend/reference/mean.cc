#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// Mean over height and width (the only axes the reader accepts).
void Mean(const KernelArgs& args) {
  const auto& in_shape = args.input_tensor(0).shape;
  const int batch = in_shape[0], pixels = in_shape[1] * in_shape[2], channels = in_shape[3];
  const float* in = args.inputs[0];
  float* out = args.outputs[0];
  for (int n = 0; n < batch; ++n) {
    for (int c = 0; c < channels; ++c) {
      float sum = 0.0f;
      for (int i = 0; i < pixels; ++i) sum += in[(static_cast<size_t>(n) * pixels + i) * channels + c];
      out[static_cast<size_t>(n) * channels + c] = sum / static_cast<float>(pixels);
    }
  }
}

}  // namespace handtrack::backend::reference
