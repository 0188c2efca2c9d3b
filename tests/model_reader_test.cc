// The .tflite reader: loads the real models, and rejects damaged ones with a
// clear message instead of crashing.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <random>
#include <utility>

#include "model/flatbuffer.h"
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
    if (node.op == OpType::kResizeBilinear) {
      EXPECT_TRUE(node.params.half_pixel_centers);
    }
  }
}

TEST(ModelReaderTest, ReadsAllFourModelsWithFp32Weights) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  for (const char* name :
       {"palm_detection_full", "palm_detection_lite", "hand_landmark_full", "hand_landmark_lite"}) {
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

// ---- Graph structure (CheckGraphStructure) ---------------------------------------

Tensor Activations(const std::string& name) {
  Tensor t;
  t.name = name;
  t.shape = {1, 4};
  return t;
}

Tensor Constant(const std::string& name) {
  Tensor t = Activations(name);
  t.is_constant = true;
  t.f32.assign(4, 0.5f);
  return t;
}

Node MakeNode(OpType op, std::vector<int> inputs, std::vector<int> outputs, int tflite_index) {
  Node node;
  node.op = op;
  node.inputs = std::move(inputs);
  node.outputs = std::move(outputs);
  node.tflite_index = tflite_index;
  return node;
}

// in(#0) -> RELU #0 -> a(#1) -> ADD #1 (+ bias(#2)) -> b(#3) -> LOGISTIC #2 -> out(#4)
Graph Chain() {
  Graph g;
  g.name = "chain";
  g.tensors = {Activations("in"), Activations("a"), Constant("bias"), Activations("b"), Activations("out")};
  g.nodes = {MakeNode(OpType::kRelu, {0}, {1}, 0), MakeNode(OpType::kAdd, {1, 2}, {3}, 1),
             MakeNode(OpType::kLogistic, {3}, {4}, 2)};
  g.inputs = {0};
  g.outputs = {4};
  return g;
}

std::vector<int> TfliteOrder(const Graph& g) {
  std::vector<int> order;
  for (const Node& node : g.nodes) order.push_back(node.tflite_index);
  return order;
}

// The check fails with an InvalidModel status whose one-line message starts
// with "failed to read model chain: " and contains `expected`.
void ExpectRejected(Graph g, const std::string& expected) {
  const Status status = CheckGraphStructure(g);
  ASSERT_FALSE(status.ok()) << "expected: " << expected;
  EXPECT_EQ(status.code(), StatusCode::kInvalidModel) << status.message();
  EXPECT_EQ(status.message().rfind("failed to read model " + g.name + ": ", 0), 0u) << status.message();
  EXPECT_NE(status.message().find(expected), std::string::npos) << status.message();
  EXPECT_EQ(status.message().find('\n'), std::string::npos) << status.message();
}

TEST(GraphStructureTest, AcceptsAWellFormedGraphUnchanged) {
  Graph g = Chain();
  g.nodes[1].inputs.push_back(-1);  // an absent optional input is skipped
  ASSERT_TRUE(CheckGraphStructure(g).ok()) << CheckGraphStructure(g).message();
  EXPECT_EQ(TfliteOrder(g), (std::vector<int>{0, 1, 2}));
}

TEST(GraphStructureTest, RejectsNoOperators) {
  Graph g = Chain();
  g.nodes.clear();
  g.outputs = {0};  // the output is the input: this used to reach the planner
  ExpectRejected(g, "it has no operators");
}

TEST(GraphStructureTest, RejectsNoOutputs) {
  Graph g = Chain();
  g.outputs.clear();
  ExpectRejected(g, "it has no outputs");
}

TEST(GraphStructureTest, RejectsAnOutputNoOperatorWrites) {
  Graph g = Chain();
  g.tensors.push_back(Activations("orphan"));
  g.outputs.push_back(5);
  ExpectRejected(g, "graph output tensor 'orphan' (#5) is written by no operator");
}

TEST(GraphStructureTest, RejectsAConstantOutput) {
  Graph g = Chain();
  g.outputs.push_back(2);
  ExpectRejected(g, "graph output tensor 'bias' (#2) is a constant");
}

TEST(GraphStructureTest, RejectsAnInputThatIsAlsoAnOutput) {
  Graph g = Chain();
  g.outputs.push_back(0);
  ExpectRejected(g, "tensor 'in' (#0) is both a graph input and a graph output");
}

TEST(GraphStructureTest, RejectsAnInputThatAnOperatorWrites) {
  Graph g = Chain();
  g.inputs.push_back(3);
  ExpectRejected(g, "graph input tensor 'b' (#3) is also written by ADD #1");
}

TEST(GraphStructureTest, RejectsATensorWrittenTwice) {
  Graph g = Chain();
  g.nodes[2].outputs = {1};
  g.outputs = {1};
  ExpectRejected(g, "tensor 'a' (#1) is written by two operators, RELU #0 and LOGISTIC #2");
}

TEST(GraphStructureTest, RejectsAnOperatorWritingAConstant) {
  Graph g = Chain();
  g.nodes[0].outputs = {2};
  ExpectRejected(g, "tensor 'bias' (#2) is a constant, yet RELU #0 writes it");
}

TEST(GraphStructureTest, RejectsAReadOfATensorNothingWrites) {
  Graph g = Chain();
  g.tensors.push_back(Activations("dangling"));
  g.nodes[1].inputs = {1, 5};
  ExpectRejected(g, "ADD #1 reads tensor 'dangling' (#5), which is not a constant, not a graph input");
}

TEST(GraphStructureTest, RejectsATensorIndexOutOfRange) {
  Graph g = Chain();
  g.nodes[1].inputs = {1, 9};
  ExpectRejected(g, "ADD #1 refers to tensor #9, out of range (5 tensors)");
  g = Chain();
  g.outputs = {-1};
  ExpectRejected(g, "a graph output refers to tensor #-1, out of range");
}

TEST(GraphStructureTest, SortsOperatorsGivenOutOfOrder) {
  Graph g = Chain();
  std::reverse(g.nodes.begin(), g.nodes.end());
  ASSERT_TRUE(CheckGraphStructure(g).ok()) << CheckGraphStructure(g).message();
  EXPECT_EQ(TfliteOrder(g), (std::vector<int>{0, 1, 2}));  // nodes keep their tflite_index
  EXPECT_EQ(g.nodes[0].op, OpType::kRelu);
  EXPECT_EQ(g.nodes[2].outputs, (std::vector<int>{4}));
}

TEST(GraphStructureTest, SortIsStableAmongIndependentOperators) {
  // Two independent branches from the input, written interleaved and with one
  // reader ahead of its writer: only that reader moves.
  Graph g;
  g.name = "branches";
  g.tensors = {Activations("in"), Activations("p"), Activations("q"),
               Activations("r"),  Activations("s"), Activations("out")};
  g.nodes = {MakeNode(OpType::kRelu, {0}, {1}, 10),      // p = relu(in)
             MakeNode(OpType::kRelu6, {2}, {3}, 11),     // r = relu6(q): reads q before its writer
             MakeNode(OpType::kLogistic, {0}, {2}, 12),  // q = logistic(in)
             MakeNode(OpType::kRelu, {1}, {4}, 13),      // s = relu(p)
             MakeNode(OpType::kAdd, {3, 4}, {5}, 14)};   // out = r + s
  g.inputs = {0};
  g.outputs = {5};
  ASSERT_TRUE(CheckGraphStructure(g).ok()) << CheckGraphStructure(g).message();
  EXPECT_EQ(TfliteOrder(g), (std::vector<int>{10, 12, 11, 13, 14}));
}

TEST(GraphStructureTest, RejectsACycle) {
  // b = add(a, c) and c = relu(b): a loop between ADD #1 and a new RELU #3.
  Graph g = Chain();
  g.tensors.push_back(Activations("c"));
  g.nodes[1].inputs = {1, 5};
  g.nodes.push_back(MakeNode(OpType::kRelu, {3}, {5}, 3));
  ExpectRejected(g, "the operators form a cycle through tensor '");
  Graph copy = g;
  const std::string message = CheckGraphStructure(copy).message();
  EXPECT_TRUE(message.find("tensor 'b' (#3)") != std::string::npos ||
              message.find("tensor 'c' (#5)") != std::string::npos)
      << message;
}

TEST(GraphStructureTest, RejectsAnOperatorReadingItsOwnOutput) {
  Graph g = Chain();
  g.nodes[1].inputs = {1, 3};
  ExpectRejected(g, "the operators form a cycle through tensor 'b' (#3)");
}

// ---- Graph structure through the reader: real models with patched bytes ------------

// Positions of hand_landmark_lite's subgraph fields, found with the reader's
// own bounds-checked FlatBuffer view, so a test can rewrite index lists and the
// operator order in place.
class PatchedModel {
 public:
  explicit PatchedModel(std::vector<uint8_t> bytes) : bytes_(std::move(bytes)) {}

  // The subgraph's vector field `id` (1 inputs, 2 outputs, 3 operators).
  FlatVector SubgraphVector(int id) const {
    const FlatBuffer buf(bytes_);
    FlatTable subgraph = Subgraph(buf);
    return subgraph.Vector(id, 4, "test").value();
  }
  // Operator `op`'s vector field `id` (1 inputs, 2 outputs).
  FlatVector OperatorVector(uint32_t op, int id) const {
    const FlatBuffer buf(bytes_);
    FlatTable subgraph = Subgraph(buf);
    const FlatVector ops = subgraph.Vector(3, 4, "test").value();
    return subgraph.TableInVector(ops, op, "test").value().Vector(id, 4, "test").value();
  }
  void SetInt(uint64_t pos, int32_t value) { std::memcpy(bytes_.data() + pos, &value, 4); }
  // Swaps two entries of the operator list (uoffsets are relative to their own position).
  void SwapOperators(uint32_t a, uint32_t b) {
    const FlatVector ops = SubgraphVector(3);
    const uint64_t pa = ops.pos + 4ull * a, pb = ops.pos + 4ull * b;
    uint32_t oa, ob;
    std::memcpy(&oa, bytes_.data() + pa, 4);
    std::memcpy(&ob, bytes_.data() + pb, 4);
    SetInt(pa, static_cast<int32_t>(pb + ob - pa));
    SetInt(pb, static_cast<int32_t>(pa + oa - pb));
  }
  Result<Graph> Read() const { return ReadTflite(bytes_, "patched"); }

 private:
  static FlatTable Subgraph(const FlatBuffer& buf) {
    const FlatTable root = buf.Root().value();
    const FlatVector subgraphs = root.Vector(2, 4, "test").value();
    return root.TableInVector(subgraphs, 0, "test").value();
  }
  std::vector<uint8_t> bytes_;
};

// Two consecutive nodes of the model where the second reads the first's
// output: their tflite_index values.
std::pair<int, int> FindReadAfterWrite(const Graph& g) {
  for (size_t n = 0; n + 1 < g.nodes.size(); ++n) {
    const Node& a = g.nodes[n];
    const Node& b = g.nodes[n + 1];
    if (b.tflite_index == a.tflite_index + 1 && !b.inputs.empty() && b.inputs[0] == a.outputs[0]) {
      return {a.tflite_index, b.tflite_index};
    }
  }
  return {-1, -1};
}

TEST(ModelReaderTest, ReaderRejectsMalformedStructureNamingTheTensor) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> bytes = ReadBytes(handtrack::testing::ModelPath("hand_landmark_lite"));
  auto original = ReadTflite(bytes, "original");
  ASSERT_TRUE(original.ok()) << original.status().message();
  const auto [first, second] = FindReadAfterWrite(*original);
  ASSERT_GE(first, 0);
  const int in = original->inputs[0];
  const std::string in_label = "tensor '" + original->tensors[in].name + "' (#" + std::to_string(in) + ")";
  auto expect_rejected = [](const Result<Graph>& graph, const std::string& expected) {
    ASSERT_FALSE(graph.ok()) << "expected: " << expected;
    EXPECT_EQ(graph.status().code(), StatusCode::kInvalidModel) << graph.status().message();
    EXPECT_EQ(graph.status().message().rfind("failed to read model patched: ", 0), 0u)
        << graph.status().message();
    EXPECT_NE(graph.status().message().find(expected), std::string::npos) << graph.status().message();
  };
  {  // The first output replaced by the input (this used to crash the planner).
    PatchedModel model(bytes);
    model.SetInt(model.SubgraphVector(2).pos, in);
    expect_rejected(model.Read(), in_label + " is both a graph input and a graph output");
  }
  {  // No operators at all.
    PatchedModel model(bytes);
    model.SetInt(model.SubgraphVector(3).pos - 4, 0);
    expect_rejected(model.Read(), "it has no operators");
  }
  const Node* reader = nullptr;  // the node of operator `second`, which reads what `first` writes
  for (const Node& node : original->nodes) {
    if (node.tflite_index == second) reader = &node;
  }
  ASSERT_NE(reader, nullptr);
  {  // The reader also writes the tensor it reads.
    PatchedModel model(bytes);
    const int t = reader->inputs[0];
    model.SetInt(model.OperatorVector(second, 2).pos, t);
    expect_rejected(model.Read(), "tensor '" + original->tensors[t].name + "' (#" + std::to_string(t) +
                                      ") is written by two operators");
  }
  {  // The writer reads its reader's output: a cycle.
    PatchedModel model(bytes);
    model.SetInt(model.OperatorVector(first, 1).pos, reader->outputs[0]);
    expect_rejected(model.Read(), "the operators form a cycle through tensor '");
  }
}

TEST(ModelReaderTest, ReaderSortsOperatorsStoredOutOfOrder) {
  HT_REQUIRE_FIXTURE(!handtrack::testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> bytes = ReadBytes(handtrack::testing::ModelPath("hand_landmark_lite"));
  auto original = ReadTflite(bytes, "original");
  ASSERT_TRUE(original.ok()) << original.status().message();
  const auto [first, second] = FindReadAfterWrite(*original);
  ASSERT_GE(first, 0);
  PatchedModel model(bytes);
  model.SwapOperators(first, second);  // the reader now comes before its writer in the file
  auto sorted = model.Read();
  ASSERT_TRUE(sorted.ok()) << sorted.status().message();
  ASSERT_EQ(sorted->nodes.size(), original->nodes.size());
  for (size_t n = 0; n < sorted->nodes.size(); ++n) {
    const Node& a = original->nodes[n];
    const Node& b = sorted->nodes[n];
    EXPECT_EQ(a.op, b.op) << "node " << n;
    EXPECT_EQ(a.inputs, b.inputs) << "node " << n;
    EXPECT_EQ(a.outputs, b.outputs) << "node " << n;
    // The swapped pair keeps the indices of the file it came from.
    const int expected_index = a.tflite_index == first    ? second
                               : a.tflite_index == second ? first
                                                          : a.tflite_index;
    EXPECT_EQ(b.tflite_index, expected_index) << "node " << n;
  }
}

}  // namespace
}  // namespace handtrack::model
