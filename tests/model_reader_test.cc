// The .tflite reader: loads the real models, and rejects damaged ones with a
// clear message instead of crashing.
#include <gtest/gtest.h>

#include <fstream>
#include <random>

#include "model/tflite_reader.h"
#include "test_support.h"

namespace handtrack::model {
namespace {

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::vector<uint8_t>((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

int CountOps(const Graph& g, OpType op) {
  int n = 0;
  for (const Node& node : g.nodes) n += node.op == op;
  return n;
}

TEST(ModelReaderTest, ReadsPalmDetectionFull) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  auto graph = ReadTfliteFile(handtrack::testing::ModelPath("palm_detection_full"));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  EXPECT_EQ(graph->name, "palm_detection_full");
  // Op counts of PIPELINE.md; DEQUANTIZE nodes are folded into fp32 constants.
  EXPECT_EQ(CountOps(*graph, OpType::kConv2D), 35);
  EXPECT_EQ(CountOps(*graph, OpType::kDepthwiseConv2D), 28);
  EXPECT_EQ(CountOps(*graph, OpType::kPRelu), 31);
  EXPECT_EQ(CountOps(*graph, OpType::kAdd), 30);
  EXPECT_EQ(CountOps(*graph, OpType::kResizeBilinear), 2);
  EXPECT_EQ(CountOps(*graph, OpType::kConcatenation), 2);
  ASSERT_EQ(graph->inputs.size(), 1u);
  EXPECT_EQ(graph->tensors[graph->inputs[0]].shape, (std::vector<int>{1, 192, 192, 3}));
  ASSERT_EQ(graph->outputs.size(), 2u);
  EXPECT_EQ(graph->tensors[graph->outputs[0]].shape, (std::vector<int>{1, 2016, 18}));
  for (const Node& node : graph->nodes) {
    if (node.op == OpType::kResizeBilinear) EXPECT_TRUE(node.params.half_pixel_centers);
  }
}

TEST(ModelReaderTest, ReadsAllFourModelsWithFp32Weights) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  for (const char* name : {"palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"}) {
    auto graph = ReadTfliteFile(handtrack::testing::ModelPath(name));
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    for (const Node& node : graph->nodes) {
      if (node.op == OpType::kConv2D) {
        const Tensor& filter = graph->tensors[node.inputs[1]];
        ASSERT_TRUE(filter.is_constant);
        ASSERT_EQ(static_cast<int64_t>(filter.f32.size()), filter.num_elements());
      }
    }
  }
}

TEST(ModelReaderTest, RejectsMissingEmptyAndDirectory) {
  auto missing = ReadTfliteFile("/nonexistent/model.tflite");
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/model.tflite"), std::string::npos);
  auto empty = ReadTflite({}, "empty");
  EXPECT_EQ(empty.status().code(), StatusCode::kInvalidModel);
  auto dir = ReadTfliteFile("/tmp");
  EXPECT_FALSE(dir.ok());
}

TEST(ModelReaderTest, RejectsEveryTruncation) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> bytes = ReadBytes(handtrack::testing::ModelPath("hand_landmark_lite"));
  ASSERT_GT(bytes.size(), 1000u);
  for (size_t len : {size_t{0}, size_t{3}, size_t{8}, size_t{100}, bytes.size() / 3, bytes.size() / 2,
                     bytes.size() - 100, bytes.size() - 1}) {
    auto graph = ReadTflite(std::span(bytes.data(), len), "truncated");
    EXPECT_FALSE(graph.ok()) << "length " << len;
    EXPECT_EQ(graph.status().message().rfind("failed to ", 0), 0u) << graph.status().message();
  }
}

TEST(ModelReaderTest, CorruptedBytesNeverCrash) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> original = ReadBytes(handtrack::testing::ModelPath("hand_landmark_lite"));
  std::mt19937 rng(7);
  // Corrupt the FlatBuffer metadata (the first and last kilobytes hold offsets and tables).
  int rejected = 0;
  for (int trial = 0; trial < 300; ++trial) {
    std::vector<uint8_t> bytes = original;
    const size_t region = trial % 2 ? 4096 : bytes.size();
    const size_t pos = trial % 3 == 0 ? bytes.size() - 1 - rng() % 4096 : rng() % region;
    bytes[pos] ^= static_cast<uint8_t>(1 + rng() % 255);
    auto graph = ReadTflite(bytes, "corrupt");
    if (!graph.ok()) {
      ++rejected;
      EXPECT_FALSE(graph.status().message().empty());
    }
  }
  EXPECT_GT(rejected, 0);
}

TEST(ModelReaderTest, CorruptedRootOffsetIsAClearError) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  std::vector<uint8_t> bytes = ReadBytes(handtrack::testing::ModelPath("hand_landmark_lite"));
  bytes[0] = 0xff;
  bytes[1] = 0xff;
  bytes[2] = 0xff;
  bytes[3] = 0x7f;
  auto graph = ReadTflite(bytes, "bad_offset");
  ASSERT_FALSE(graph.ok());
  EXPECT_EQ(graph.status().code(), StatusCode::kInvalidModel);
  EXPECT_NE(graph.status().message().find("outside the file"), std::string::npos) << graph.status().message();
}

}  // namespace
}  // namespace handtrack::model
