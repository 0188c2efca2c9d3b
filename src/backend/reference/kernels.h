// Reference kernels: one per op, one file per op. Each reads its inputs and
// writes its outputs as dense NHWC float32 arrays whose shapes the model
// reader has already verified (model/shape_check.cc), so kernels index
// without further checks. Readable first; fast enough to be the fallback.
#pragma once

#include <algorithm>
#include <span>

#include "backend/padding.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::reference {

struct KernelArgs {
  const model::Graph& graph;
  const model::Node& node;
  std::span<const float* const> inputs;  // one per node input; nullptr for an absent optional input
  std::span<float* const> outputs;       // one per node output

  const model::Tensor& input_tensor(size_t i) const { return graph.tensors[node.inputs[i]]; }
  const model::Tensor& output_tensor(size_t i = 0) const { return graph.tensors[node.outputs[i]]; }
};

using KernelFn = void (*)(const KernelArgs& args);

// Returns the kernel of an op; the reference backend implements every op of
// the list (a missing kernel file is a link error).
KernelFn FindKernel(model::OpType op);

inline float ApplyActivation(float v, model::Activation activation) {
  switch (activation) {
    case model::Activation::kNone:
      return v;
    case model::Activation::kRelu:
      return std::max(v, 0.0f);
    case model::Activation::kReluN1To1:
      return std::clamp(v, -1.0f, 1.0f);
    case model::Activation::kRelu6:
      return std::clamp(v, 0.0f, 6.0f);
  }
  return v;
}

// One kernel per op of model/op_list.h, in <snake_case name>.cc.
#define HANDTRACK_REFERENCE_DECLARE_KERNEL(name, tflite_name, builtin, options) \
  void name(const KernelArgs& args);
HANDTRACK_OP_LIST(HANDTRACK_REFERENCE_DECLARE_KERNEL)
#undef HANDTRACK_REFERENCE_DECLARE_KERNEL

}  // namespace handtrack::backend::reference
