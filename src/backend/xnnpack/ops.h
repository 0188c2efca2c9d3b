// The ops the XNNPACK backend lowers, one row each in ops.cc: each has a
// Supports<Fn>(graph, node) in <file>.cc that says whether XNNPACK can run the
// node exactly (Unsupported with a reason naming the op and attribute
// otherwise), and a Define<Fn>(context, graph, node) that adds it to the
// segment's subgraph. Define assumes Supports returned OK.
#pragma once

#include "backend/xnnpack/build_context.h"
#include "backend/xnnpack/depthwise_kernel.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::xnnpack {

using SupportsFn = Status (*)(const model::Graph&, const model::Node&);
using DefineFn = Status (*)(BuildContext&, const model::Graph&, const model::Node&);

// Declared for every op of model/op_list.h; an op is implemented when its
// <op>.cc defines both and ops.cc has its row.
#define HANDTRACK_XNNPACK_DECLARE_OP(name, tflite_name, builtin, options)    \
  Status Supports##name(const model::Graph& graph, const model::Node& node); \
  Status Define##name(BuildContext& context, const model::Graph& graph, const model::Node& node);
HANDTRACK_OP_LIST(HANDTRACK_XNNPACK_DECLARE_OP)
#undef HANDTRACK_XNNPACK_DECLARE_OP

struct OpEntry {
  SupportsFn supports = nullptr;
  DefineFn define = nullptr;
};

// The entry of `op`, or nullptr when this backend has no lowering for it.
const OpEntry* FindOp(model::OpType op);

// The backend's own kernel (depthwise_kernel.h) for a DEPTHWISE_CONV_2D node
// that SupportsDepthwiseConv2D accepted, with its weights packed; Unsupported,
// and the node stays with XNNPACK, for a depth multiplier above 1, dilation,
// a filter size or stride the kernel lacks, or a CPU without `isa`
// (kBest: without AVX-512F and AVX2).
Result<DepthwiseKernel> CreateDepthwiseKernel(const model::Graph& graph, const model::Node& node,
                                              KernelIsa isa = KernelIsa::kBest);

}  // namespace handtrack::backend::xnnpack
