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
    const auto& filter = graph.tensors[node.inputs[1]];
    const model::NodeParams& p = node.params;
    g_ = WindowOf(graph, node, filter.shape[1], filter.shape[2]);
    pointwise_ = g_.kernel_h == 1 && g_.kernel_w == 1 && g_.stride_h == 1 && g_.stride_w == 1 &&
                 g_.in_h == g_.out_h && g_.in_w == g_.out_w;
    const int window = g_.kernel_h * g_.kernel_w * g_.in_c;
    const float* bias =
        node.inputs.size() > 2 && node.inputs[2] >= 0 ? graph.tensors[node.inputs[2]].f32.data() : nullptr;
    weights_ = PackWeights(filter.f32.data(), bias, g_.out_c, window);
    input_ = node.inputs[0];
    output_ = fused.output >= 0 ? fused.output : node.outputs[0];
    epilogue_.clamp = ActivationRange(p.activation, epilogue_.clamp_min, epilogue_.clamp_max);
    if (fused.add != nullptr) {
      residual_ = fused.residual;
      epilogue_.residual_stride = g_.out_c;
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
    const int pixels = g_.batch * g_.out_h * g_.out_w;
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
        GemmRows(in, g_.in_c, weights_, epilogue, out, g_.out_c, row_begin,
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
        if (shifted.residual != nullptr) shifted.residual += static_cast<size_t>(first) * g_.out_c;
        GemmRows(rows.data(), window, weights_, shifted, out + static_cast<size_t>(first) * g_.out_c,
                 g_.out_c, 0, count);
      }
    });
  }

 private:
  // The window of output pixel `pixel` (n, oy, ox) as kh * kw * in_c floats, in
  // the filter's order, zeros outside the image.
  void Gather(const float* in, int pixel, float* row) const {
    const int ox = pixel % g_.out_w;
    const int oy = (pixel / g_.out_w) % g_.out_h;
    const int n = pixel / (g_.out_w * g_.out_h);
    for (int ky = 0; ky < g_.kernel_h; ++ky) {
      const int iy = oy * g_.stride_h - g_.pad_top + ky * g_.dilation_h;
      for (int kx = 0; kx < g_.kernel_w; ++kx) {
        const int ix = ox * g_.stride_w - g_.pad_left + kx * g_.dilation_w;
        float* dst = row + (static_cast<size_t>(ky) * g_.kernel_w + kx) * g_.in_c;
        if (iy < 0 || iy >= g_.in_h || ix < 0 || ix >= g_.in_w) {
          std::memset(dst, 0, sizeof(float) * g_.in_c);
        } else {
          std::memcpy(dst, in + ((static_cast<size_t>(n) * g_.in_h + iy) * g_.in_w + ix) * g_.in_c,
                      sizeof(float) * g_.in_c);
        }
      }
    }
  }

  Window g_;
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
