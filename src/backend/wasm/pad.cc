// PAD with zeros, any rank: BlazePalm's channel padding on its shortcuts.
// Keeping it here keeps each palm block in one wasm segment, so that the ADD
// after it can be fused into the block's convolution.
#include <algorithm>
#include <cstring>

#include "backend/wasm/ops.h"

namespace handtrack::backend::wasm {
namespace {

class PadStep : public Step {
 public:
  PadStep(const model::Graph& graph, const model::Node& node)
      : in_(node.inputs[0]),
        out_(node.outputs[0]),
        in_shape_(graph.tensors[node.inputs[0]].shape),
        out_shape_(graph.tensors[node.outputs[0]].shape),
        paddings_(graph.tensors[node.inputs[1]].i32),
        out_count_(graph.tensors[node.outputs[0]].num_elements()),
        in_count_(graph.tensors[node.inputs[0]].num_elements()) {}

  void Run(float* const* buffers, ThreadPool&) const override {
    const float* in = buffers[in_];
    float* out = buffers[out_];
    std::fill(out, out + out_count_, 0.0f);
    const int rank = static_cast<int>(in_shape_.size());
    if (rank == 0) {
      out[0] = in[0];
      return;
    }
    // Each innermost input row goes to its place in the output.
    const int64_t row = in_shape_[rank - 1];
    const int64_t rows = in_count_ / row;
    std::vector<int> index(rank, 0);
    for (int64_t r = 0; r < rows; ++r) {
      int64_t offset = 0;
      for (int d = 0; d < rank; ++d) offset = offset * out_shape_[d] + index[d] + paddings_[2 * d];
      std::memcpy(out + offset, in + r * row, sizeof(float) * row);
      for (int d = rank - 2; d >= 0; --d) {
        if (++index[d] < in_shape_[d]) break;
        index[d] = 0;
      }
    }
  }

 private:
  int in_, out_;
  std::vector<int> in_shape_, out_shape_;
  std::vector<int32_t> paddings_;
  int64_t out_count_, in_count_;
};

}  // namespace

Status SupportsPad(const model::Graph& graph, const model::Node& node) {
  const model::Tensor& paddings = graph.tensors[node.inputs[1]];
  if (!paddings.is_constant || paddings.type != model::DataType::kInt32)
    return UnsupportedError("PAD with non-constant paddings");
  if (node.inputs.size() > 2) return UnsupportedError("PAD with a constant value other than zero");
  return Status::Ok();
}

std::unique_ptr<Step> PreparePad(const model::Graph& graph, const model::Node& node, const FusedTail&) {
  return std::make_unique<PadStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
