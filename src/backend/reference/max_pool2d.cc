#include <limits>

#include "backend/reference/pooling.h"

namespace handtrack::backend::reference {

// Padding never wins: only in-image elements take part, as in TFLite.
void MaxPool2D(const KernelArgs& args) {
  Pool2D(
      args, -std::numeric_limits<float>::infinity(), [](float acc, float v) { return std::max(acc, v); },
      [](float acc, int) { return acc; });
}

}  // namespace handtrack::backend::reference
