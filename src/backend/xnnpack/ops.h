// The ops the XNNPACK backend lowers, listed once: each has a
// Supports<Fn>(graph, node) in <file>.cc that says whether XNNPACK can run the
// node exactly (Unsupported with a reason naming the op and attribute
// otherwise), and a Define<Fn>(context, graph, node) that adds it to the
// segment's subgraph. Define assumes Supports returned OK.
#pragma once

#include "backend/xnnpack/build_context.h"
#include "backend/xnnpack/depthwise_kernel.h"
#include "handtrack/status.h"
#include "model/graph.h"

// X(OpType enumerator, TFLite name, function suffix)
#define HANDTRACK_XNNPACK_OPS(X)                            \
  X(kAdd, "ADD", Add)                                       \
  X(kAveragePool2D, "AVERAGE_POOL_2D", AveragePool2D)       \
  X(kConcatenation, "CONCATENATION", Concatenation)         \
  X(kConv2D, "CONV_2D", Conv2D)                             \
  X(kDepthwiseConv2D, "DEPTHWISE_CONV_2D", DepthwiseConv2D) \
  X(kFullyConnected, "FULLY_CONNECTED", FullyConnected)     \
  X(kLogistic, "LOGISTIC", Logistic)                        \
  X(kMaxPool2D, "MAX_POOL_2D", MaxPool2D)                   \
  X(kMean, "MEAN", Mean)                                    \
  X(kPad, "PAD", Pad)                                       \
  X(kPRelu, "PRELU", PRelu)                                 \
  X(kRelu, "RELU", Relu)                                    \
  X(kRelu6, "RELU6", Relu6)                                 \
  X(kReshape, "RESHAPE", Reshape)                           \
  X(kResizeBilinear, "RESIZE_BILINEAR", ResizeBilinear)

namespace handtrack::backend::xnnpack {

using SupportsFn = Status (*)(const model::Graph&, const model::Node&);
using DefineFn = Status (*)(BuildContext&, const model::Graph&, const model::Node&);

#define HANDTRACK_XNNPACK_DECLARE_OP(op, name, fn)                         \
  Status Supports##fn(const model::Graph& graph, const model::Node& node); \
  Status Define##fn(BuildContext& context, const model::Graph& graph, const model::Node& node);
HANDTRACK_XNNPACK_OPS(HANDTRACK_XNNPACK_DECLARE_OP)
#undef HANDTRACK_XNNPACK_DECLARE_OP

struct OpEntry {
  model::OpType op;
  const char* name;  // TFLite's, e.g. "CONV_2D"
  SupportsFn supports;
  DefineFn define;
};

// The entry of `op`, or nullptr when this backend has no lowering for it.
const OpEntry* FindOp(model::OpType op);

// The backend's own kernel (depthwise_kernel.h) for a DEPTHWISE_CONV_2D node
// that SupportsDepthwiseConv2D accepted, with its weights packed; Unsupported,
// and the node stays with XNNPACK, for a depth multiplier above 1, dilation,
// a filter size or stride the kernel lacks, or a CPU without AVX-512F.
Result<DepthwiseKernel> CreateDepthwiseKernel(const model::Graph& graph, const model::Node& node);

}  // namespace handtrack::backend::xnnpack
