// ADD of two tensors of the same shape (no broadcasting: that stays with the
// reference backend), with its activation. An ADD that follows a convolution
// is usually fused into it instead (wasm_backend.cc).
#include "backend/wasm/ops.h"
#include "backend/wasm/simd.h"

namespace handtrack::backend::wasm {
namespace {

class AddStep : public Step {
 public:
  AddStep(const model::Graph& graph, const model::Node& node)
      : a_(node.inputs[0]),
        b_(node.inputs[1]),
        out_(node.outputs[0]),
        count_(static_cast<int>(graph.tensors[node.outputs[0]].num_elements())) {
    clamp_ = ActivationRange(node.params.activation, min_, max_);
  }
  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* a = buffers[a_];
    const float* b = buffers[b_];
    float* out = buffers[out_];
    ParallelRanges(pool, count_, 4096, [&](int begin, int end) {
      const Vec low = Splat(min_), high = Splat(max_);
      int i = begin;
      for (; i + kLanes <= end; i += kLanes) {
        Vec v = Add(Load(a + i), Load(b + i));
        if (clamp_) v = Min(Max(v, low), high);
        Store(out + i, v);
      }
      for (; i < end; ++i) {
        float v = a[i] + b[i];
        if (clamp_) v = std::min(std::max(v, min_), max_);
        out[i] = v;
      }
    });
  }

 private:
  int a_, b_, out_, count_;
  bool clamp_ = false;
  float min_ = 0, max_ = 0;
};

}  // namespace

Status SupportsAdd(const model::Graph& graph, const model::Node& node) {
  const model::Tensor& a = graph.tensors[node.inputs[0]];
  const model::Tensor& b = graph.tensors[node.inputs[1]];
  if (a.shape != b.shape) return UnsupportedError("ADD with broadcasting");
  if (a.is_constant || b.is_constant) return UnsupportedError("ADD of a constant");
  return Status::Ok();
}

std::unique_ptr<Step> PrepareAdd(const model::Graph& graph, const model::Node& node, const FusedTail&) {
  return std::make_unique<AddStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
