// PRELU with one slope per channel (the innermost axis). One that follows a
// convolution, directly or after a fused ADD, is fused into it instead.
#include <algorithm>

#include "backend/wasm/ops.h"
#include "backend/wasm/simd.h"

namespace handtrack::backend::wasm {
namespace {

class PReluStep : public Step {
 public:
  PReluStep(const model::Graph& graph, const model::Node& node)
      : in_(node.inputs[0]), out_(node.outputs[0]), slopes_(graph.tensors[node.inputs[1]].f32) {
    const auto& shape = graph.tensors[node.outputs[0]].shape;
    channels_ = shape.back();
    pixels_ = static_cast<int>(graph.tensors[node.outputs[0]].num_elements() / channels_);
  }
  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* in = buffers[in_];
    float* out = buffers[out_];
    ParallelRanges(pool, pixels_, 64, [&](int begin, int end) {
      const Vec zero = Splat(0.0f);
      for (int p = begin; p < end; ++p) {
        const float* src = in + static_cast<size_t>(p) * channels_;
        float* dst = out + static_cast<size_t>(p) * channels_;
        int c = 0;
        for (; c + kLanes <= channels_; c += kLanes) {
          const Vec v = Load(src + c);
          Store(dst + c, Add(Max(v, zero), Mul(Load(slopes_.data() + c), Min(v, zero))));
        }
        for (; c < channels_; ++c) dst[c] = src[c] >= 0.0f ? src[c] : src[c] * slopes_[c];
      }
    });
  }

 private:
  int in_, out_;
  std::vector<float> slopes_;
  int channels_ = 1, pixels_ = 0;
};

}  // namespace

Status SupportsPRelu(const model::Graph& graph, const model::Node& node) {
  const model::Tensor& in = graph.tensors[node.inputs[0]];
  const model::Tensor& slopes = graph.tensors[node.inputs[1]];
  if (!slopes.is_constant) return UnsupportedError("PRELU with non-constant slopes");
  if (in.shape.empty() || slopes.num_elements() != in.shape.back())
    return UnsupportedError("PRELU whose slopes are not one per channel");
  return Status::Ok();
}

std::unique_ptr<Step> PreparePRelu(const model::Graph& graph, const model::Node& node, const FusedTail&) {
  return std::make_unique<PReluStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
