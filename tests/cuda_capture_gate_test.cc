// CudaCaptureGate (src/base/cuda_capture_gate.h): a capture waits for the uses in progress,
// uses wait while a capture runs or waits, captures overlap each other. No GPU needed: the
// gate is plain host synchronisation.
#include "base/cuda_capture_gate.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

namespace handtrack {
namespace {

using namespace std::chrono_literals;

TEST(CudaCaptureGate, ACaptureWaitsForTheUseInProgressAndHoldsNewUsesBack) {
  CudaCaptureGate gate;
  gate.EnterUse();
  std::atomic<bool> captured{false};
  std::thread capture([&] {
    gate.EnterCapture();
    captured = true;
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(captured) << "the capture began while a use was in progress";

  // A use that arrives while the capture waits goes after it.
  std::atomic<bool> second_use{false};
  std::thread user([&] {
    gate.EnterUse();
    second_use = true;
    gate.LeaveUse();
  });
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second_use) << "a new use overtook the waiting capture";

  gate.LeaveUse();
  capture.join();
  EXPECT_TRUE(captured);
  std::this_thread::sleep_for(50ms);
  EXPECT_FALSE(second_use) << "a use began during the capture";
  gate.LeaveCapture();
  user.join();
  EXPECT_TRUE(second_use);
}

TEST(CudaCaptureGate, CapturesOverlapAndUsesOverlap) {
  CudaCaptureGate gate;
  gate.EnterCapture();
  gate.EnterCapture();  // would block if captures excluded each other
  gate.LeaveCapture();
  gate.LeaveCapture();
  gate.EnterUse();
  gate.EnterUse();
  gate.LeaveUse();
  gate.LeaveUse();
  SUCCEED();
}

TEST(CudaCaptureGate, ScopedGuardsOfTheProcessGate) {
  {
    const ScopedCudaContextUse inactive(false);  // takes nothing: a capture may run meanwhile
    const ScopedCudaCapture capture;
  }
  std::atomic<bool> captured{false};
  std::thread capture;
  {
    const ScopedCudaContextUse use(true);
    capture = std::thread([&] {
      const ScopedCudaCapture scoped;
      captured = true;
    });
    std::this_thread::sleep_for(50ms);
    EXPECT_FALSE(captured);
  }
  capture.join();
  EXPECT_TRUE(captured);
}

}  // namespace
}  // namespace handtrack
