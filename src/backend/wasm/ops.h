// The ops the wasm backend runs, one row each in ops.cc. Each has, in its own
// <op>.cc, a Supports<Op>(graph, node) that says whether the kernel runs the
// node exactly as the reference does (Unsupported naming what it lacks, and
// the runtime gives the node to the reference backend), and a
// Prepare<Op>(graph, node, fused) that packs the node's constants into a Step.
#pragma once

#include <algorithm>
#include <memory>
#include <vector>

#include "backend/padding.h"
#include "backend/wasm/thread_pool.h"
#include "handtrack/status.h"
#include "model/graph.h"

namespace handtrack::backend::wasm {

// One unit of a compiled segment: a node, or a convolution with the nodes
// fused into it. Run reads and writes `buffers`, indexed by tensor (constants
// are baked into the step at Prepare).
class Step {
 public:
  virtual ~Step() = default;
  virtual void Run(float* const* buffers, ThreadPool& pool) const = 0;
};

// Nodes fused into a convolution's store (gemm.h's Epilogue): an ADD of the
// convolution's output and `residual`, then a PRELU, each optional. `output`
// is the tensor the fused step writes (the last fused node's output).
struct FusedTail {
  const model::Node* add = nullptr;
  int residual = -1;
  const model::Node* prelu = nullptr;
  int output = -1;
};

using SupportsFn = Status (*)(const model::Graph& graph, const model::Node& node);
using PrepareFn = std::unique_ptr<Step> (*)(const model::Graph& graph, const model::Node& node,
                                            const FusedTail& fused);

// Declared for every op of model/op_list.h; an op is implemented when its
// <op>.cc defines both and ops.cc has its row.
#define HANDTRACK_WASM_DECLARE_OP(name, tflite_name, builtin, options)                    \
  Status Supports##name(const model::Graph& graph, const model::Node& node);              \
  std::unique_ptr<Step> Prepare##name(const model::Graph& graph, const model::Node& node, \
                                      const FusedTail& fused);
HANDTRACK_OP_LIST(HANDTRACK_WASM_DECLARE_OP)
#undef HANDTRACK_WASM_DECLARE_OP

struct OpEntry {
  SupportsFn supports = nullptr;
  PrepareFn prepare = nullptr;
};

// The entry of `op`, or nullptr when this backend has no kernel for it.
const OpEntry* FindOp(model::OpType op);

// Shared by the op files.
// The geometry of a windowed NHWC op (convolutions, pooling): sizes, the
// window, strides, dilations and the padding before the first pixel
// (TFLite's SAME rule puts the odd extra pixel after).
struct Window {
  int batch = 0, in_h = 0, in_w = 0, in_c = 0, out_h = 0, out_w = 0, out_c = 0;
  int kernel_h = 1, kernel_w = 1, stride_h = 1, stride_w = 1, dilation_h = 1, dilation_w = 1;
  int pad_top = 0, pad_left = 0;
};
// kernel_h x kernel_w: the filter's size (convolutions) or the pool's window.
Window WindowOf(const model::Graph& graph, const model::Node& node, int kernel_h, int kernel_w);
// The [min, max] of a fused activation; false for none.
bool ActivationRange(model::Activation activation, float& min, float& max);
// Splits [0, count) into about `pool.threads() * 4` ranges of at least
// `min_per_task` items, and runs fn(begin, end) on each.
template <typename Fn>
void ParallelRanges(ThreadPool& pool, int count, int min_per_task, const Fn& fn) {
  const int threads = pool.threads();
  int tasks = threads == 1 ? 1 : threads * 4;
  if (min_per_task > 0) tasks = std::max(1, std::min(tasks, count / min_per_task));
  const int per_task = (count + tasks - 1) / tasks;
  tasks = per_task > 0 ? (count + per_task - 1) / per_task : 0;
  pool.ParallelFor(tasks, [&](int task) {
    const int begin = task * per_task;
    fn(begin, std::min(count, begin + per_task));
  });
}

}  // namespace handtrack::backend::wasm
