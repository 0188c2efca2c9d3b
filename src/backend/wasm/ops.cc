#include "backend/wasm/ops.h"

#include <algorithm>
#include <limits>

#include "backend/op_table.h"

namespace handtrack::backend::wasm {
namespace {

using model::OpType;

#define HANDTRACK_WASM_OP_ROW(name)                      \
  {                                                      \
    OpType::k##name, { &Supports##name, &Prepare##name } \
  }

// What dominates the two hand models runs here; the rest (FULLY_CONNECTED,
// MEAN, LOGISTIC, RESIZE_BILINEAR, CONCATENATION, RESHAPE...: well under
// 1 % of their work) stays
// with the reference backend.
constexpr OpRow<OpEntry> kOpRows[] = {
    HANDTRACK_WASM_OP_ROW(Add),       HANDTRACK_WASM_OP_ROW(Conv2D), HANDTRACK_WASM_OP_ROW(DepthwiseConv2D),
    HANDTRACK_WASM_OP_ROW(MaxPool2D), HANDTRACK_WASM_OP_ROW(Pad),    HANDTRACK_WASM_OP_ROW(PRelu),
};
#undef HANDTRACK_WASM_OP_ROW
constexpr OpTable<OpEntry> kOps = MakeOpTable(kOpRows);

}  // namespace

const OpEntry* FindOp(OpType op) { return kOps.Find(op); }

bool ActivationRange(model::Activation activation, float& min, float& max) {
  switch (activation) {
    case model::Activation::kNone:
      return false;
    case model::Activation::kRelu:
      min = 0.0f;
      max = std::numeric_limits<float>::infinity();
      return true;
    case model::Activation::kReluN1To1:
      min = -1.0f;
      max = 1.0f;
      return true;
    case model::Activation::kRelu6:
      min = 0.0f;
      max = 6.0f;
      return true;
  }
  return false;
}

Window WindowOf(const model::Graph& graph, const model::Node& node, int kernel_h, int kernel_w) {
  const auto& in = graph.tensors[node.inputs[0]].shape;
  const auto& out = graph.tensors[node.outputs[0]].shape;
  const model::NodeParams& p = node.params;
  Window w;
  w.batch = in[0];
  w.in_h = in[1];
  w.in_w = in[2];
  w.in_c = in[3];
  w.out_h = out[1];
  w.out_w = out[2];
  w.out_c = out[3];
  w.kernel_h = kernel_h;
  w.kernel_w = kernel_w;
  w.stride_h = p.stride_h;
  w.stride_w = p.stride_w;
  w.dilation_h = p.dilation_h;
  w.dilation_w = p.dilation_w;
  w.pad_top = PaddingBefore(w.in_h, w.out_h, kernel_h, w.stride_h, w.dilation_h, p.padding);
  w.pad_left = PaddingBefore(w.in_w, w.out_w, kernel_w, w.stride_w, w.dilation_w, p.padding);
  return w;
}

}  // namespace handtrack::backend::wasm
