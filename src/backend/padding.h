// TFLite's padding rule for windowed ops (convolutions, pooling), shared by
// every backend so that they place windows identically.
#pragma once

#include <algorithm>

#include "model/graph.h"

namespace handtrack::backend {

// Padding before the first element along one axis, TFLite's rule: SAME puts
// the odd extra pixel after (bottom/right).
inline int PaddingBefore(int in, int out, int filter, int stride, int dilation, model::Padding padding) {
  if (padding == model::Padding::kValid) return 0;
  const int effective = (filter - 1) * dilation + 1;
  return std::max((out - 1) * stride + effective - in, 0) / 2;
}

}  // namespace handtrack::backend
