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
    const model::NodeParams& p = node.params;
    g_ = WindowOf(graph, node, p.filter_h, p.filter_w);
    clamp_ = ActivationRange(p.activation, min_, max_);
  }

  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* in = buffers[in_];
    float* out = buffers[out_];
    ParallelRanges(pool, g_.batch * g_.out_h, 1, [&](int begin, int end) {
      for (int row = begin; row < end; ++row) {
        const int n = row / g_.out_h, oy = row % g_.out_h;
        const int y0 = std::max(0, oy * g_.stride_h - g_.pad_top);
        const int y1 = std::min(g_.in_h, oy * g_.stride_h - g_.pad_top + g_.kernel_h);
        for (int ox = 0; ox < g_.out_w; ++ox) {
          const int x0 = std::max(0, ox * g_.stride_w - g_.pad_left);
          const int x1 = std::min(g_.in_w, ox * g_.stride_w - g_.pad_left + g_.kernel_w);
          float* dst = out + ((static_cast<size_t>(n) * g_.out_h + oy) * g_.out_w + ox) * g_.in_c;
          int c = 0;
          for (; c + kLanes <= g_.in_c; c += kLanes) {
            Vec best = Splat(-std::numeric_limits<float>::infinity());
            for (int y = y0; y < y1; ++y)
              for (int x = x0; x < x1; ++x)
                best = Max(best,
                           Load(in + ((static_cast<size_t>(n) * g_.in_h + y) * g_.in_w + x) * g_.in_c + c));
            if (clamp_) best = Min(Max(best, Splat(min_)), Splat(max_));
            Store(dst + c, best);
          }
          for (; c < g_.in_c; ++c) {
            float best = -std::numeric_limits<float>::infinity();
            for (int y = y0; y < y1; ++y)
              for (int x = x0; x < x1; ++x)
                best =
                    std::max(best, in[((static_cast<size_t>(n) * g_.in_h + y) * g_.in_w + x) * g_.in_c + c]);
            if (clamp_) best = std::min(std::max(best, min_), max_);
            dst[c] = best;
          }
        }
      }
    });
  }

 private:
  int in_, out_;
  Window g_;
  bool clamp_ = false;
  float min_ = 0, max_ = 0;
};

}  // namespace

Status SupportsMaxPool2D(const model::Graph&, const model::Node&) { return Status::Ok(); }

std::unique_ptr<Step> PrepareMaxPool2D(const model::Graph& graph, const model::Node& node, const FusedTail&) {
  return std::make_unique<MaxPoolStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
