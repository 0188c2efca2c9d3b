// Every backend reproduces TFLite's own outputs (../shared/golden/tensors) for
// every model within 1e-4 of each output's largest magnitude (wasm also with
// three threads); cuda and webgpu in fp16
// (half storage, float accumulation) within 5e-3.
#include <gtest/gtest.h>

#include "handtrack/models.h"
#include "test_support.h"

namespace handtrack {
namespace {

struct Case {
  std::string model;
  Delegate delegate;
  Precision precision = Precision::kFp32;
  int threads = 1;
};

class GoldenTensorsTest : public ::testing::TestWithParam<Case> {};

TEST_P(GoldenTensorsTest, MatchesTflite) {
  const Case& c = GetParam();
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  HT_REQUIRE_FIXTURE(!testing::SharedDir().empty(), "../shared");
  bool listed = false;
  for (const BackendInfo& info : ListBackends()) {
    if (info.name != DelegateName(c.delegate)) continue;
    listed = true;
    if (!info.available) GTEST_SKIP() << info.name << ": " << info.detail;
  }
  // webgpu exists only in the browser's handtrack_gpu module.
  if (!listed) GTEST_SKIP() << DelegateName(c.delegate) << ": not in this build";
  auto dump = testing::ReadTensorDump(testing::SharedDir() + "/golden/tensors/" + c.model + "_s1.tdmp");
  ASSERT_TRUE(dump.ok()) << dump.status().message();
  ModelRunner::Options options;
  options.delegate = c.delegate;
  options.precision = c.precision;
  options.num_threads = c.threads;
  // The tests run on whatever adapter the browser has, SwiftShader's software one included.
  if (DelegateName(c.delegate) == "webgpu") options.backend_settings["webgpu.allow_fallback_adapter"] = "1";
  auto runner = ModelRunner::Create(testing::ModelPath(c.model), options);
  ASSERT_TRUE(runner.ok()) << runner.status().message();
  ASSERT_EQ(dump->inputs.size(), 1u);
  auto input = (*runner)->input(0);
  ASSERT_EQ(input.size(), dump->inputs[0].data.size());
  std::copy(dump->inputs[0].data.begin(), dump->inputs[0].data.end(), input.begin());
  ASSERT_TRUE((*runner)->Run().ok());
  ASSERT_EQ(static_cast<size_t>((*runner)->num_outputs()), dump->outputs.size());
  for (int i = 0; i < (*runner)->num_outputs(); ++i) {
    // TDMP outputs are in the model's output order.
    auto out = (*runner)->output(i);
    std::vector<float> got(out.begin(), out.end());
    const double err = testing::RelativeError(got, dump->outputs[i].data);
    EXPECT_LE(err, c.precision == Precision::kFp16 ? 5e-3 : 1e-4)
        << c.model << " output " << i << " (" << (*runner)->output_name(i) << ") on "
        << DelegateName(c.delegate) << " " << PrecisionName(c.precision);
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const char* model :
       {"palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"}) {
    for (Delegate d : {Delegate::kReference, Delegate::kXnnpack, Delegate::kCuda, Delegate("wasm")})
      cases.push_back({model, d});
    cases.push_back({model, Delegate("wasm"), Precision::kFp32, 3});  // the thread pool
    cases.push_back({model, Delegate::kCuda, Precision::kFp16});
    // The browser's GPU (handtrack_gpu module): f16 storage where the adapter has shader-f16.
    cases.push_back({model, Delegate("webgpu")});
    cases.push_back({model, Delegate("webgpu"), Precision::kFp16});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllModelsAllBackends, GoldenTensorsTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.model + "_" + DelegateName(info.param.delegate) +
                                  (info.param.precision == Precision::kFp16 ? "_fp16" : "") +
                                  (info.param.threads > 1
                                       ? "_" + std::to_string(info.param.threads) + "threads"
                                       : "");
                         });

}  // namespace
}  // namespace handtrack
