// MAX_POOL_2D, channels in SIMD lanes. Only in-image elements take part (the
// padding never wins), as in TFLite and the reference backend.
#include <algorithm>
#include <limits>

#include "backend/wasm/ops.h"
#include "backend/wasm/simd.h"

namespace handtrack::backend::wasm {
namespace {

class MaxPoolStep : public Step {
 public:
  MaxPoolStep(const model::Graph& graph, const model::Node& node)
      : in_(node.inputs[0]), out_(node.outputs[0]) {
    const auto& in_shape = graph.tensors[node.inputs[0]].shape;
    const auto& out_shape = graph.tensors[node.outputs[0]].shape;
    const model::NodeParams& p = node.params;
    batch_ = in_shape[0];
    in_h_ = in_shape[1];
    in_w_ = in_shape[2];
    channels_ = in_shape[3];
    out_h_ = out_shape[1];
    out_w_ = out_shape[2];
    filter_h_ = p.filter_h;
    filter_w_ = p.filter_w;
    stride_h_ = p.stride_h;
    stride_w_ = p.stride_w;
    pad_top_ = PaddingBefore(in_h_, out_h_, filter_h_, stride_h_, 1, p.padding);
    pad_left_ = PaddingBefore(in_w_, out_w_, filter_w_, stride_w_, 1, p.padding);
    clamp_ = ActivationRange(p.activation, min_, max_);
  }

  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* in = buffers[in_];
    float* out = buffers[out_];
    ParallelRanges(pool, batch_ * out_h_, 1, [&](int begin, int end) {
      for (int row = begin; row < end; ++row) {
        const int n = row / out_h_, oy = row % out_h_;
        const int y0 = std::max(0, oy * stride_h_ - pad_top_);
        const int y1 = std::min(in_h_, oy * stride_h_ - pad_top_ + filter_h_);
        for (int ox = 0; ox < out_w_; ++ox) {
          const int x0 = std::max(0, ox * stride_w_ - pad_left_);
          const int x1 = std::min(in_w_, ox * stride_w_ - pad_left_ + filter_w_);
          float* dst = out + ((static_cast<size_t>(n) * out_h_ + oy) * out_w_ + ox) * channels_;
          int c = 0;
          for (; c + kLanes <= channels_; c += kLanes) {
            Vec best = Splat(-std::numeric_limits<float>::infinity());
            for (int y = y0; y < y1; ++y)
              for (int x = x0; x < x1; ++x)
                best =
                    Max(best, Load(in + ((static_cast<size_t>(n) * in_h_ + y) * in_w_ + x) * channels_ + c));
            if (clamp_) best = Min(Max(best, Splat(min_)), Splat(max_));
            Store(dst + c, best);
          }
          for (; c < channels_; ++c) {
            float best = -std::numeric_limits<float>::infinity();
            for (int y = y0; y < y1; ++y)
              for (int x = x0; x < x1; ++x)
                best = std::max(best, in[((static_cast<size_t>(n) * in_h_ + y) * in_w_ + x) * channels_ + c]);
            if (clamp_) best = std::min(std::max(best, min_), max_);
            dst[c] = best;
          }
        }
      }
    });
  }

 private:
  int in_, out_;
  int batch_ = 0, in_h_ = 0, in_w_ = 0, channels_ = 0, out_h_ = 0, out_w_ = 0;
  int filter_h_ = 1, filter_w_ = 1, stride_h_ = 1, stride_w_ = 1, pad_top_ = 0, pad_left_ = 0;
  bool clamp_ = false;
  float min_ = 0, max_ = 0;
};

}  // namespace

Status SupportsMaxPool2D(const model::Graph&, const model::Node&) { return Status::Ok(); }

std::unique_ptr<Step> PrepareMaxPool2D(const model::Graph& graph, const model::Node& node, const FusedTail&) {
  return std::make_unique<MaxPoolStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
