#include "backend/arena_plan.h"

#include <algorithm>
#include <limits>
#include <numeric>

namespace handtrack::backend {
namespace {

int64_t AlignUp(int64_t value, int64_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }

bool Overlap(const BufferLifetime& a, const BufferLifetime& b) {
  return a.first_step <= b.last_step && b.first_step <= a.last_step;
}

}  // namespace

ArenaPlan PlanArena(std::span<const BufferLifetime> buffers, int64_t alignment) {
  ArenaPlan plan;
  plan.offsets.assign(buffers.size(), 0);
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });

  std::vector<size_t> placed;      // in placement order
  std::vector<size_t> neighbours;  // placed buffers live at the same time as the current one
  for (size_t index : order) {
    const int64_t size = AlignUp(std::max<int64_t>(buffers[index].bytes, 1), alignment);
    neighbours.clear();
    for (size_t other : placed) {
      if (Overlap(buffers[index], buffers[other])) neighbours.push_back(other);
    }
    std::sort(neighbours.begin(), neighbours.end(),
              [&](size_t a, size_t b) { return plan.offsets[a] < plan.offsets[b]; });
    int64_t best_offset = -1;
    int64_t best_gap = std::numeric_limits<int64_t>::max();
    int64_t free_from = 0;  // end of the highest neighbour seen so far
    for (size_t other : neighbours) {
      const int64_t gap = plan.offsets[other] - free_from;
      if (gap >= size && gap < best_gap) {
        best_gap = gap;
        best_offset = free_from;
      }
      free_from = std::max(
          free_from, plan.offsets[other] + AlignUp(std::max<int64_t>(buffers[other].bytes, 1), alignment));
    }
    plan.offsets[index] = best_offset >= 0 ? best_offset : free_from;
    plan.total_bytes = std::max(plan.total_bytes, plan.offsets[index] + size);
    placed.push_back(index);
  }
  return plan;
}

}  // namespace handtrack::backend
