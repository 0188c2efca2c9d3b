// Offsets of a segment's activation buffers in one device arena, planned from
// their lifetimes so that buffers that are never live at the same time share
// bytes. Pure host code, tested without a GPU.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace handtrack::backend {

// A buffer needed from step first_step to step last_step, both included
// (steps are the positions of the segment's nodes; -1 is "before the first
// node", for the copied-in inputs).
struct BufferLifetime {
  int64_t bytes = 0;
  int first_step = 0;
  int last_step = 0;
};

struct ArenaPlan {
  std::vector<int64_t> offsets;  // per buffer, a multiple of the alignment
  int64_t total_bytes = 0;       // the arena size
};

// Greedy by size, as TFLite's arena planner: largest buffer first, each into
// the smallest gap between buffers already placed whose lifetimes overlap it,
// or above them all. `alignment` must be a power of two.
ArenaPlan PlanArena(std::span<const BufferLifetime> buffers, int64_t alignment);

}  // namespace handtrack::backend
