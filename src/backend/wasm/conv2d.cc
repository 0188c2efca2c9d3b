// CONV_2D as a matrix product (gemm.h): a 1x1 convolution with stride 1 is
// one product of the pixels (rows of in_c floats) with the filter; any other
// first gathers each output pixel's window into a row of kh * kw * in_c
// floats (zeros where the window leaves the image), a block of pixels at a
// time, then multiplies the block.
#include <algorithm>
#include <cstring>
#include <string>

#include "backend/wasm/gemm.h"
#include "backend/wasm/ops.h"

namespace handtrack::backend::wasm {
namespace {

// Pixels gathered per block: the block (pixels x window floats) stays in cache.
constexpr int kGatherPixels = 32;

class Conv2DStep : public Step {
 public:
  Conv2DStep(const model::Graph& graph, const model::Node& node, const FusedTail& fused) {
    const auto& in_shape = graph.tensors[node.inputs[0]].shape;
    const auto& filter = graph.tensors[node.inputs[1]];
    const auto& out_shape = graph.tensors[node.outputs[0]].shape;
    const model::NodeParams& p = node.params;
    batch_ = in_shape[0];
    in_h_ = in_shape[1];
    in_w_ = in_shape[2];
    in_c_ = in_shape[3];
    out_h_ = out_shape[1];
    out_w_ = out_shape[2];
    out_c_ = out_shape[3];
    kernel_h_ = filter.shape[1];
    kernel_w_ = filter.shape[2];
    stride_h_ = p.stride_h;
    stride_w_ = p.stride_w;
    dilation_h_ = p.dilation_h;
    dilation_w_ = p.dilation_w;
    pad_top_ = PaddingBefore(in_h_, out_h_, kernel_h_, stride_h_, dilation_h_, p.padding);
    pad_left_ = PaddingBefore(in_w_, out_w_, kernel_w_, stride_w_, dilation_w_, p.padding);
    pointwise_ = kernel_h_ == 1 && kernel_w_ == 1 && stride_h_ == 1 && stride_w_ == 1 && in_h_ == out_h_ &&
                 in_w_ == out_w_;
    const int window = kernel_h_ * kernel_w_ * in_c_;
    const float* bias =
        node.inputs.size() > 2 && node.inputs[2] >= 0 ? graph.tensors[node.inputs[2]].f32.data() : nullptr;
    weights_ = PackWeights(filter.f32.data(), bias, out_c_, window);
    input_ = node.inputs[0];
    output_ = fused.output >= 0 ? fused.output : node.outputs[0];
    epilogue_.clamp = ActivationRange(p.activation, epilogue_.clamp_min, epilogue_.clamp_max);
    if (fused.add != nullptr) {
      residual_ = fused.residual;
      epilogue_.residual_stride = out_c_;
      epilogue_.clamp_after_add =
          ActivationRange(fused.add->params.activation, epilogue_.add_min, epilogue_.add_max);
    }
    if (fused.prelu != nullptr) {
      const auto& slopes = graph.tensors[fused.prelu->inputs[1]].f32;
      prelu_slopes_.assign(weights_.bias.size(), 0.0f);
      std::copy(slopes.begin(), slopes.end(), prelu_slopes_.begin());
      epilogue_.prelu_slopes = prelu_slopes_.data();
    }
  }

  void Run(float* const* buffers, ThreadPool& pool) const override {
    const float* in = buffers[input_];
    float* out = buffers[output_];
    Epilogue epilogue = epilogue_;
    if (residual_ >= 0) epilogue.residual = buffers[residual_];
    const int pixels = batch_ * out_h_ * out_w_;
    if (pointwise_) {
      // Tasks over rows and, when the rows are too few to keep every thread
      // busy (the landmark model's 7x7 layers: 49 rows, 1152 channels), over
      // channel panels too.
      constexpr int kMinRowsPerTask = 16;
      const int wanted = pool.threads() == 1 ? 1 : pool.threads() * 4;
      const int row_tasks = std::max(1, std::min(wanted, pixels / kMinRowsPerTask));
      const int panel_tasks = std::max(1, std::min(PanelCount(weights_), wanted / row_tasks));
      const int rows_per_task = (pixels + row_tasks - 1) / row_tasks;
      const int panels_per_task = (PanelCount(weights_) + panel_tasks - 1) / panel_tasks;
      pool.ParallelFor(row_tasks * panel_tasks, [&](int task) {
        const int row_begin = (task / panel_tasks) * rows_per_task;
        const int panel_begin = (task % panel_tasks) * panels_per_task;
        GemmRows(in, in_c_, weights_, epilogue, out, out_c_, row_begin,
                 std::min(pixels, row_begin + rows_per_task), panel_begin, panel_begin + panels_per_task);
      });
      return;
    }
    const int window = weights_.k;
    const int blocks = (pixels + kGatherPixels - 1) / kGatherPixels;
    ParallelRanges(pool, blocks, 1, [&](int first_block, int end_block) {
      // Each thread gathers into its own rows (kept between runs).
      thread_local std::vector<float> rows;
      rows.resize(static_cast<size_t>(kGatherPixels) * window);
      for (int block = first_block; block < end_block; ++block) {
        const int first = block * kGatherPixels;
        const int count = std::min(kGatherPixels, pixels - first);
        for (int i = 0; i < count; ++i) Gather(in, first + i, rows.data() + static_cast<size_t>(i) * window);
        Epilogue shifted = epilogue;
        if (shifted.residual != nullptr) shifted.residual += static_cast<size_t>(first) * out_c_;
        GemmRows(rows.data(), window, weights_, shifted, out + static_cast<size_t>(first) * out_c_, out_c_, 0,
                 count);
      }
    });
  }

 private:
  // The window of output pixel `pixel` (n, oy, ox) as kh * kw * in_c floats, in
  // the filter's order, zeros outside the image.
  void Gather(const float* in, int pixel, float* row) const {
    const int ox = pixel % out_w_;
    const int oy = (pixel / out_w_) % out_h_;
    const int n = pixel / (out_w_ * out_h_);
    for (int ky = 0; ky < kernel_h_; ++ky) {
      const int iy = oy * stride_h_ - pad_top_ + ky * dilation_h_;
      for (int kx = 0; kx < kernel_w_; ++kx) {
        const int ix = ox * stride_w_ - pad_left_ + kx * dilation_w_;
        float* dst = row + (static_cast<size_t>(ky) * kernel_w_ + kx) * in_c_;
        if (iy < 0 || iy >= in_h_ || ix < 0 || ix >= in_w_) {
          std::memset(dst, 0, sizeof(float) * in_c_);
        } else {
          std::memcpy(dst, in + ((static_cast<size_t>(n) * in_h_ + iy) * in_w_ + ix) * in_c_,
                      sizeof(float) * in_c_);
        }
      }
    }
  }

  int batch_ = 0, in_h_ = 0, in_w_ = 0, in_c_ = 0, out_h_ = 0, out_w_ = 0, out_c_ = 0;
  int kernel_h_ = 0, kernel_w_ = 0, stride_h_ = 1, stride_w_ = 1, dilation_h_ = 1, dilation_w_ = 1;
  int pad_top_ = 0, pad_left_ = 0;
  bool pointwise_ = false;
  PackedWeights weights_;
  std::vector<float> prelu_slopes_;
  Epilogue epilogue_;
  int input_ = -1, output_ = -1, residual_ = -1;
};

}  // namespace

Status SupportsConv2D(const model::Graph& graph, const model::Node& node) {
  const model::Tensor& filter = graph.tensors[node.inputs[1]];
  if (!filter.is_constant) return UnsupportedError("CONV_2D with a non-constant filter");
  if (node.inputs.size() > 2 && node.inputs[2] >= 0 && !graph.tensors[node.inputs[2]].is_constant)
    return UnsupportedError("CONV_2D with a non-constant bias");
  return Status::Ok();
}

std::unique_ptr<Step> PrepareConv2D(const model::Graph& graph, const model::Node& node,
                                    const FusedTail& fused) {
  return std::make_unique<Conv2DStep>(graph, node, fused);
}

}  // namespace handtrack::backend::wasm
