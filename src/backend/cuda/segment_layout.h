// Where every buffer of a segment lives: weights in one device buffer,
// activations and per-step scratch in one device arena (offsets planned from
// lifetimes, see arena_plan.h), host-visible inputs and outputs in one pinned
// staging buffer. Pure host code, tested without a GPU.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/fusion.h"
#include "backend/cuda/ops.h"
#include "model/graph.h"

namespace handtrack::backend::cuda {

// Every offset is a multiple of this, enough for any vector access.
inline constexpr int64_t kBufferAlignment = 256;

// A host-visible tensor's place in the staging buffer (and, through
// SegmentLayout::arena_offsets, in the arena).
struct StagedTensor {
  int tensor = -1;
  int64_t staging_offset = 0;
  int64_t bytes = 0;
};

struct SegmentLayout {
  std::vector<int64_t> arena_offsets;    // per graph tensor; -1 when not in the arena
  std::vector<int64_t> weight_offsets;   // per graph tensor; -1 when not uploaded
  std::vector<int64_t> scratch_offsets;  // per step, in the arena; -1 for none
  int64_t arena_bytes = 0;
  int64_t weight_bytes = 0;
  std::vector<StagedTensor> inputs;   // spec.inputs order
  std::vector<StagedTensor> outputs;  // spec.outputs order
  int64_t staging_bytes = 0;
};

// `steps` cover spec.nodes (PlanSteps); `scratch_bytes[i]` is what
// steps[i]'s node needs. Float32 constants that any node reads are uploaded; int32
// constants (shape operands) stay on the host. Tensors inside a step (between
// a node and the nodes folded into it) get no memory at all. The spec must
// have passed CheckSegmentSpec.
//
// Lifetimes, in step positions: a segment input is live from before the
// first step (-1), a step's output from its step, each until its last reader;
// segment outputs stay live to the end, for the copy out; scratch only
// during its step.
SegmentLayout PlanSegmentLayout(const model::Graph& graph, const SegmentSpec& spec,
                                std::span<const Step> steps, std::span<const int64_t> scratch_bytes);

}  // namespace handtrack::backend::cuda
