#include "backend/reference/pooling.h"

namespace handtrack::backend::reference {

// TFLite divides by the number of in-image elements, not the window size.
void AveragePool2D(const KernelArgs& args) {
  Pool2D(
      args, 0.0f, [](float acc, float v) { return acc + v; },
      [](float acc, int count) { return acc / static_cast<float>(count); });
}

}  // namespace handtrack::backend::reference
