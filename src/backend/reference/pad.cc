#include <algorithm>
#include <vector>

#include "backend/reference/kernels.h"

namespace handtrack::backend::reference {

// Zero padding of any rank: fill, then copy each innermost input row to its place.
void Pad(const KernelArgs& args) {
  const auto& in_shape = args.input_tensor(0).shape;
  const auto& out_shape = args.output_tensor().shape;
  const auto& paddings = args.input_tensor(1).i32;
  const int rank = static_cast<int>(in_shape.size());
  float* out = args.outputs[0];
  std::fill(out, out + args.output_tensor().num_elements(), 0.0f);
  if (rank == 0) {
    out[0] = args.inputs[0][0];
    return;
  }
  const int64_t row = in_shape[rank - 1];
  const int64_t rows = args.input_tensor(0).num_elements() / row;
  std::vector<int> index(rank, 0);  // index of the current input row; last axis stays 0
  for (int64_t r = 0; r < rows; ++r) {
    int64_t offset = 0;
    for (int d = 0; d < rank; ++d) offset = offset * out_shape[d] + index[d] + paddings[2 * d];
    std::copy(args.inputs[0] + r * row, args.inputs[0] + (r + 1) * row, out + offset);
    for (int d = rank - 2; d >= 0; --d) {
      if (++index[d] < in_shape[d]) break;
      index[d] = 0;
    }
  }
}

}  // namespace handtrack::backend::reference
