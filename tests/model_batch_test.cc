// ModelRunner::Options::batch / model::WithBatch: a batch-N run of every model
// gives, frame by frame, what N batch-1 runs give, on every CPU backend (and
// cuda where available); graphs whose batch cannot be rewritten are rejected.
// Suites are named Runtime* so that the runtime ctest selection includes them.
#include <gtest/gtest.h>

#include <random>

#include "handtrack/models.h"
#include "model/batch.h"
#include "model/tflite_reader.h"
#include "test_support.h"

namespace handtrack {
namespace {

model::Tensor MakeTensor(std::string name, std::vector<int> shape) {
  model::Tensor t;
  t.name = std::move(name);
  t.shape = std::move(shape);
  return t;
}

// input [1,2,2,3] -RESHAPE(shape operand)-> output `out_shape`.
model::Graph ReshapeGraph(std::vector<int> out_shape) {
  model::Graph g;
  g.name = "reshape_graph";
  g.tensors.push_back(MakeTensor("in", {1, 2, 2, 3}));
  g.tensors.push_back(MakeTensor("out", out_shape));
  model::Tensor shape = MakeTensor("shape", {static_cast<int>(out_shape.size())});
  shape.type = model::DataType::kInt32;
  shape.is_constant = true;
  shape.i32.assign(out_shape.begin(), out_shape.end());
  g.tensors.push_back(shape);
  model::Node node;
  node.op = model::OpType::kReshape;
  node.inputs = {0, 2};
  node.outputs = {1};
  g.nodes.push_back(node);
  g.inputs = {0};
  g.outputs = {1};
  return g;
}

TEST(RuntimeBatchGraphTest, RewritesActivationsAndReshapeOperands) {
  auto batched = model::WithBatch(ReshapeGraph({1, 12}), 5);
  ASSERT_TRUE(batched.ok()) << batched.status().message();
  EXPECT_EQ(batched->tensors[batched->inputs[0]].shape, (std::vector<int>{5, 2, 2, 3}));
  EXPECT_EQ(batched->tensors[batched->outputs[0]].shape, (std::vector<int>{5, 12}));
  const model::Tensor& operand = batched->tensors[batched->nodes[0].inputs[1]];
  EXPECT_EQ(operand.i32, (std::vector<int32_t>{5, 12}));
}

TEST(RuntimeBatchGraphTest, BatchOneIsUnchanged) {
  const model::Graph g = ReshapeGraph({1, 12});
  auto same = model::WithBatch(g, 1);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->tensors.size(), g.tensors.size());
  EXPECT_EQ(same->tensors[0].shape, g.tensors[0].shape);
}

TEST(RuntimeBatchGraphTest, RejectsBadBatchSizes) {
  for (int n : {0, -1, model::kMaxBatch + 1}) {
    auto r = model::WithBatch(ReshapeGraph({1, 12}), n);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(RuntimeBatchGraphTest, RejectsAReshapeThatFoldsTheBatchAway) {
  // [1,2,2,3] -> [12]: the output has no batch dimension, so at batch 4 the
  // element counts no longer match.
  auto r = model::WithBatch(ReshapeGraph({12}), 4);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("RESHAPE"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("batch 4"), std::string::npos) << r.status().message();
}

TEST(RuntimeBatchGraphTest, RejectsAnInputWithoutBatchDimension) {
  model::Graph g = ReshapeGraph({1, 12});
  g.tensors[0].shape = {2, 2, 2, 3};
  g.tensors[1].shape = {2, 12};
  auto r = model::WithBatch(g, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

struct Case {
  std::string model;
  Delegate delegate;
};

class RuntimeBatchTest : public ::testing::TestWithParam<Case> {};

TEST_P(RuntimeBatchTest, BatchOfNMatchesNSingleRuns) {
  constexpr int kBatch = 3;
  const Case& c = GetParam();
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  for (const BackendInfo& info : ListBackends()) {
    if (info.name == DelegateName(c.delegate) && !info.available)
      GTEST_SKIP() << info.name << ": " << info.detail;
  }
  ModelRunner::Options options;
  options.delegate = c.delegate;
  options.precision = Precision::kFp32;  // the bound below is float32's (auto is fp16 on cuda)
  auto single = ModelRunner::Create(testing::ModelPath(c.model), options);
  ASSERT_TRUE(single.ok()) << single.status().message();
  options.batch = kBatch;
  auto batched = ModelRunner::Create(testing::ModelPath(c.model), options);
  ASSERT_TRUE(batched.ok()) << batched.status().message();

  ASSERT_EQ((*single)->num_inputs(), 1);
  ASSERT_EQ((*batched)->num_outputs(), (*single)->num_outputs());
  std::vector<int> expected_in = (*single)->input_shape(0);
  expected_in[0] = kBatch;
  EXPECT_EQ((*batched)->input_shape(0), expected_in);
  for (int o = 0; o < (*single)->num_outputs(); ++o) {
    std::vector<int> expected_out = (*single)->output_shape(o);
    expected_out[0] = kBatch;
    EXPECT_EQ((*batched)->output_shape(o), expected_out);
  }

  const size_t frame_in = (*single)->input(0).size();
  ASSERT_EQ((*batched)->input(0).size(), kBatch * frame_in);
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> frames(kBatch * frame_in);
  for (float& v : frames) v = dist(rng);
  std::copy(frames.begin(), frames.end(), (*batched)->input(0).begin());
  ASSERT_TRUE((*batched)->Run().ok());

  for (int f = 0; f < kBatch; ++f) {
    std::copy(frames.begin() + f * frame_in, frames.begin() + (f + 1) * frame_in,
              (*single)->input(0).begin());
    ASSERT_TRUE((*single)->Run().ok());
    for (int o = 0; o < (*single)->num_outputs(); ++o) {
      auto want = (*single)->output(o);
      auto all = (*batched)->output(o);
      ASSERT_EQ(all.size(), kBatch * want.size());
      std::vector<float> got(all.begin() + f * want.size(), all.begin() + (f + 1) * want.size());
      const double err = testing::RelativeError(got, std::vector<float>(want.begin(), want.end()));
      EXPECT_LE(err, 1e-5) << c.model << " frame " << f << " output " << o << " ("
                           << (*single)->output_name(o) << ") on " << DelegateName(c.delegate);
    }
  }
}

std::vector<Case> AllCases() {
  std::vector<Case> cases;
  for (const char* model :
       {"palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"}) {
    for (Delegate d : {Delegate::kReference, Delegate::kXnnpack, Delegate::kCuda})
      cases.push_back({model, d});
  }
  return cases;
}

INSTANTIATE_TEST_SUITE_P(AllModels, RuntimeBatchTest, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<Case>& info) {
                           return info.param.model + "_" + DelegateName(info.param.delegate);
                         });

}  // namespace
}  // namespace handtrack
