// The arena planner every backend shares (backend/arena_plan.h): pure host
// code, so it runs in every build, CPU-only CI included. Moved here from
// cuda_backend_test.cc (CudaArenaPlanTest) when the planner left the CUDA
// backend; part of backend_op_test.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <vector>

#include "backend/arena_plan.h"

namespace handtrack::backend {
namespace {

TEST(ArenaPlanTest, BuffersLiveAtTheSameTimeNeverShareBytes) {
  std::mt19937 rng(3);
  for (int round = 0; round < 50; ++round) {
    std::vector<BufferLifetime> buffers;
    const int count = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < count; ++i) {
      const int first = static_cast<int>(rng() % 30) - 1;
      buffers.push_back({1 + static_cast<int64_t>(rng() % 5000), first, first + static_cast<int>(rng() % 8)});
    }
    const ArenaPlan plan = PlanArena(buffers, 256);
    ASSERT_EQ(plan.offsets.size(), buffers.size());
    for (size_t a = 0; a < buffers.size(); ++a) {
      EXPECT_EQ(plan.offsets[a] % 256, 0);
      EXPECT_LE(plan.offsets[a] + buffers[a].bytes, plan.total_bytes);
      for (size_t b = a + 1; b < buffers.size(); ++b) {
        const bool live_together =
            buffers[a].first_step <= buffers[b].last_step && buffers[b].first_step <= buffers[a].last_step;
        const bool share_bytes = plan.offsets[a] < plan.offsets[b] + buffers[b].bytes &&
                                 plan.offsets[b] < plan.offsets[a] + buffers[a].bytes;
        EXPECT_FALSE(live_together && share_bytes) << "round " << round << ": buffers " << a << " and " << b;
      }
    }
  }
}

TEST(ArenaPlanTest, AChainNeedsOnlyTwoBuffers) {
  std::vector<BufferLifetime> chain;
  for (int step = 0; step < 10; ++step) chain.push_back({1024, step, step + 1});
  EXPECT_EQ(PlanArena(chain, 256).total_bytes, 2 * 1024);
}

TEST(ArenaPlanTest, NoBuffersNeedNoBytes) {
  const ArenaPlan plan = PlanArena({}, 256);
  EXPECT_TRUE(plan.offsets.empty());
  EXPECT_EQ(plan.total_bytes, 0);
}

}  // namespace
}  // namespace handtrack::backend
