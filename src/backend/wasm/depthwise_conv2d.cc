// DEPTHWISE_CONV_2D (depth multiplier 1), channels in SIMD lanes: for each
// output pixel, eight channels at a time accumulate every tap of the window
// in two vectors. Output rows are spread over the threads.
#include <algorithm>
#include <cstring>

#include "backend/wasm/ops.h"
#include "backend/wasm/simd.h"

namespace handtrack::backend::wasm {
namespace {

class DepthwiseStep : public Step {
 public:
  DepthwiseStep(const model::Graph& graph, const model::Node& node) {
    const auto& filter = graph.tensors[node.inputs[1]];
    const model::NodeParams& p = node.params;
    g_ = WindowOf(graph, node, filter.shape[1], filter.shape[2]);
    // Channels padded to a multiple of 8 so that the vector loop has no tail
    // in the weights; the input and output are handled exactly (see Pixel).
    padded_channels_ = (g_.in_c + 7) / 8 * 8;
    weights_.assign(static_cast<size_t>(g_.kernel_h) * g_.kernel_w * padded_channels_, 0.0f);
    for (int tap = 0; tap < g_.kernel_h * g_.kernel_w; ++tap)
      std::copy_n(filter.f32.data() + static_cast<size_t>(tap) * g_.in_c, g_.in_c,
                  weights_.data() + static_cast<size_t>(tap) * padded_channels_);
    bias_.assign(padded_channels_, 0.0f);
    zeros_.assign(padded_channels_, 0.0f);
    if (node.inputs.size() > 2 && node.inputs[2] >= 0) {
      const auto& bias = graph.tensors[node.inputs[2]].f32;
      std::copy(bias.begin(), bias.end(), bias_.begin());
    }
    clamp_ = ActivationRange(p.activation, clamp_min_, clamp_max_);
    // Output columns whose window lies inside the image horizontally.
    interior_begin_ = std::min(g_.out_w, (g_.pad_left + g_.stride_w - 1) / g_.stride_w);
    const int last_start =
        g_.in_w - 1 - (g_.kernel_w - 1) * g_.dilation_w + g_.pad_left;  // largest ox * stride allowed
    interior_end_ = last_start < 0
                        ? interior_begin_
                        : std::max(interior_begin_, std::min(g_.out_w, last_start / g_.stride_w + 1));
    input_ = node.inputs[0];
    output_ = node.outputs[0];
  }

  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* in = buffers[input_];
    float* out = buffers[output_];
    ParallelRanges(pool, g_.batch * g_.out_h, 1, [&](int begin, int end) {
      for (int row = begin; row < end; ++row) {
        const int n = row / g_.out_h, oy = row % g_.out_h;
        int ox = 0;
        if (g_.in_c % 8 == 0) {
          for (; ox + 4 <= g_.out_w; ox += 4) {
            if (ox >= interior_begin_ && ox + 4 <= interior_end_) {
              FourPixels<false>(in, out, n, oy, ox);
            } else {
              FourPixels<true>(in, out, n, oy, ox);
            }
          }
        }
        for (; ox < g_.out_w; ++ox) Pixel(in, out, n, oy, ox);
      }
    });
  }

 private:
  // Four neighbouring output pixels of one row, eight channels at a time:
  // each weight vector loaded once serves all four (the loads, not the
  // arithmetic, bound this kernel). kClipped: some window leaves the image
  // horizontally, and those taps read a row of zeros instead.
  template <bool kClipped>
  void FourPixels(const float* in, float* out, int n, int oy, int ox) const {
    const int iy0 = oy * g_.stride_h - g_.pad_top;
    const int ky_begin = std::max(0, (-iy0 + g_.dilation_h - 1) / g_.dilation_h);
    const int ky_end = std::min(g_.kernel_h, (g_.in_h - iy0 + g_.dilation_h - 1) / g_.dilation_h);
    const int ix0 = ox * g_.stride_w - g_.pad_left;
    const float* image = in + static_cast<size_t>(n) * g_.in_h * g_.in_w * g_.in_c;
    float* dst = out + ((static_cast<size_t>(n) * g_.out_h + oy) * g_.out_w + ox) * g_.in_c;
    const size_t pixel_step = static_cast<size_t>(g_.stride_w) * g_.in_c;
    const Vec low = Splat(clamp_min_), high = Splat(clamp_max_);
    for (int c = 0; c < g_.in_c; c += 8) {
      const Vec bias0 = Load(bias_.data() + c), bias1 = Load(bias_.data() + c + 4);
      Vec a00 = bias0, a01 = bias1, a10 = bias0, a11 = bias1, a20 = bias0, a21 = bias1, a30 = bias0,
          a31 = bias1;
      for (int ky = ky_begin; ky < ky_end; ++ky) {
        const float* row_start =
            image + static_cast<size_t>(iy0 + ky * g_.dilation_h) * g_.in_w * g_.in_c + c;
        // Clipped windows may start left of the image: their pointers are made per tap below.
        const float* src = kClipped ? row_start : row_start + static_cast<size_t>(ix0) * g_.in_c;
        const float* w = weights_.data() + static_cast<size_t>(ky) * g_.kernel_w * padded_channels_ + c;
        for (int kx = 0; kx < g_.kernel_w;
             ++kx, src += static_cast<size_t>(g_.dilation_w) * g_.in_c, w += padded_channels_) {
          const Vec w0 = Load(w), w1 = Load(w + 4);
          const float* p0 = src;
          const float* p1 = kClipped ? src : src + pixel_step;
          const float* p2 = kClipped ? src : src + 2 * pixel_step;
          const float* p3 = kClipped ? src : src + 3 * pixel_step;
          if constexpr (kClipped) {
            const int ix = ix0 + kx * g_.dilation_w;
            auto tap = [&](int x) {
              return x >= 0 && x < g_.in_w ? row_start + static_cast<size_t>(x) * g_.in_c : zeros_.data() + c;
            };
            p0 = tap(ix);
            p1 = tap(ix + g_.stride_w);
            p2 = tap(ix + 2 * g_.stride_w);
            p3 = tap(ix + 3 * g_.stride_w);
          }
          a00 = MulAdd(Load(p0), w0, a00);
          a01 = MulAdd(Load(p0 + 4), w1, a01);
          a10 = MulAdd(Load(p1), w0, a10);
          a11 = MulAdd(Load(p1 + 4), w1, a11);
          a20 = MulAdd(Load(p2), w0, a20);
          a21 = MulAdd(Load(p2 + 4), w1, a21);
          a30 = MulAdd(Load(p3), w0, a30);
          a31 = MulAdd(Load(p3 + 4), w1, a31);
        }
      }
      if (clamp_) {
        a00 = Min(Max(a00, low), high);
        a01 = Min(Max(a01, low), high);
        a10 = Min(Max(a10, low), high);
        a11 = Min(Max(a11, low), high);
        a20 = Min(Max(a20, low), high);
        a21 = Min(Max(a21, low), high);
        a30 = Min(Max(a30, low), high);
        a31 = Min(Max(a31, low), high);
      }
      Store(dst + c, a00);
      Store(dst + c + 4, a01);
      Store(dst + g_.in_c + c, a10);
      Store(dst + g_.in_c + c + 4, a11);
      Store(dst + 2 * g_.in_c + c, a20);
      Store(dst + 2 * g_.in_c + c + 4, a21);
      Store(dst + 3 * g_.in_c + c, a30);
      Store(dst + 3 * g_.in_c + c + 4, a31);
    }
  }

  void Pixel(const float* in, float* out, int n, int oy, int ox) const {
    const int iy0 = oy * g_.stride_h - g_.pad_top;
    const int ix0 = ox * g_.stride_w - g_.pad_left;
    // The taps inside the image (the rest read zeros and add nothing).
    const int ky_begin = std::max(0, (-iy0 + g_.dilation_h - 1) / g_.dilation_h);
    const int ky_end = std::min(g_.kernel_h, (g_.in_h - iy0 + g_.dilation_h - 1) / g_.dilation_h);
    const int kx_begin = std::max(0, (-ix0 + g_.dilation_w - 1) / g_.dilation_w);
    const int kx_end = std::min(g_.kernel_w, (g_.in_w - ix0 + g_.dilation_w - 1) / g_.dilation_w);
    const float* image = in + static_cast<size_t>(n) * g_.in_h * g_.in_w * g_.in_c;
    float* dst = out + ((static_cast<size_t>(n) * g_.out_h + oy) * g_.out_w + ox) * g_.in_c;
    const Vec low = Splat(clamp_min_), high = Splat(clamp_max_);
    int c = 0;
    for (; c + 8 <= g_.in_c; c += 8) {
      Vec acc0 = Load(bias_.data() + c), acc1 = Load(bias_.data() + c + 4);
      for (int ky = ky_begin; ky < ky_end; ++ky) {
        const float* src_row = image + static_cast<size_t>(iy0 + ky * g_.dilation_h) * g_.in_w * g_.in_c + c;
        const float* w_row = weights_.data() + static_cast<size_t>(ky) * g_.kernel_w * padded_channels_ + c;
        for (int kx = kx_begin; kx < kx_end; ++kx) {
          const float* src = src_row + static_cast<size_t>(ix0 + kx * g_.dilation_w) * g_.in_c;
          const float* w = w_row + static_cast<size_t>(kx) * padded_channels_;
          acc0 = MulAdd(Load(src), Load(w), acc0);
          acc1 = MulAdd(Load(src + 4), Load(w + 4), acc1);
        }
      }
      if (clamp_) {
        acc0 = Min(Max(acc0, low), high);
        acc1 = Min(Max(acc1, low), high);
      }
      Store(dst + c, acc0);
      Store(dst + c + 4, acc1);
    }
    for (; c < g_.in_c; ++c) {  // fewer than 8 channels left: one at a time
      float acc = bias_[c];
      for (int ky = ky_begin; ky < ky_end; ++ky) {
        for (int kx = kx_begin; kx < kx_end; ++kx) {
          acc += image[(static_cast<size_t>(iy0 + ky * g_.dilation_h) * g_.in_w + ix0 + kx * g_.dilation_w) *
                           g_.in_c +
                       c] *
                 weights_[(static_cast<size_t>(ky) * g_.kernel_w + kx) * padded_channels_ + c];
        }
      }
      if (clamp_) acc = std::min(std::max(acc, clamp_min_), clamp_max_);
      dst[c] = acc;
    }
  }

  Window g_;
  int padded_channels_ = 0;
  int interior_begin_ = 0, interior_end_ = 0;  // output columns [begin, end) need no horizontal clipping
  std::vector<float> weights_;                 // taps x padded channels
  std::vector<float> bias_;                    // padded channels
  std::vector<float> zeros_;                   // what a tap outside the image reads
  bool clamp_ = false;
  float clamp_min_ = 0, clamp_max_ = 0;
  int input_ = -1, output_ = -1;
};

}  // namespace

Status SupportsDepthwiseConv2D(const model::Graph& graph, const model::Node& node) {
  if (node.params.depth_multiplier != 1)
    return UnsupportedError("DEPTHWISE_CONV_2D with a depth multiplier above 1");
  const int in_c = graph.tensors[node.inputs[0]].shape[3];
  const int out_c = graph.tensors[node.outputs[0]].shape[3];
  if (in_c != out_c)
    return UnsupportedError("DEPTHWISE_CONV_2D whose output channels differ from its input's");
  if (!graph.tensors[node.inputs[1]].is_constant)
    return UnsupportedError("DEPTHWISE_CONV_2D with a non-constant filter");
  if (node.inputs.size() > 2 && node.inputs[2] >= 0 && !graph.tensors[node.inputs[2]].is_constant)
    return UnsupportedError("DEPTHWISE_CONV_2D with a non-constant bias");
  return Status::Ok();
}

std::unique_ptr<Step> PrepareDepthwiseConv2D(const model::Graph& graph, const model::Node& node,
                                             const FusedTail&) {
  return std::make_unique<DepthwiseStep>(graph, node);
}

}  // namespace handtrack::backend::wasm
