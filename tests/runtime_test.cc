// Planning and fallback of the runtime, on the real palm model.
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "handtrack/models.h"
#include "test_support.h"

namespace handtrack {
namespace {

bool Available(const char* name) {
  for (const BackendInfo& info : ListBackends()) {
    if (info.name == name) return info.available;
  }
  return false;
}

std::vector<std::vector<float>> RunWithSeededInput(ModelRunner& runner) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : runner.input(0)) v = uniform(rng);
  EXPECT_TRUE(runner.Run().ok());
  std::vector<std::vector<float>> outputs;
  for (int i = 0; i < runner.num_outputs(); ++i)
    outputs.emplace_back(runner.output(i).begin(), runner.output(i).end());
  return outputs;
}

TEST(RuntimeTest, ReferencePlanIsOneSegment) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  auto runner = ModelRunner::Create(testing::ModelPath("palm_detection_lite"), Delegate::kReference, 1);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  const std::string plan = (*runner)->DescribePlan();
  EXPECT_NE(plan.find("1 segment(s)"), std::string::npos) << plan;
  EXPECT_NE(plan.find("reference"), std::string::npos) << plan;
}

// CPU backends run fp32 when asked for fp16, say so in the plan, and give the fp32 results.
TEST(RuntimeTest, Fp16OnReferenceRunsFp32WithANote) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  ModelRunner::Options options;
  options.delegate = Delegate::kReference;
  options.precision = Precision::kFp16;
  auto half = ModelRunner::Create(testing::ModelPath("hand_landmark_lite"), options);
  ASSERT_TRUE(half.ok()) << half.status().message();
  const std::string plan = (*half)->DescribePlan();
  EXPECT_NE(plan.find("reference runs fp32: it does not honour precision fp16"), std::string::npos) << plan;
  auto full = ModelRunner::Create(testing::ModelPath("hand_landmark_lite"), Delegate::kReference, 1);
  ASSERT_TRUE(full.ok()) << full.status().message();
  EXPECT_EQ((*full)->DescribePlan().find("runs fp32"), std::string::npos);
  EXPECT_EQ(RunWithSeededInput(**half), RunWithSeededInput(**full));
}

TEST(RuntimeTest, ParsesPrecision) {
  EXPECT_EQ(*ParsePrecision("fp16"), Precision::kFp16);
  EXPECT_EQ(*ParsePrecision("fp32"), Precision::kFp32);
  EXPECT_FALSE(ParsePrecision("bf16").ok());
  EXPECT_STREQ(PrecisionName(Precision::kFp16), "fp16");
}

TEST(RuntimeTest, AutoPrefersXnnpackAndExplainsFallbacks) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  if (!Available("xnnpack")) GTEST_SKIP() << "xnnpack not available";
  if (Available("cuda")) GTEST_SKIP() << "cuda is available: auto prefers it";
  auto runner = ModelRunner::Create(testing::ModelPath("palm_detection_full"), Delegate::kAuto, 1);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  const std::string plan = (*runner)->DescribePlan();
  EXPECT_NE(plan.find("xnnpack:"), std::string::npos) << plan;
  // Every node that went elsewhere says why.
  if (plan.find("reference:") != std::string::npos) {
    EXPECT_NE(plan.find("fallback for"), std::string::npos) << plan;
  }
}

TEST(RuntimeTest, NamedUnavailableDelegateIsAnError) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  if (Available("cuda")) GTEST_SKIP() << "cuda is available here";
  auto runner = ModelRunner::Create(testing::ModelPath("palm_detection_lite"), Delegate::kCuda, 1);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(runner.status().message().find("cuda"), std::string::npos);
}

// A backend that fails at start-up, compile or run time is dropped under
// kAuto: the results still come (from the next backend) and equal the
// reference's, and the plan says why.
TEST(RuntimeTest, InjectedFaultsFallBackWithCorrectResults) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  if (!Available("xnnpack")) GTEST_SKIP() << "xnnpack not available";
  if (Available("cuda"))
    GTEST_SKIP() << "cuda is available: auto would not use xnnpack (see cuda_backend_test)";
  const std::string path = testing::ModelPath("hand_landmark_lite");
  auto reference = ModelRunner::Create(path, Delegate::kReference, 1);
  ASSERT_TRUE(reference.ok());
  const auto expected = RunWithSeededInput(**reference);
  for (const char* stage : {"availability", "compile", "run"}) {
    ModelRunner::Options options;
    options.inject_faults = std::string("xnnpack:") + stage;
    auto runner = ModelRunner::Create(path, options);
    ASSERT_TRUE(runner.ok()) << stage << ": " << runner.status().message();
    const auto got = RunWithSeededInput(**runner);
    ASSERT_EQ(got.size(), expected.size());
    for (size_t i = 0; i < got.size(); ++i)
      EXPECT_LE(testing::RelativeError(got[i], expected[i]), 1e-6) << stage;
    const std::string plan = (*runner)->DescribePlan();
    EXPECT_EQ(plan.find("  xnnpack:"), std::string::npos) << stage << "\n" << plan;
    EXPECT_NE(plan.find("fault injected"), std::string::npos) << stage << "\n" << plan;
  }
}

TEST(RuntimeTest, InjectedFaultIsAnErrorForANamedDelegate) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  if (!Available("xnnpack")) GTEST_SKIP() << "xnnpack not available";
  const std::string path = testing::ModelPath("hand_landmark_lite");
  ModelRunner::Options options;
  options.delegate = Delegate::kXnnpack;
  {
    options.inject_faults = "xnnpack:compile";
    auto runner = ModelRunner::Create(path, options);
    ASSERT_FALSE(runner.ok());
    EXPECT_NE(runner.status().message().find("fault injected"), std::string::npos);
  }
  {
    options.inject_faults = "xnnpack:run";
    auto runner = ModelRunner::Create(path, options);
    ASSERT_TRUE(runner.ok());
    Status run = (*runner)->Run();
    EXPECT_FALSE(run.ok());
    EXPECT_NE(run.message().find("fault injected"), std::string::npos) << run.message();
  }
}

TEST(RuntimeTest, AMalformedFaultListIsAnError) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  ModelRunner::Options options;
  options.inject_faults = "xnnpack";
  auto runner = ModelRunner::Create(testing::ModelPath("hand_landmark_lite"), options);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(runner.status().message(), "failed to parse fault 'xnnpack': expected BACKEND:STAGE");
}

}  // namespace
}  // namespace handtrack
