// The end of a residual block, out = prelu(clamp(a + b)), as one pass of our
// own over its rows, which the XNNPACK backend runs in place of XNNPACK's ADD
// (and of the PRELU after it, when nothing else reads the sum).
//
// Why: XNNPACK 2022-02 (Debian 12's libxnnpack) folds the shape of an ADD of
// two equal shapes into one dimension and runs it as a single pthreadpool
// task, so every ADD ran on one thread whatever --threads said; the palm
// models end 30 blocks that way, at up to 96x96x32. Folding the PRELU in also
// saves one pass over the sum.
//
// The arithmetic is XNNPACK's: the float sum, clamped to the ADD's fused
// activation range, then times the slope where the sign bit is set. It runs
// with AVX-512F or AVX2 (Create refuses on other CPUs, and the nodes stay
// with XNNPACK there).
#pragma once

#include <cstddef>
#include <utility>
#include <vector>

#include "backend/xnnpack/op_util.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::xnnpack {

class ResidualKernel {
 public:
  // `add` must be an ADD of two non-constant float tensors of its output's
  // shape; `prelu`, when not null, a PRELU whose input is the ADD's output and
  // whose alpha varies only along the last axis. Unsupported otherwise (the
  // nodes then stay with XNNPACK), and also when this CPU lacks `isa`
  // (op_util.h; tests pick each).
  static Result<ResidualKernel> Create(const model::Graph& graph, const model::Node& add,
                                       const model::Node* prelu, KernelIsa isa = KernelIsa::kBest);

  // The units that RunRows splits the work into: the output's pixels (all
  // dimensions but the last).
  size_t num_rows() const { return rows_; }
  size_t channels() const { return channels_; }

  // Computes rows [row_begin, row_end) of out from a and b (the ADD's inputs,
  // in its order). `out` may be a or b. Distinct row ranges may run on
  // distinct threads at once.
  void RunRows(const float* a, const float* b, float* out, size_t row_begin, size_t row_end) const;

 private:
  ResidualKernel(KernelIsa isa, size_t rows, size_t channels, float output_min, float output_max,
                 std::vector<float> slopes)
      : isa_(isa),
        rows_(rows),
        channels_(channels),
        output_min_(output_min),
        output_max_(output_max),
        slopes_(std::move(slopes)) {}

  KernelIsa isa_;  // kAvx512 or kAvx2
  size_t rows_;
  size_t channels_;
  float output_min_;
  float output_max_;
  std::vector<float> slopes_;  // per channel; empty without a PRELU
};

}  // namespace handtrack::backend::xnnpack
