// A depthwise convolution kernel of our own for the shapes MediaPipe's hand
// models use (3x3 and 5x5 filters, stride 1 or 2, depth multiplier 1, no
// dilation), which the XNNPACK backend runs in place of XNNPACK's.
//
// Why: XNNPACK 2022-02 (Debian 12's libxnnpack) computes a depthwise
// convolution with one accumulator chain per 16 channels and output pixel,
// so each output waits on KH*KW dependent FMAs, and it loads every input
// vector once per tap that reads it. This kernel keeps up to 8 output pixels
// in flight (8 independent chains) and loads each input vector once per
// filter row for all the taps of those pixels that use it. On the hand
// models at 1 thread (AMD EPYC, AVX-512) it took hand_landmark_full from
// 8.7-8.9 ms to 7.9-8.1 ms and palm_detection_full from 11.3 ms to 8.9 ms.
//
// It runs with AVX-512F, or with AVX2 + FMA3 on CPUs without it (8 channels
// per vector, the same arithmetic and bits), checked at run time; on other
// CPUs (and other shapes) DepthwiseKernel::Create refuses and the node stays
// with XNNPACK.
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "backend/xnnpack/op_util.h"
#include "handtrack/status.h"

namespace handtrack::backend::xnnpack {

// One DEPTHWISE_CONV_2D with depth multiplier 1 over an NHWC input, with
// TFLite's explicit padding and fused activation as a clamp.
struct DepthwiseShape {
  int batch = 1;
  int input_height = 0;
  int input_width = 0;
  int channels = 0;  // input and output channels
  int filter_height = 0;
  int filter_width = 0;
  int stride_height = 1;
  int stride_width = 1;
  // Zero padding before the first row and column; SAME's odd extra pixel
  // lies bottom/right, which follows from the output size.
  int pad_top = 0;
  int pad_left = 0;
  int output_height = 0;
  int output_width = 0;
  float output_min = 0;
  float output_max = 0;
};

// OK when this CPU and `shape` suit the kernel: the instruction set `isa`
// (op_util.h), a 3x3 or 5x5 filter, stride 1 or 2 on each axis, sizes that
// are positive and consistent; Unsupported with the reason otherwise.
Status CheckDepthwiseKernelSupports(const DepthwiseShape& shape, KernelIsa isa = KernelIsa::kBest);

class DepthwiseKernel {
 public:
  // Packs the filter [1,KH,KW,C] and the bias [C] (nullptr: zero) once for
  // `shape`; Unsupported as CheckDepthwiseKernelSupports says.
  static Result<DepthwiseKernel> Create(const DepthwiseShape& shape, const float* filter, const float* bias,
                                        KernelIsa isa = KernelIsa::kBest);

  const DepthwiseShape& shape() const { return shape_; }
  KernelIsa isa() const { return isa_; }  // kAvx512 or kAvx2

  // The units that RunRows splits the work into: batch * output_height.
  size_t num_rows() const {
    return static_cast<size_t>(shape_.batch) * static_cast<size_t>(shape_.output_height);
  }

  // Computes output rows [row_begin, row_end) of the num_rows() rows from
  // `input` into `output`, both NHWC. Reads and writes nothing outside the
  // two tensors, so neither needs slack. Distinct row ranges may run on
  // distinct threads at once.
  void RunRows(const float* input, float* output, size_t row_begin, size_t row_end) const;

  // The computation for one filter width, stride and instruction set.
  using RowsFn = void (*)(const DepthwiseShape& shape, const float* packed, const float* input, float* output,
                          size_t row_begin, size_t row_end);

 private:
  DepthwiseKernel(const DepthwiseShape& shape, KernelIsa isa, std::vector<float> packed, RowsFn rows)
      : shape_(shape), isa_(isa), packed_(std::move(packed)), rows_(rows) {}

  DepthwiseShape shape_;
  KernelIsa isa_;
  // Per block of one vector of channels (16 with AVX-512F, 8 with AVX2; the
  // last block zero-padded): the bias values, then KH*KW taps, row by row.
  std::vector<float> packed_;
  RowsFn rows_;  // the instantiation for the filter width and stride
};

}  // namespace handtrack::backend::xnnpack
