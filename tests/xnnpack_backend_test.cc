// The XNNPACK backend's own behaviour: support decisions and their reasons
// (every case of the shared op table is supported), error paths, multi-node
// segments, concurrent segments, and the four hand models against TFLite's own
// outputs. The op table itself (every case at 1 and 2 threads against the
// oracle, the cases beyond the model reader included) runs in backend_op_test,
// with every other backend. The oracle (op_oracle.h) is the reference backend,
// or naive loops that follow TFLite's reference kernels for graphs the model
// reader would reject.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "backend/backend.h"
#include "backend/xnnpack/depthwise_kernel.h"
#include "backend/xnnpack/ops.h"
#include "backend/xnnpack/residual_kernel.h"
#include "backend/xnnpack/xnnpack_backend.h"
#include "op_graph_builders.h"
#include "op_oracle.h"
#include "test_support.h"

#ifdef HANDTRACK_TEST_WITH_MODEL_READER
#include "model/tflite_reader.h"
#endif

namespace handtrack::testing {
namespace {

using backend::Backend;
using backend::BackendOptions;
using backend::CompiledSegment;
using backend::HostTensors;
using backend::SegmentSpec;

Result<Tensors> RunOnBackend(Backend& backend, const model::Graph& graph, const Tensors& inputs,
                             int num_threads) {
  BackendOptions options;
  options.num_threads = num_threads;
  HT_ASSIGN_OR_RETURN(std::unique_ptr<CompiledSegment> segment,
                      backend.Compile(graph, WholeGraph(graph), options));
  HostBuffers buffers(graph, inputs);
  HT_RETURN_IF_ERROR(segment->Run(buffers.tensors));
  return buffers.Outputs(graph);
}

Tensors Oracle(const model::Graph& graph, const Tensors& inputs) {
  Result<Tensors> outputs = RunOracle(graph, inputs);
  EXPECT_TRUE(outputs.ok()) << outputs.status().message();
  return outputs.ok() ? *outputs : Tensors{};
}

// max |got - expected| <= 1e-4 * max |expected| + 1e-6, per output.
void ExpectClose(const Tensors& got, const Tensors& expected, const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), expected[i].size()) << what << " output " << i;
    double max_diff = 0, max_ref = 0;
    size_t worst = 0;
    for (size_t k = 0; k < got[i].size(); ++k) {
      const double diff = std::fabs(double(got[i][k]) - expected[i][k]);
      if (!(diff <= max_diff)) worst = k;  // also catches NaN
      max_diff = std::isnan(diff) ? INFINITY : std::max(max_diff, diff);
      max_ref = std::max(max_ref, std::fabs(double(expected[i][k])));
    }
    EXPECT_LE(max_diff, 1e-4 * max_ref + 1e-6)
        << what << " output " << i << ": worst at element " << worst << ", got " << got[i][worst]
        << ", expected " << expected[i][worst] << " (max |expected| " << max_ref << ")";
  }
}

std::unique_ptr<Backend> Xnnpack() {
  std::unique_ptr<Backend> backend = backend::CreateXnnpackBackend();
  const Status available = backend->Availability();
  EXPECT_TRUE(available.ok()) << available.message();
  return backend;
}

// ---------------------------------------------------------------------------

// backend_op_test runs the cases; unsupported ones would only be skipped there.
TEST(XnnpackBackendTest, SupportsEveryOpCase) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  for (const std::vector<OpCase>& table : {AllOpCases(), BeyondReaderOpCases()}) {
    for (const OpCase& c : table) {
      for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
        const Status supported = xnnpack->Supports(c.graph, node);
        EXPECT_TRUE(supported.ok()) << c.name << ": " << supported.message();
      }
    }
  }
}

TEST(XnnpackBackendTest, IsAvailableAndNamed) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  EXPECT_STREQ(xnnpack->name(), "xnnpack");
}

// A single-node case from the table, by name.
model::Graph CaseGraph(const std::string& name) {
  for (OpCase& c : AllOpCases()) {
    if (c.name == name) return std::move(c.graph);
  }
  ADD_FAILURE() << "no op case " << name;
  return {};
}

void ExpectUnsupported(const model::Graph& graph, const std::string& reason_part) {
  const Status status = Xnnpack()->Supports(graph, 0);
  EXPECT_EQ(status.code(), StatusCode::kUnsupported) << status.message();
  EXPECT_NE(status.message().find(reason_part), std::string::npos) << status.message();
}

TEST(XnnpackBackendTest, RefusesWhatXnnpackCannotDoExactly) {
  {  // MEAN over channels
    GraphBuilder b("mean_channels");
    const int x = b.Input({1, 4, 4, 8}), axes = b.Int32Constant({1}, {3}), y = b.Output({1, 4, 4});
    b.AddNode(model::OpType::kMean, {x, axes}, {y});
    ExpectUnsupported(b.Build(), "MEAN over axes [3]");
  }
  {  // CONV_2D whose filter is computed by the graph
    GraphBuilder b("conv_dynamic_filter");
    const int x = b.Input({1, 4, 4, 3}), w = b.Input({5, 1, 1, 3}), y = b.Output({1, 4, 4, 5});
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y});
    ExpectUnsupported(b.Build(), "CONV_2D with a computed filter");
  }
  {  // grouped CONV_2D
    GraphBuilder b("conv_grouped");
    const int x = b.Input({1, 4, 4, 6}), w = b.Constant({4, 1, 1, 3}), y = b.Output({1, 4, 4, 4});
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y});
    ExpectUnsupported(b.Build(), "CONV_2D with grouped filters");
  }
  {  // PRELU whose alpha varies over space
    GraphBuilder b("prelu_spatial_alpha");
    const int x = b.Input({1, 4, 4, 3}), a = b.Constant({4, 4, 3}), y = b.Output({1, 4, 4, 3});
    b.AddNode(model::OpType::kPRelu, {x, a}, {y});
    ExpectUnsupported(b.Build(), "PRELU with alpha [4,4,3]");
  }
  {  // an output shape that does not follow from the inputs
    GraphBuilder b("bad_conv_shape");
    const int x = b.Input({1, 8, 8, 3}), w = b.Constant({5, 3, 3, 3}), y = b.Output({1, 8, 8, 5});
    model::NodeParams p;
    p.stride_h = p.stride_w = 2;
    b.AddNode(model::OpType::kConv2D, {x, w, -1}, {y}, p);
    ExpectUnsupported(b.Build(), "CONV_2D with output shape [1,8,8,5] where [1,4,4,5]");
  }
  {  // a 1x1 pool, which XNNPACK rejects
    GraphBuilder b("max_pool_1x1");
    const int x = b.Input({1, 4, 4, 3}), y = b.Output({1, 2, 2, 3});
    model::NodeParams p;
    p.stride_h = p.stride_w = 2;
    b.AddNode(model::OpType::kMaxPool2D, {x}, {y}, p);
    ExpectUnsupported(b.Build(), "MAX_POOL_2D with a 1x1 window");
  }
  {  // int32 data
    model::Graph graph = CaseGraph("relu_1x5x7x11");
    graph.tensors[graph.inputs[0]].type = model::DataType::kInt32;
    ExpectUnsupported(graph, "RELU with an int32 input");
  }
}

TEST(XnnpackBackendTest, RefusesZeroThreads) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = CaseGraph("relu_1x5x7x11");
  BackendOptions no_threads;
  no_threads.num_threads = 0;
  Result<std::unique_ptr<CompiledSegment>> bad = xnnpack->Compile(graph, WholeGraph(graph), no_threads);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("num_threads is 0"), std::string::npos) << bad.status().message();
  // The segment checks every backend shares: backend_op_test's BackendContract/xnnpack.
}

TEST(XnnpackBackendTest, RunsMultiNodeSegmentsAndFollowsMovedBuffers) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = ChainOfOpsGraph();
  Result<std::unique_ptr<CompiledSegment>> segment = xnnpack->Compile(graph, WholeGraph(graph), {});
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  for (uint32_t seed : {1u, 2u}) {
    const Tensors inputs = RandomInputs(graph, seed, 2);
    HostBuffers buffers(graph, inputs);  // fresh buffers each time: the segment must set up again
    ASSERT_TRUE((*segment)->Run(buffers.tensors).ok());
    ExpectClose(buffers.Outputs(graph), Oracle(graph, inputs), "chain seed " + std::to_string(seed));
  }
}

// XNNPACK fuses a clamp into the op before it; that must not clamp a tensor
// the host reads too.
TEST(XnnpackBackendTest, KeepsASegmentOutputThatARelu6Follows) {
  GraphBuilder b("conv_then_relu6");
  const int x = b.Input({1, 6, 6, 4});
  const int w = b.Constant({5, 3, 3, 4}, 2.0f);
  const int conv = b.Output({1, 6, 6, 5});
  b.AddNode(model::OpType::kConv2D, {x, w, -1}, {conv});
  const int relu6 = b.Output({1, 6, 6, 5});
  b.AddNode(model::OpType::kRelu6, {conv}, {relu6});
  const model::Graph graph = b.Build();
  const Tensors inputs = RandomInputs(graph, 5, 4);
  Result<Tensors> got = RunOnBackend(*Xnnpack(), graph, inputs, 1);
  ASSERT_TRUE(got.ok()) << got.status().message();
  const Tensors expected = Oracle(graph, inputs);
  ASSERT_GT(*std::max_element(expected[0].begin(), expected[0].end()), 6.0f);  // the clamp matters
  ExpectClose(*got, expected, "conv then relu6");
}

// ADD -> PRELU, the palm blocks' ending, which the backend's own residual
// kernel runs as one pass split over the pool's threads (XNNPACK 2022-02 runs
// an ADD of equal shapes on one thread). Also the cases it must leave alone or
// take only half of: a sum the host reads too, a sum with two readers, a
// scalar slope, a broadcast ADD.
TEST(XnnpackBackendTest, RunsResidualEndingsOnItsOwnKernel) {
  enum class Variant { kFolded, kSumIsOutput, kSumReadTwice, kScalarSlope, kBroadcast };
  for (Variant variant : {Variant::kFolded, Variant::kSumIsOutput, Variant::kSumReadTwice,
                          Variant::kScalarSlope, Variant::kBroadcast}) {
    GraphBuilder b("residual_ending");
    // 40 x 40 pixels of 12 channels: 1600 rows, several tasks of the pool.
    const std::vector<int> shape = {1, 40, 40, 12};
    const int x = b.Input(shape);
    const int y = variant == Variant::kBroadcast ? b.Input({1, 1, 1, 12}) : b.Input(shape);
    const int sum = variant == Variant::kSumIsOutput ? b.Output(shape) : b.Intermediate(shape);
    model::NodeParams relu;
    relu.activation = model::Activation::kRelu6;
    b.AddNode(model::OpType::kAdd, {x, y}, {sum}, variant == Variant::kFolded ? relu : model::NodeParams{});
    const int alpha = variant == Variant::kScalarSlope ? b.Constant({1}) : b.Constant({1, 1, 12});
    b.AddNode(model::OpType::kPRelu, {sum, alpha}, {b.Output(shape)});
    if (variant == Variant::kSumReadTwice) b.AddNode(model::OpType::kAdd, {sum, x}, {b.Output(shape)});
    const model::Graph graph = b.Build();
    const Tensors inputs = RandomInputs(graph, 9, 4);
    const Tensors expected = Oracle(graph, inputs);
    for (int threads : {1, 2, 3}) {
      Result<Tensors> got = RunOnBackend(*Xnnpack(), graph, inputs, threads);
      ASSERT_TRUE(got.ok()) << got.status().message();
      ExpectClose(*got, expected,
                  "variant " + std::to_string(static_cast<int>(variant)) + ", " + std::to_string(threads) +
                      " threads");
    }
  }
}

// Both instruction sets of the residual kernel (the backend takes AVX-512F
// where the CPU has it, so the AVX2 path runs only here): channel counts
// below, at and between vector widths (tails), with and without the PRELU,
// rows run in two uneven ranges.
TEST(XnnpackBackendTest, ResidualKernelGivesTheReferenceBitsInEveryInstructionSet) {
  using backend::xnnpack::KernelIsa;
  using backend::xnnpack::ResidualKernel;
  for (KernelIsa isa : {KernelIsa::kAvx512, KernelIsa::kAvx2}) {
    for (int channels : {3, 8, 12, 16, 21, 32}) {
      for (bool with_prelu : {true, false}) {
        GraphBuilder b("residual_kernel");
        const std::vector<int> shape = {2, 5, 7, channels};
        const int x = b.Input(shape), y = b.Input(shape);
        const int sum = with_prelu ? b.Intermediate(shape) : b.Output(shape);
        model::NodeParams relu;
        relu.activation = model::Activation::kReluN1To1;
        b.AddNode(model::OpType::kAdd, {x, y}, {sum}, with_prelu ? model::NodeParams{} : relu);
        if (with_prelu)
          b.AddNode(model::OpType::kPRelu, {sum, b.Constant({1, 1, channels})}, {b.Output(shape)});
        const model::Graph graph = b.Build();
        const std::string what = std::string(KernelIsaName(isa)) + " channels " + std::to_string(channels) +
                                 (with_prelu ? " prelu" : "");
        Result<ResidualKernel> kernel =
            ResidualKernel::Create(graph, graph.nodes[0], with_prelu ? &graph.nodes[1] : nullptr, isa);
        if (!kernel.ok()) {
          // Only a CPU without the instruction set may refuse.
          EXPECT_NE(kernel.status().message().find("which this CPU lacks"), std::string::npos)
              << what << ": " << kernel.status().message();
          continue;
        }
        const Tensors inputs = RandomInputs(graph, 3, 2);
        const Tensors expected = Oracle(graph, inputs);
        ASSERT_EQ(kernel->num_rows(), static_cast<size_t>(2 * 5 * 7)) << what;
        // Slack past the end, as host buffers have: the kernel must not write there.
        std::vector<float> out(expected[0].size() + 16, 42.0f);
        kernel->RunRows(inputs[0].data(), inputs[1].data(), out.data(), 0, 13);
        kernel->RunRows(inputs[0].data(), inputs[1].data(), out.data(), 13, kernel->num_rows());
        for (size_t i = 0; i < expected[0].size(); ++i)
          ASSERT_EQ(out[i], expected[0][i]) << what << " value " << i;
        for (size_t i = expected[0].size(); i < out.size(); ++i)
          ASSERT_EQ(out[i], 42.0f) << what << " slack " << i;
      }
    }
  }
}

// Both instruction sets of the depthwise kernel (the backend takes AVX-512F
// where the CPU has it, so the AVX2 path runs only here) on every depthwise
// case of the op table that the kernel takes: padding on each side, windows
// wider than the input, fewer than 8 pixels in a row, channel counts below,
// at and between vector widths, batch 2, rows run in two uneven ranges. Each
// is close to the oracle, writes nothing past its output, and the two give
// the same bits: they do the same FMAs in the same order.
TEST(XnnpackBackendTest, DepthwiseKernelGivesTheSameBitsInEveryInstructionSet) {
  using backend::xnnpack::CreateDepthwiseKernel;
  using backend::xnnpack::DepthwiseKernel;
  using backend::xnnpack::KernelIsa;
  int cases_run = 0;
  for (const OpCase& c : AllOpCases()) {
    const model::Graph& graph = c.graph;
    if (graph.nodes.size() != 1 || graph.nodes[0].op != model::OpType::kDepthwiseConv2D) continue;
    const Tensors inputs = RandomInputs(graph, 5, c.input_range);
    const Tensors expected = Oracle(graph, inputs);
    std::vector<std::vector<float>> outputs;
    for (KernelIsa isa : {KernelIsa::kAvx512, KernelIsa::kAvx2}) {
      const std::string what = c.name + " " + KernelIsaName(isa);
      Result<DepthwiseKernel> kernel = CreateDepthwiseKernel(graph, graph.nodes[0], isa);
      if (!kernel.ok()) {
        // Multipliers, dilation and other filter sizes stay with XNNPACK, and a CPU may lack the
        // instruction set.
        const std::string& reason = kernel.status().message();
        EXPECT_TRUE(reason.find("which this CPU lacks") != std::string::npos ||
                    reason.find("multiplier") != std::string::npos ||
                    reason.find("dilation") != std::string::npos ||
                    reason.find("variant") != std::string::npos)
            << what << ": " << reason;
        continue;
      }
      EXPECT_EQ(kernel->isa(), isa) << what;
      // Slack past the end, as host buffers have: the kernel must not write there.
      std::vector<float> out(expected[0].size() + 16, 42.0f);
      const size_t split = kernel->num_rows() / 3;
      kernel->RunRows(inputs[0].data(), out.data(), 0, split);
      kernel->RunRows(inputs[0].data(), out.data(), split, kernel->num_rows());
      for (size_t i = expected[0].size(); i < out.size(); ++i)
        ASSERT_EQ(out[i], 42.0f) << what << " slack " << i;
      out.resize(expected[0].size());
      ExpectClose({out}, expected, what);
      outputs.push_back(std::move(out));
      ++cases_run;
    }
    if (outputs.size() == 2) {
      for (size_t i = 0; i < outputs[0].size(); ++i) {
        ASSERT_EQ(outputs[0][i], outputs[1][i]) << c.name << ": AVX-512F and AVX2 differ at value " << i;
      }
    }
  }
  EXPECT_GE(cases_run, 15);
}

TEST(XnnpackBackendTest, SegmentsRunConcurrentlyOnTheirOwnThreads) {
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 3, 2);
  const Tensors expected = Oracle(graph, inputs);
  std::vector<std::thread> threads;
  std::vector<Tensors> results(4);
  threads.reserve(results.size());
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      BackendOptions options;
      options.num_threads = 1 + i % 2;
      Result<std::unique_ptr<CompiledSegment>> segment = xnnpack->Compile(graph, WholeGraph(graph), options);
      if (!segment.ok()) return;
      HostBuffers buffers(graph, inputs);
      for (int run = 0; run < 20; ++run) {
        if (!(*segment)->Run(buffers.tensors).ok()) return;
      }
      results[i] = buffers.Outputs(graph);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int i = 0; i < 4; ++i) ExpectClose(results[i], expected, "thread " + std::to_string(i));
}

#ifdef HANDTRACK_TEST_WITH_MODEL_READER
// Each whole model as one XNNPACK segment against TFLite's own outputs.
class XnnpackModelTest : public ::testing::TestWithParam<std::string> {};

TEST_P(XnnpackModelTest, MatchesTflite) {
  const std::string& name = GetParam();
  HT_REQUIRE_FIXTURE(!ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  HT_REQUIRE_FIXTURE(!SharedDir().empty(), "../shared");
  Result<model::Graph> graph = model::ReadTfliteFile(ModelPath(name));
  ASSERT_TRUE(graph.ok()) << graph.status().message();
  Result<TensorDump> dump = ReadTensorDump(SharedDir() + "/golden/tensors/" + name + "_s1.tdmp");
  ASSERT_TRUE(dump.ok()) << dump.status().message();
  ASSERT_EQ(dump->inputs.size(), graph->inputs.size());
  ASSERT_EQ(dump->outputs.size(), graph->outputs.size());
  std::unique_ptr<Backend> xnnpack = Xnnpack();
  for (int node = 0; node < static_cast<int>(graph->nodes.size()); ++node) {
    const Status supported = xnnpack->Supports(*graph, node);
    EXPECT_TRUE(supported.ok()) << "node " << node << ": " << supported.message();
  }
  Tensors inputs;
  for (const NamedTensor& t : dump->inputs) inputs.push_back(t.data);
  Tensors expected;
  for (const NamedTensor& t : dump->outputs) expected.push_back(t.data);
  for (int threads : {1, 2}) {
    Result<Tensors> got = RunOnBackend(*xnnpack, *graph, inputs, threads);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose(*got, expected, name + " at " + std::to_string(threads) + " threads");
  }
}

INSTANTIATE_TEST_SUITE_P(HandModels, XnnpackModelTest,
                         ::testing::Values("palm_detection_full", "palm_detection_lite", "hand_landmark_full",
                                           "hand_landmark_lite"));
#endif

}  // namespace
}  // namespace handtrack::testing
