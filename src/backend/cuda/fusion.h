// Folding element-wise nodes into the kernel of the node before them.
//
// The hand models are small enough that a GPU runs them in a few hundred
// microseconds, most of it one short kernel after another; every kernel saved
// is a launch and a round trip of its tensor through memory saved. The palm
// models' residual blocks end in CONV_2D(1x1) -> ADD -> PRELU, their
// downsampling blocks in ADD -> PRELU: these run as one kernel each.
//
// A step is one kernel launch: a node, plus the ADD and/or PRELU nodes that
// follow it and are applied to each of its output values ("epilogue"). A node
// is folded only when the tensor between the two is read by nothing else in
// the graph and is not a segment output, so it never needs to exist.
//
// Steps need not run in the model's node order: a node whose output only a
// later ADD reads runs just before that ADD, so that the ADD folds into it. The
// palm models' downsampling blocks list CONV_2D(1x1), then MAX_POOL and PAD of
// the block's input, then ADD -> PRELU of the two; run in that order, the ADD
// and PRELU are a kernel of their own (five kernels a block instead of four).
//
// The ADD's other operand there, MAX_POOL (2x2, stride 2) then PAD (zero channels after the
// block input's), folds into the convolution's step too: its epilogue reads the block input's
// 2x2 window itself (Epilogue::pooled_input), so the block is two kernels instead of four, and
// neither the pooled nor the padded tensor is stored.
#pragma once

#include <vector>

#include "backend/backend.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

struct Step {
  int node = -1;  // the node whose kernel runs
  int add = -1;   // a folded ADD node, or -1
  // The ADD's other operand (tensor index); with residual_pool, the pool's input instead.
  int add_residual = -1;
  int prelu = -1;   // a folded PRELU node, or -1
  int output = -1;  // the tensor the step writes: the last folded node's output
  // A MAX_POOL and the PAD after it (or -1: none) folded in front of the ADD, computing its other
  // operand from add_residual (see above), or -1.
  int residual_pool = -1;
  int residual_pad = -1;
};

// Whether an op's kernel applies an epilogue (ops.cc's table says).
using TakesEpilogueFn = bool (*)(model::OpType op);

// The segment's nodes grouped into steps, in execution order. With `fuse`
// false, one step per node in node order (backend setting "cuda.fusion" "0"
// asks for that); with `move_to_add` false, no node moves to a later ADD
// (setting "cuda.fusion_moves_to_add" "0"); with `fold_pooled_residual` false, MAX_POOL and PAD
// stay steps of their own (setting "cuda.fusion_pooled_residual" "0").
std::vector<Step> PlanSteps(const model::Graph& graph, const SegmentSpec& spec, bool fuse,
                            TakesEpilogueFn takes_epilogue, bool move_to_add = true,
                            bool fold_pooled_residual = true);

// Nodes of a step, in the order their results arise (a folded pool and pad, the node, then the
// folded ADD and PRELU).
std::vector<int> StepNodes(const Step& step);

}  // namespace handtrack::backend::cuda
