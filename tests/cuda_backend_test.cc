// The CUDA backend's own behaviour: the large-batch kernels (with and without
// the tensor cores) and fused blocks against the reference backend within 1e-4
// (fp32) or 1e-2 (fp16) of the largest reference magnitude, multi-node
// segments, concurrent segments, error paths, injected faults (fallback under
// kAuto, errors with Delegate::kCuda), and the four hand models against
// TFLite's own outputs. Tests that need a GPU skip with "no CUDA device (...)"
// without one; segment layout, fusion and support decisions are checked
// everywhere. The shared op table runs in backend_op_test (fp32 and fp16, with
// every other backend); the arena planner's tests are there too
// (arena_plan_test.cc).
//
//   cuda_backend_test [--cuda-setting KEY=VALUE ...] [gtest flags]
//
// --cuda-setting (e.g. cuda.fusion=0: every node its own kernel) goes into the
// BackendOptions::settings of every compile that does not set that key itself.
#include <cuda_runtime.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "backend/backend.h"
#include "backend/cuda/cuda_backend.h"
#include "backend/cuda/fusion.h"
#include "backend/cuda/segment_layout.h"
#include "backend/fault_injection.h"
#include "backend/image_sampling.h"
#include "backend/reference/reference_backend.h"
#include "backend_settings_flag.h"
#include "device_sampling_check.h"
#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/models.h"
#include "model/tflite_reader.h"
#include "op_graph_builders.h"
#include "test_support.h"
#include "vision/image_to_tensor.h"

namespace handtrack::testing {
namespace {

using backend::Backend;
using backend::BackendOptions;
using backend::CompiledSegment;
using backend::HostTensors;
using backend::RunPriority;
using backend::SegmentRunTimes;
using backend::SegmentSpec;

std::unique_ptr<Backend> Cuda() { return backend::CreateCudaBackend(); }

// Options for a CUDA compile: the command line's --cuda-setting values, which
// a test may then override key by key.
BackendOptions CudaOptions(Precision precision = Precision::kFp32) {
  BackendOptions options;
  options.precision = precision;
  options.settings = CommandLineBackendSettings();
  return options;
}

// Availability's message starts with "no CUDA device".
#define HT_REQUIRE_CUDA_DEVICE()                                        \
  do {                                                                  \
    const Status cuda_available = Cuda()->Availability();               \
    if (!cuda_available.ok()) GTEST_SKIP() << cuda_available.message(); \
  } while (0)

Result<Tensors> RunSegment(CompiledSegment& segment, const model::Graph& graph, const Tensors& inputs) {
  HostBuffers buffers(graph, inputs);
  HT_RETURN_IF_ERROR(segment.Run(buffers.tensors));
  return buffers.Outputs(graph);
}

Result<Tensors> RunOnBackend(Backend& backend, const model::Graph& graph, const Tensors& inputs) {
  HT_ASSIGN_OR_RETURN(std::unique_ptr<CompiledSegment> segment,
                      backend.Compile(graph, WholeGraph(graph), {}));
  return RunSegment(*segment, graph, inputs);
}

Tensors RunReference(const model::Graph& graph, const Tensors& inputs) {
  std::unique_ptr<Backend> reference = backend::CreateReferenceBackend();
  Result<Tensors> outputs = RunOnBackend(*reference, graph, inputs);
  EXPECT_TRUE(outputs.ok()) << "reference backend: " << outputs.status().message();
  return outputs.ok() ? *outputs : Tensors{};
}

// Within `relative` (1e-4) of the largest reference magnitude, every element (NaN never passes).
void ExpectClose(const Tensors& got, const Tensors& expected, const std::string& what,
                 float relative = 1e-4f) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), expected[i].size()) << what << " output " << i;
    float scale = 0;
    for (float v : expected[i]) scale = std::max(scale, std::fabs(v));
    const float tolerance = relative * std::max(scale, 1e-6f);
    size_t bad = 0, first_bad = 0;
    for (size_t j = 0; j < got[i].size(); ++j) {
      if (!(std::fabs(got[i][j] - expected[i][j]) <= tolerance)) {
        if (bad++ == 0) first_bad = j;
      }
    }
    EXPECT_EQ(bad, 0u) << what << " output " << i << ": " << bad << " of " << got[i].size()
                       << " elements off, first at " << first_bad << ": " << got[i][first_bad] << " vs "
                       << expected[i][first_bad] << " (tolerance " << tolerance << ")";
  }
}

// ---------------------------------------------------------------------------
// Without a GPU: planning and support decisions.

std::vector<backend::cuda::Step> Steps(const model::Graph& graph, bool fuse) {
  return backend::cuda::PlanSteps(graph, WholeGraph(graph), fuse, backend::cuda::TakesEpilogue);
}

TEST(CudaSegmentLayoutTest, PlacesEveryTensorWhereItsRoleSays) {
  const model::Graph graph = ChainOfOpsGraph();
  const std::vector<backend::cuda::Step> steps = Steps(graph, /*fuse=*/true);
  ASSERT_EQ(steps.size(), graph.nodes.size()) << "the chain has nothing to fold";
  const std::vector<int64_t> scratch(steps.size(), 0);
  const backend::cuda::SegmentLayout layout =
      backend::cuda::PlanSegmentLayout(graph, WholeGraph(graph), steps, scratch);
  int64_t activation_bytes = 0;
  for (size_t t = 0; t < graph.tensors.size(); ++t) {
    const model::Tensor& tensor = graph.tensors[t];
    if (!tensor.is_constant) {
      EXPECT_GE(layout.arena_offsets[t], 0) << "tensor " << t;
      activation_bytes += tensor.num_elements() * 4;
    } else if (tensor.type == model::DataType::kFloat32) {
      EXPECT_GE(layout.weight_offsets[t], 0) << "tensor " << t;
    } else {
      EXPECT_LT(layout.weight_offsets[t], 0) << "int32 operands stay on the host: tensor " << t;
    }
  }
  EXPECT_LT(layout.arena_bytes, activation_bytes) << "some buffers should share memory";
  ASSERT_EQ(layout.inputs.size(), 1u);
  ASSERT_EQ(layout.outputs.size(), 2u);
  // The conv output is read by the ADD and copied out at the end: nothing
  // produced after it may overwrite it.
  const int conv = graph.outputs[0];
  for (int t :
       {graph.nodes[1].outputs[0], graph.nodes[2].outputs[0], graph.nodes[3].outputs[0], graph.outputs[1]}) {
    const int64_t a = layout.arena_offsets[conv], b = layout.arena_offsets[t];
    EXPECT_TRUE(a + graph.tensors[conv].num_elements() * 4 <= b ||
                b + graph.tensors[t].num_elements() * 4 <= a)
        << "tensor " << t << " overlaps the conv output";
  }
}

TEST(CudaBackendTest, AvailabilityAnswersWithoutCrashing) {
  const Status available = Cuda()->Availability();
  EXPECT_STREQ(Cuda()->name(), "cuda");
  if (!available.ok()) {
    EXPECT_EQ(available.code(), StatusCode::kUnavailable);
    EXPECT_EQ(available.message().rfind("no CUDA device", 0), 0u) << available.message();
  }
}

// The runtime refuses a setting no backend names (Backend::SettingKeys), so a switch that Compile
// reads but SettingKeys leaves out works in these tests (which compile directly) and nowhere else.
TEST(CudaBackendTest, NamesEveryKernelSwitchItReads) {
  const std::vector<std::string> keys = Cuda()->SettingKeys();
  for (const char* setting :
       {"cuda.fusion", "cuda.fusion_moves_to_add", "cuda.fusion_pooled_residual", "cuda.tensor_cores",
        "cuda.small_tensor_cores", "cuda.preprocess", "cuda.small_depthwise_row_tiles", "cuda.unrolled_taps",
        "cuda.half_row_sums", "cuda.split_min_k", "cuda.split_blocks_per_sm", "cuda.k_groups",
        "cuda.warp_products", "cuda.sync", "cuda.stream_priorities", "cuda.packed_io", "cuda.upload_wait"}) {
    EXPECT_NE(std::find(keys.begin(), keys.end(), setting), keys.end()) << setting;
  }
}

TEST(CudaBackendTest, SupportsEveryOpCaseOfTheTable) {
  std::unique_ptr<Backend> cuda = Cuda();
  std::vector<bool> covered(model::kNumOpTypes, false);
  for (const OpCase& c : AllOpCases()) {
    for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
      const Status supported = cuda->Supports(c.graph, node);
      EXPECT_TRUE(supported.ok()) << c.name << ": " << supported.message();
      covered[static_cast<int>(c.graph.nodes[node].op)] = true;
    }
  }
  for (int op = 0; op < model::kNumOpTypes; ++op) EXPECT_TRUE(covered[op]) << "op type " << op;
}

TEST(CudaBackendTest, RefusesNodesTheModelReaderRejects) {
  std::unique_ptr<Backend> cuda = Cuda();
  for (const OpCase& c : BeyondReaderOpCases()) {
    for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
      if (model::ValidateNode(c.graph, node).ok()) continue;
      const Status supported = cuda->Supports(c.graph, node);
      EXPECT_EQ(supported.code(), StatusCode::kUnsupported) << c.name << ": " << supported.message();
      EXPECT_NE(supported.message().find("not a node the model reader accepts"), std::string::npos)
          << supported.message();
    }
  }
}

// x -> CONV_2D(1x1) -> ADD(skip, .) -> PRELU -> y, and a -> ADD(a, b) -> PRELU -> z:
// the palm models' two block endings. With `conv_escapes`, the conv output is
// also a graph output, so nothing may be folded into the conv. A small image
// with many input channels makes the 1x1 convolution a split GEMM.
model::Graph ResidualBlocks(bool conv_escapes, int size = 3, int in_channels = 512, int out_channels = 40) {
  GraphBuilder b("residual_blocks");
  const std::vector<int> out_shape = {1, size, size, out_channels};
  const int x = b.Input({1, size, size, in_channels}), skip = b.Input(out_shape);
  const int w = b.Constant({out_channels, 1, 1, in_channels}, 0.1f), bias = b.Constant({out_channels});
  const int conv = conv_escapes ? b.Output(out_shape) : b.Intermediate(out_shape);
  model::NodeParams relu;
  relu.activation = model::Activation::kRelu;
  b.AddNode(model::OpType::kConv2D, {x, w, bias}, {conv}, relu);
  const int sum = b.Intermediate(out_shape);
  b.AddNode(model::OpType::kAdd, {skip, conv}, {sum});
  const int alpha = b.Constant({1, 1, out_channels}), y = b.Output(out_shape);
  b.AddNode(model::OpType::kPRelu, {sum, alpha}, {y});
  const int c = b.Input(out_shape), sum2 = b.Intermediate(out_shape), z = b.Output(out_shape);
  b.AddNode(model::OpType::kAdd, {y, c}, {sum2});
  b.AddNode(model::OpType::kPRelu, {sum2, alpha}, {z});
  return b.Build();
}

TEST(CudaFusionTest, FoldsAddAndPreluIntoTheNodeBefore) {
  const model::Graph graph = ResidualBlocks(/*conv_escapes=*/false);
  const std::vector<backend::cuda::Step> steps = Steps(graph, /*fuse=*/true);
  ASSERT_EQ(steps.size(), 2u);
  EXPECT_EQ(steps[0].node, 0);
  EXPECT_EQ(steps[0].add, 1);
  EXPECT_EQ(steps[0].add_residual, graph.nodes[1].inputs[0]) << "the ADD's other operand";
  EXPECT_EQ(steps[0].prelu, 2);
  EXPECT_EQ(steps[0].output, graph.outputs[0]);
  EXPECT_EQ(steps[1].node, 3);
  EXPECT_EQ(steps[1].add, -1) << "an ADD takes no second ADD";
  EXPECT_EQ(steps[1].prelu, 4);

  const std::vector<int64_t> scratch(steps.size(), 0);
  const backend::cuda::SegmentLayout layout =
      backend::cuda::PlanSegmentLayout(graph, WholeGraph(graph), steps, scratch);
  for (int inside : {graph.nodes[0].outputs[0], graph.nodes[1].outputs[0], graph.nodes[3].outputs[0]}) {
    EXPECT_LT(layout.arena_offsets[inside], 0) << "tensor " << inside << " is never stored";
  }

  EXPECT_EQ(Steps(graph, /*fuse=*/false).size(), graph.nodes.size());
}

// BlazePalm's channel-growing block lists DEPTHWISE, CONV_2D(1x1), MAX_POOL, PAD, ADD, PRELU:
// the convolution moves to just before the ADD, which then folds into it with the PRELU (four
// kernels instead of five); without the move (cuda.fusion_moves_to_add 0) the ADD and PRELU
// are a step of their own.
TEST(CudaFusionTest, MovesAProductToTheLaterAddItFeeds) {
  std::optional<model::Graph> block;
  for (OpCase& c : AllOpCases()) {
    if (c.name.rfind("block_palm_shortcut_", 0) == 0) block = std::move(c.graph);
  }
  ASSERT_TRUE(block.has_value());
  const model::Graph& graph = *block;
  ASSERT_EQ(graph.nodes.size(), 6u);
  ASSERT_EQ(graph.nodes[1].op, model::OpType::kConv2D);
  ASSERT_EQ(graph.nodes[4].op, model::OpType::kAdd);

  const std::vector<backend::cuda::Step> moved = backend::cuda::PlanSteps(
      graph, WholeGraph(graph), /*fuse=*/true, backend::cuda::TakesEpilogue, /*move_to_add=*/true,
      /*fold_pooled_residual=*/false);
  ASSERT_EQ(moved.size(), 4u);
  EXPECT_EQ(moved[0].node, 0) << "the depthwise layer";
  EXPECT_EQ(moved[1].node, 2) << "the pool, now before the convolution";
  EXPECT_EQ(moved[2].node, 3) << "the pad";
  EXPECT_EQ(moved[3].node, 1) << "the convolution, just before the ADD";
  EXPECT_EQ(moved[3].add, 4);
  EXPECT_EQ(moved[3].add_residual, graph.nodes[3].outputs[0]) << "the pad's output";
  EXPECT_EQ(moved[3].prelu, 5);
  EXPECT_EQ(moved[3].output, graph.outputs[0]);
  EXPECT_EQ(moved[3].residual_pool, -1);

  // By default the pool and the pad fold into the convolution's step as well: two kernels.
  const std::vector<backend::cuda::Step> folded = Steps(graph, /*fuse=*/true);
  ASSERT_EQ(folded.size(), 2u);
  EXPECT_EQ(folded[0].node, 0) << "the depthwise layer";
  EXPECT_EQ(folded[1].node, 1) << "the convolution";
  EXPECT_EQ(folded[1].residual_pool, 2);
  EXPECT_EQ(folded[1].residual_pad, 3);
  EXPECT_EQ(folded[1].add_residual, graph.inputs[0]) << "the pool's input, the block's";
  EXPECT_EQ(folded[1].add, 4);
  EXPECT_EQ(folded[1].prelu, 5);
  EXPECT_EQ(folded[1].output, graph.outputs[0]);
  EXPECT_EQ(backend::cuda::StepNodes(folded[1]), (std::vector<int>{2, 3, 1, 4, 5}));

  const std::vector<backend::cuda::Step> in_order = backend::cuda::PlanSteps(
      graph, WholeGraph(graph), /*fuse=*/true, backend::cuda::TakesEpilogue, /*move_to_add=*/false);
  ASSERT_EQ(in_order.size(), 5u);
  EXPECT_EQ(in_order[1].node, 1);
  EXPECT_EQ(in_order[1].add, -1);
  EXPECT_EQ(in_order[4].node, 4) << "the ADD runs alone";
  EXPECT_EQ(in_order[4].prelu, 5);

  // Whatever the order and folding, every node runs exactly once.
  for (const std::vector<backend::cuda::Step>* steps : {&moved, &folded}) {
    std::vector<int> nodes;
    for (const backend::cuda::Step& step : *steps) {
      for (int node : backend::cuda::StepNodes(step)) nodes.push_back(node);
    }
    std::sort(nodes.begin(), nodes.end());
    EXPECT_EQ(nodes, (std::vector<int>{0, 1, 2, 3, 4, 5}));
  }

  // A pooled tensor that something else reads too stays a step of its own.
  model::Graph shared_pool = graph;
  shared_pool.outputs.push_back(graph.nodes[2].outputs[0]);
  const std::vector<backend::cuda::Step> kept = Steps(shared_pool, /*fuse=*/true);
  ASSERT_EQ(kept.size(), 4u);
  EXPECT_EQ(kept[3].residual_pool, -1);
  EXPECT_EQ(kept[3].add_residual, graph.nodes[3].outputs[0]);
}

TEST(CudaFusionTest, KeepsTensorsThatAreReadElsewhere) {
  const model::Graph graph = ResidualBlocks(/*conv_escapes=*/true);
  const std::vector<backend::cuda::Step> steps = Steps(graph, /*fuse=*/true);
  ASSERT_EQ(steps.size(), 3u);
  EXPECT_EQ(steps[0].add, -1) << "the conv output is a segment output";
  EXPECT_EQ(steps[1].node, 1);
  EXPECT_EQ(steps[1].prelu, 2) << "the ADD is the producer now";
}

// ---------------------------------------------------------------------------
// On a GPU.

// Compiles `c` with `settings` in `precision`, runs it on `inputs` and expects `expected` (the
// reference backend's) within the precision's tolerance; failures name the case, precision and settings.
void ExpectMatchWithSettings(const OpCase& c, const Tensors& inputs, const Tensors& expected,
                             Precision precision, const std::map<std::string, std::string>& settings) {
  std::string what = c.name + " " + PrecisionName(precision);
  BackendOptions options = CudaOptions(precision);
  for (const auto& [key, value] : settings) {
    what += " " + key + "=" + value;
    options.settings[key] = value;
  }
  Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(c.graph, WholeGraph(c.graph), options);
  ASSERT_TRUE(segment.ok()) << what << ": " << segment.status().message();
  Result<Tensors> got = RunSegment(**segment, c.graph, inputs);
  ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
  ExpectClose(*got, expected, what, precision == Precision::kFp16 ? 1e-2f : 1e-4f);
}

// The kernels chosen by size in both precisions: the large-batch kernels (and
// the CUDA-core GEMM they replace, with the setting cuda.tensor_cores 0), and
// small products split over K on the tensor cores or the CUDA cores. The
// reference runs once per case.
class CudaLargeBatchTest : public ::testing::TestWithParam<OpCase> {};

TEST_P(CudaLargeBatchTest, MatchesTheReferenceBackend) {
  HT_REQUIRE_CUDA_DEVICE();
  const OpCase& c = GetParam();
  const Tensors inputs = RandomInputs(c.graph, 11, c.input_range);
  const Tensors expected = RunReference(c.graph, inputs);
  for (const char* tensor_cores : {"1", "0"}) {
    for (Precision precision : {Precision::kFp16, Precision::kFp32}) {
      ExpectMatchWithSettings(c, inputs, expected, precision, {{"cuda.tensor_cores", tensor_cores}});
    }
  }
}

INSTANTIATE_TEST_SUITE_P(LargeBatch, CudaLargeBatchTest, ::testing::ValuesIn(LargeBatchOpCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });
INSTANTIATE_TEST_SUITE_P(SmallProducts, CudaLargeBatchTest, ::testing::ValuesIn(SmallProductOpCases()),
                         [](const ::testing::TestParamInfo<OpCase>& info) { return info.param.name; });

TEST(CudaBackendTest, RunsMultiNodeSegmentsWithSharedArenaMemory) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), CudaOptions());
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  EXPECT_EQ((*segment)->run_times().device_seconds, 0.0) << "no run yet";
  EXPECT_EQ((*segment)->run_times().wait_seconds, 0.0) << "no run yet";
  SegmentRunTimes before;
  for (uint32_t seed : {1u, 2u}) {
    const Tensors inputs = RandomInputs(graph, seed, 2);
    Result<Tensors> got = RunSegment(**segment, graph, inputs);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose(*got, RunReference(graph, inputs), "chain seed " + std::to_string(seed));
    // Each run adds its time on the GPU (device events around the graph launch) and the
    // host's: the launch, the wait for the stream and the copies.
    const SegmentRunTimes after = (*segment)->run_times();
    EXPECT_GT(after.device_seconds, before.device_seconds) << "seed " << seed;
    EXPECT_LT(after.device_seconds, 60.0);
    EXPECT_GT(after.launch_seconds, before.launch_seconds) << "seed " << seed;
    EXPECT_GT(after.copy_seconds, before.copy_seconds) << "seed " << seed;
    EXPECT_GT(after.wait_seconds, before.wait_seconds) << "seed " << seed;
    before = after;
  }
}

// Fused and unfused, with and without a split GEMM under the epilogue.
TEST(CudaBackendTest, FusedBlocksMatchTheReference) {
  HT_REQUIRE_CUDA_DEVICE();
  for (const char* fusion : {"1", "0"}) {
    BackendOptions options = CudaOptions();
    options.settings["cuda.fusion"] = fusion;
    for (bool conv_escapes : {false, true}) {
      for (int size : {3, 40}) {
        const model::Graph graph = ResidualBlocks(conv_escapes, size, size == 3 ? 512 : 24);
        const std::string what = std::string("fusion=") + fusion +
                                 " conv_escapes=" + std::to_string(conv_escapes) +
                                 " size=" + std::to_string(size);
        Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
        ASSERT_TRUE(segment.ok()) << what << ": " << segment.status().message();
        for (uint32_t seed : {1u, 2u, 3u}) {
          const Tensors inputs = RandomInputs(graph, seed, 2);
          Result<Tensors> got = RunSegment(**segment, graph, inputs);
          ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
          ExpectClose(*got, RunReference(graph, inputs), what + " seed " + std::to_string(seed));
        }
      }
    }
  }
}

// BlazePalm's channel-growing block with its convolution moved to the ADD (the default) and in
// node order, with the ADD's pooled and padded operand folded into the convolution (the default)
// and not, in both precisions, on one frame and on three.
TEST(CudaBackendTest, AProductMovedToItsAddMatchesTheReference) {
  HT_REQUIRE_CUDA_DEVICE();
  int blocks = 0;
  for (std::vector<OpCase> table : {AllOpCases(), LargeBatchOpCases()}) {
    for (OpCase& c : table) {
      if (c.name.rfind("block_palm_shortcut_", 0) != 0) continue;
      ++blocks;
      const Tensors inputs = RandomInputs(c.graph, 4, c.input_range);
      const Tensors expected = RunReference(c.graph, inputs);
      for (const char* moves : {"1", "0"}) {
        for (const char* pooled : {"1", "0"}) {
          for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
            ExpectMatchWithSettings(
                c, inputs, expected, precision,
                {{"cuda.fusion_moves_to_add", moves}, {"cuda.fusion_pooled_residual", pooled}});
          }
        }
      }
    }
  }
  EXPECT_EQ(blocks, 2);
}

// How host threads wait for the GPU (cuda.sync) changes nothing in the results; a bad value is
// refused with its name. Left at "auto" afterwards, as CUDA starts.
TEST(CudaBackendTest, EverySyncSettingRunsAndABadOneIsRefused) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 7, 2);
  for (const char* sync : {"blocking", "yield", "spin", "auto"}) {
    BackendOptions options = CudaOptions();
    options.settings["cuda.sync"] = sync;
    Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
    ASSERT_TRUE(segment.ok()) << sync << ": " << segment.status().message();
    Result<Tensors> got = RunSegment(**segment, graph, inputs);
    ASSERT_TRUE(got.ok()) << sync << ": " << got.status().message();
    ExpectClose(*got, RunReference(graph, inputs), std::string("cuda.sync=") + sync);
  }
  // cuda.upload_wait ("host" or "stream", run by the sampling tests) is refused the same way.
  for (const auto& [key, value] :
       {std::pair{"cuda.sync", "sometimes"}, std::pair{"cuda.upload_wait", "later"}}) {
    BackendOptions bad = CudaOptions();
    bad.settings[key] = value;
    Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), bad);
    ASSERT_FALSE(refused.ok()) << key;
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find(key), std::string::npos) << refused.status().message();
  }
}

// A high-priority segment (the landmark model in an engine) runs on a stream of the device's
// greatest priority: the same kernels, so the same bytes as a normal one, with the setting on or off.
TEST(CudaBackendTest, HighPriorityStreamsGiveTheSameBytes) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 7, 2);
  std::optional<Tensors> normal;
  for (const RunPriority priority : {RunPriority::kNormal, RunPriority::kHigh}) {
    for (const char* value : {"1", "0"}) {
      const std::string what = std::string(priority == RunPriority::kHigh ? "high" : "normal") +
                               " priority, cuda.stream_priorities=" + value;
      BackendOptions options = CudaOptions(Precision::kFp16);
      options.priority = priority;
      options.settings["cuda.stream_priorities"] = value;
      Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
      ASSERT_TRUE(segment.ok()) << what << ": " << segment.status().message();
      Result<Tensors> got = RunSegment(**segment, graph, inputs);
      ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
      if (!normal.has_value()) normal = *got;
      EXPECT_EQ(*got, *normal) << what;
    }
  }
  BackendOptions bad = CudaOptions();
  bad.priority = RunPriority::kHigh;
  bad.settings["cuda.stream_priorities"] = "2";
  Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(refused.status().message().find("cuda.stream_priorities"), std::string::npos)
      << refused.status().message();
}

// Runs every case with the kernel switch `setting` at "0" and then "1", in both precisions and
// with `crossed` (another switch) at "1" and "0", and expects the same bytes from both; then
// expects `setting` = "2" to be refused by name. For kernels that keep the generic kernels' sum
// order, so that switching them on changes speed only.
void ExpectSwitchKeepsTheBits(const std::vector<OpCase>& cases, const std::string& setting,
                              const std::string& crossed) {
  for (const OpCase& c : cases) {
    const Tensors inputs = RandomInputs(c.graph, 3, c.input_range);
    for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
      for (const char* crossed_value : {"1", "0"}) {
        std::optional<Tensors> generic;
        for (const char* value : {"0", "1"}) {
          const std::string what = c.name + " " + PrecisionName(precision) + " " + crossed + "=" +
                                   crossed_value + " " + setting + "=" + value;
          BackendOptions options = CudaOptions(precision);
          options.settings[crossed] = crossed_value;
          options.settings[setting] = value;
          Result<std::unique_ptr<CompiledSegment>> segment =
              Cuda()->Compile(c.graph, WholeGraph(c.graph), options);
          ASSERT_TRUE(segment.ok()) << what << ": " << segment.status().message();
          Result<Tensors> got = RunSegment(**segment, c.graph, inputs);
          ASSERT_TRUE(got.ok()) << what << ": " << got.status().message();
          if (!generic.has_value()) {
            generic = std::move(got).value();
            continue;
          }
          ASSERT_EQ(got->size(), generic->size()) << what;
          for (size_t o = 0; o < got->size(); ++o) {
            ASSERT_EQ(got->at(o).size(), generic->at(o).size()) << what;
            EXPECT_EQ(
                std::memcmp(got->at(o).data(), generic->at(o).data(), got->at(o).size() * sizeof(float)), 0)
                << what << ": output " << o << " differs from the generic kernels'";
          }
        }
      }
    }
  }
  BackendOptions bad = CudaOptions();
  bad.settings[setting] = "2";
  const model::Graph graph = cases.front().graph;
  Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find(setting), std::string::npos) << refused.status().message();
}

// The kernels with compile-time taps (cuda.unrolled_taps, on by default) sum in the generic
// kernels' order: every depthwise case of the op tables, and every convolution over 3 input
// channels (the first layers, which take the one-pixel strip kernel at small batches), gives
// the same bits with the setting on and off, in both precisions, and with the row tiles taking
// batches of a few frames or not (then the taps kernel takes those batches instead). Cases
// they do not cover (a multiplier, dilation, channels not a multiple of 4, stride 1) run the
// generic kernels both times.
TEST(CudaBackendTest, UnrolledTapsKernelsGiveTheGenericKernelsBits) {
  HT_REQUIRE_CUDA_DEVICE();
  std::vector<OpCase> cases;
  for (std::vector<OpCase> table : {AllOpCases(), LargeBatchOpCases()}) {
    for (OpCase& c : table) {
      if (c.graph.nodes.size() != 1) continue;
      const model::Node& node = c.graph.nodes[0];
      const bool first_layer =
          node.op == model::OpType::kConv2D && c.graph.tensors[node.inputs[0]].shape[3] == 3;
      if (node.op == model::OpType::kDepthwiseConv2D || first_layer) cases.push_back(std::move(c));
    }
  }
  ASSERT_GE(cases.size(), 25u);
  ExpectSwitchKeepsTheBits(cases, "cuda.unrolled_taps", "cuda.small_depthwise_row_tiles");
  // fp16 filter rows summed in halves (the default) and every tap in float: each kernel keeps
  // the generic kernel's order in both.
  ExpectSwitchKeepsTheBits(cases, "cuda.unrolled_taps", "cuda.half_row_sums");
}

// fp16 depthwise layers with each filter row summed in halves (cuda.half_row_sums 1, the
// default) and with every tap summed in float (0) both match the reference, on every
// depthwise case of the op tables (the row tiles, the taps kernels and the generic kernel);
// a value other than 0 / 1 is refused by name.
TEST(CudaBackendTest, HalfRowSumsAndFloatSumsMatchTheReference) {
  HT_REQUIRE_CUDA_DEVICE();
  int depthwise_cases = 0;
  for (std::vector<OpCase> table : {AllOpCases(), LargeBatchOpCases()}) {
    for (const OpCase& c : table) {
      if (c.graph.nodes.size() != 1 || c.graph.nodes[0].op != model::OpType::kDepthwiseConv2D) continue;
      ++depthwise_cases;
      const Tensors inputs = RandomInputs(c.graph, 6, c.input_range);
      const Tensors expected = RunReference(c.graph, inputs);
      for (const char* half_rows : {"1", "0"}) {
        ExpectMatchWithSettings(c, inputs, expected, Precision::kFp16, {{"cuda.half_row_sums", half_rows}});
      }
    }
  }
  EXPECT_GE(depthwise_cases, 20);
  const model::Graph graph = ChainOfOpsGraph();
  BackendOptions bad = CudaOptions(Precision::kFp16);
  bad.settings["cuda.half_row_sums"] = "yes";
  Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), bad);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("cuda.half_row_sums"), std::string::npos)
      << refused.status().message();
}

// How finely small products are split over K (cuda.split_min_k and cuda.split_blocks_per_sm:
// from a split per 16 values of K to none at all), and whether products of few rows take one warp per output
// (cuda.warp_products) or the tiles, change only the order of the sums: every combination
// matches the reference, on the tensor cores (fp16) and the CUDA cores (fp32). Values that are
// not positive integers, or 0 / 1 for the switch, are refused by name.
TEST(CudaBackendTest, EverySplitPolicyAndProductKernelMatchTheReferenceAndBadValuesAreRefused) {
  HT_REQUIRE_CUDA_DEVICE();
  for (const OpCase& c : SmallProductOpCases()) {
    const Tensors inputs = RandomInputs(c.graph, 5, c.input_range);
    const Tensors expected = RunReference(c.graph, inputs);
    for (const char* warp_products : {"1", "0"}) {
      // From one split per 16 values of K with many blocks each to no split at all.
      for (const auto& [min_k, blocks] : std::vector<std::pair<const char*, const char*>>{
               {"16", "8"}, {"32", "4"}, {"64", "2"}, {"256", "1"}, {"1000000", "2"}}) {
        ExpectMatchWithSettings(c, inputs, expected, Precision::kFp32,
                                {{"cuda.split_min_k", min_k},
                                 {"cuda.split_blocks_per_sm", blocks},
                                 {"cuda.warp_products", warp_products}});
        // fp16 products on the tensor cores split K between 1-8 groups of warps per block first.
        for (const char* k_groups : {"1", "2", "4", "8"}) {
          ExpectMatchWithSettings(c, inputs, expected, Precision::kFp16,
                                  {{"cuda.split_min_k", min_k},
                                   {"cuda.split_blocks_per_sm", blocks},
                                   {"cuda.warp_products", warp_products},
                                   {"cuda.k_groups", k_groups}});
        }
      }
    }
  }
  const model::Graph graph = SmallProductOpCases().front().graph;
  {
    BackendOptions options = CudaOptions();
    options.settings["cuda.warp_products"] = "2";
    Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), options);
    ASSERT_FALSE(refused.ok());
    EXPECT_NE(refused.status().message().find("cuda.warp_products"), std::string::npos)
        << refused.status().message();
  }
  for (const char* bad : {"0", "3", "16", "four", ""}) {
    BackendOptions options = CudaOptions();
    options.settings["cuda.k_groups"] = bad;
    Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), options);
    ASSERT_FALSE(refused.ok()) << "cuda.k_groups='" << bad << "'";
    EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(refused.status().message().find("cuda.k_groups"), std::string::npos)
        << refused.status().message();
  }
  for (const char* setting : {"cuda.split_min_k", "cuda.split_blocks_per_sm"}) {
    for (const char* bad : {"0", "-64", "64k", "", "2000000"}) {
      BackendOptions options = CudaOptions();
      options.settings[setting] = bad;
      Result<std::unique_ptr<CompiledSegment>> refused = Cuda()->Compile(graph, WholeGraph(graph), options);
      ASSERT_FALSE(refused.ok()) << setting << "='" << bad << "'";
      EXPECT_EQ(refused.status().code(), StatusCode::kInvalidArgument) << setting << "='" << bad << "'";
      EXPECT_NE(refused.status().message().find(setting), std::string::npos) << refused.status().message();
    }
  }
}

// Outputs are lent from the pinned staging (OutputHostBuffer): a run given those buffers leaves
// the same values there as a run given buffers of its own, in fp32 and fp16; inputs lend none.
TEST(CudaBackendTest, LentOutputBuffersHoldTheOutputsAfterARun) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 11, 2);
  for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
    Result<std::unique_ptr<CompiledSegment>> segment =
        Cuda()->Compile(graph, WholeGraph(graph), CudaOptions(precision));
    ASSERT_TRUE(segment.ok()) << segment.status().message();
    EXPECT_EQ((*segment)->OutputHostBuffer(graph.inputs[0]), nullptr);
    Result<Tensors> own = RunSegment(**segment, graph, inputs);
    ASSERT_TRUE(own.ok()) << own.status().message();
    HostBuffers buffers(graph, inputs);
    for (int t : graph.outputs) {
      float* lent = (*segment)->OutputHostBuffer(t);
      ASSERT_NE(lent, nullptr);
      std::fill_n(lent, graph.tensors[t].num_elements(), NAN);
      buffers.tensors.data[t] = lent;
    }
    ASSERT_TRUE((*segment)->Run(buffers.tensors).ok());
    for (size_t o = 0; o < graph.outputs.size(); ++o) {
      const float* lent = buffers.tensors.data[graph.outputs[o]];
      EXPECT_TRUE(std::equal(own->at(o).begin(), own->at(o).end(), lent)) << "output " << o;
    }
  }
}

// The tensor-core GEMM's epilogue (bias, RELU, folded ADD and PRELU) in fp16,
// on a product with 200 128-row tiles (160 x 160 pixels) and on one split over
// K (3 x 3 pixels, 512 channels: the epilogue then runs in the reduction).
TEST(CudaBackendTest, FusedBlocksMatchTheReferenceOnTheTensorCores) {
  HT_REQUIRE_CUDA_DEVICE();
  for (auto [conv_escapes, size, in_channels] : {std::tuple{false, 160, 64}, std::tuple{true, 160, 64},
                                                 std::tuple{false, 3, 512}, std::tuple{true, 3, 512}}) {
    const model::Graph graph = ResidualBlocks(conv_escapes, size, in_channels, 40);
    const BackendOptions options = CudaOptions(Precision::kFp16);
    Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
    ASSERT_TRUE(segment.ok()) << segment.status().message();
    const Tensors inputs = RandomInputs(graph, 5, 2);
    Result<Tensors> got = RunSegment(**segment, graph, inputs);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ExpectClose(*got, RunReference(graph, inputs),
                "fp16 conv_escapes=" + std::to_string(conv_escapes) + " size=" + std::to_string(size), 1e-2f);
  }
}

TEST(CudaBackendTest, SegmentsRunConcurrentlyOnTheirOwnThreads) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  const Tensors inputs = RandomInputs(graph, 3, 2);
  const Tensors expected = RunReference(graph, inputs);
  std::vector<Tensors> results(4);
  std::vector<std::string> errors(results.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < results.size(); ++i) {
    threads.emplace_back([&, i] {
      Result<std::unique_ptr<CompiledSegment>> segment =
          Cuda()->Compile(graph, WholeGraph(graph), CudaOptions());
      if (!segment.ok()) {
        errors[i] = segment.status().message();
        return;
      }
      for (int run = 0; run < 20; ++run) {
        Result<Tensors> got = RunSegment(**segment, graph, inputs);
        if (!got.ok()) {
          errors[i] = got.status().message();
          return;
        }
        results[i] = std::move(*got);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_EQ(errors[i], "") << "thread " << i;
    ExpectClose(results[i], expected, "thread " + std::to_string(i));
  }
}

// The segment checks every backend shares (backend/segment_check.h) are
// backend_op_test's BackendContract/cuda.SegmentChecks.

TEST(CudaBackendTest, InjectedOutOfMemoryIsResourceExhausted) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = ChainOfOpsGraph();
  BackendOptions options = CudaOptions();
  Result<backend::FaultInjection> faults = backend::FaultInjection::Parse("xnnpack:run,cuda:oom");
  ASSERT_TRUE(faults.ok()) << faults.status().message();
  options.faults = *faults;
  Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
  ASSERT_FALSE(segment.ok());
  EXPECT_EQ(segment.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(segment.status().message().find("failed to allocate"), std::string::npos)
      << segment.status().message();
  EXPECT_NE(segment.status().message().find("out of memory"), std::string::npos)
      << segment.status().message();
}

std::vector<std::vector<float>> RunWithSeededInput(ModelRunner& runner) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (float& v : runner.input(0)) v = uniform(rng);
  const Status run = runner.Run();
  EXPECT_TRUE(run.ok()) << run.message();
  std::vector<std::vector<float>> outputs;
  for (int i = 0; i < runner.num_outputs(); ++i)
    outputs.emplace_back(runner.output(i).begin(), runner.output(i).end());
  return outputs;
}

// A runner on `delegate` (cuda among its candidates) with the command line's
// settings and the given faults ("cuda:run", ModelRunner::Options::inject_faults).
ModelRunner::Options CudaRunnerOptions(Delegate delegate, const std::string& faults = "") {
  ModelRunner::Options options;
  options.delegate = delegate;
  options.precision = Precision::kFp32;  // compared with the reference at float32's bound
  options.inject_faults = faults;
  options.backend_settings = CommandLineBackendSettings();
  return options;
}

// kAuto drops a failing cuda, still gives the reference's results and says
// why; a named cuda delegate reports the same faults as errors.
TEST(CudaFallbackTest, InjectedFaultsFallBackUnderAutoAndFailWhenNamed) {
  HT_REQUIRE_FIXTURE(!ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  HT_REQUIRE_CUDA_DEVICE();
  const std::string path = ModelPath("hand_landmark_lite");
  auto reference = ModelRunner::Create(path, Delegate::kReference, 1);
  ASSERT_TRUE(reference.ok()) << reference.status().message();
  const Tensors expected = RunWithSeededInput(**reference);
  {
    auto runner = ModelRunner::Create(path, CudaRunnerOptions(Delegate::kAuto));
    ASSERT_TRUE(runner.ok()) << runner.status().message();
    EXPECT_NE((*runner)->DescribePlan().find("cuda:"), std::string::npos) << (*runner)->DescribePlan();
    ExpectClose(RunWithSeededInput(**runner), expected, "auto without faults");
  }
  struct Fault {
    const char* spec;
    const char* reason;     // in the plan's note under kAuto
    StatusCode named_code;  // with Delegate::kCuda
    bool fails_at_create;
  };
  for (const Fault& fault : {Fault{"cuda:run", "fault injected", StatusCode::kUnavailable, false},
                             Fault{"cuda:oom", "out of memory", StatusCode::kResourceExhausted, true}}) {
    auto runner = ModelRunner::Create(path, CudaRunnerOptions(Delegate::kAuto, fault.spec));
    ASSERT_TRUE(runner.ok()) << fault.spec << ": " << runner.status().message();
    ExpectClose(RunWithSeededInput(**runner), expected, std::string("auto with ") + fault.spec);
    const std::string plan = (*runner)->DescribePlan();
    EXPECT_NE(plan.find("cuda dropped"), std::string::npos) << fault.spec << ": " << plan;
    EXPECT_NE(plan.find(fault.reason), std::string::npos) << fault.spec << ": " << plan;

    auto named = ModelRunner::Create(path, CudaRunnerOptions(Delegate::kCuda, fault.spec));
    Status status = named.ok() ? (*named)->Run() : named.status();
    EXPECT_EQ(named.ok(), !fault.fails_at_create) << fault.spec << ": " << status.message();
    EXPECT_EQ(status.code(), fault.named_code) << fault.spec << ": " << status.message();
    EXPECT_NE(status.message().find("cuda"), std::string::npos) << status.message();
  }
}

// The default precision (auto) plans fp16 on cuda, named or chosen by auto, and the runner,
// an engine and its landmarkers report fp16; the CPU fallback named beside it runs fp32.
TEST(CudaFallbackTest, AutoPrecisionIsHalfOnCuda) {
  HT_REQUIRE_FIXTURE(!ModelDir().empty(), "models (run scripts/fetch_models.sh)");
  HT_REQUIRE_CUDA_DEVICE();
  for (Delegate delegate : {Delegate::kCuda, Delegate::kAuto}) {
    ModelRunner::Options options;
    options.delegate = delegate;
    options.backend_settings = CommandLineBackendSettings();
    EXPECT_EQ(options.precision, Precision::kAuto);
    auto runner = ModelRunner::Create(ModelPath("hand_landmark_full"), options);
    ASSERT_TRUE(runner.ok()) << runner.status().message();
    EXPECT_EQ((*runner)->precision(), Precision::kFp16) << DelegateName(delegate);
    EXPECT_NE((*runner)->DescribePlan().find("thread(s), fp16"), std::string::npos)
        << (*runner)->DescribePlan();
  }
  HandEngineOptions engine_options;
  engine_options.model.delegate = Delegate::kCuda;
  auto engine = HandEngine::Create(engine_options);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  EXPECT_EQ((*engine)->options().model.precision, Precision::kFp16);
  HandLandmarkerOptions landmarker_options;
  landmarker_options.engine = *engine;
  auto landmarker = HandLandmarker::Create(landmarker_options);
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  EXPECT_EQ((*landmarker)->options().model.precision, Precision::kFp16);
}

// ---------------------------------------------------------------------------
// Pre-processing on the device: images sampled into a model input there give
// the CPU samplers' bits (device_sampling_check.h).

// Uploads return before their copies end (ImageUploader::Upload): the host ("host", the default)
// or the segment's stream ("stream") waits for them, and either way the kernels read whole images.
TEST(CudaSamplingTest, DeviceSamplingGivesTheCpuSamplersBits) {
  HT_REQUIRE_CUDA_DEVICE();
  for (const char* wait : {"host", "stream"}) {
    SCOPED_TRACE(std::string("cuda.upload_wait=") + wait);
    BackendOptions options = CudaOptions(Precision::kFp32);
    options.settings["cuda.upload_wait"] = wait;
    ExpectDeviceSamplingMatchesTheCpu(*Cuda(), options);
  }
}

// fp16: sampled straight into half precision (cuda.packed_io "1", the default) or into
// float32 and then converted ("0").
TEST(CudaSamplingTest, DeviceSamplingGivesTheCpuSamplersBitsInFp16) {
  HT_REQUIRE_CUDA_DEVICE();
  for (const char* packed : {"1", "0"}) {
    SCOPED_TRACE(std::string("cuda.packed_io=") + packed);
    BackendOptions options = CudaOptions(Precision::kFp16);
    options.settings["cuda.packed_io"] = packed;
    ExpectDeviceSamplingMatchesTheCpu(*Cuda(), options);
  }
}

// NV12 planes on the device, as NVDEC leaves its pictures there (handtrack/gpu_frame.h).
TEST(CudaSamplingTest, Nv12FramesOnTheDeviceGiveTheBitsOfTheirHostConversion) {
  HT_REQUIRE_CUDA_DEVICE();
  std::vector<std::unique_ptr<void, decltype(&cudaFree)>> allocations;
  const Nv12ToDevice to_device = [&](const Nv12View& host) -> Result<backend::DeviceImage> {
    Nv12View on_device = host;
    for (const auto& [from, to, bytes] :
         {std::tuple{host.luma, &on_device.luma, static_cast<size_t>(host.luma_stride_bytes) * host.height},
          std::tuple{host.chroma, &on_device.chroma,
                     static_cast<size_t>(host.chroma_stride_bytes) * ((host.height + 1) / 2)}}) {
      void* memory = nullptr;
      if (cudaMalloc(&memory, bytes) != cudaSuccess) return UnavailableError("cudaMalloc failed");
      allocations.emplace_back(memory, &cudaFree);
      if (cudaMemcpy(memory, from, bytes, cudaMemcpyHostToDevice) != cudaSuccess)
        return UnavailableError("cudaMemcpy failed");
      *to = static_cast<const uint8_t*>(memory);
    }
    if (host.rgb_table != nullptr) {
      const size_t bytes = (size_t{1} << 24) * sizeof(uint32_t);
      void* memory = nullptr;
      if (cudaMalloc(&memory, bytes) != cudaSuccess) return UnavailableError("cudaMalloc failed");
      allocations.emplace_back(memory, &cudaFree);
      if (cudaMemcpy(memory, host.rgb_table, bytes, cudaMemcpyHostToDevice) != cudaSuccess)
        return UnavailableError("cudaMemcpy failed");
      on_device.rgb_table = static_cast<const uint32_t*>(memory);
    }
    return backend::Nv12DeviceImage(on_device);
  };
  ExpectNv12SamplingMatchesTheCpu(*Cuda(), CudaOptions(Precision::kFp32), to_device);
  ExpectNv12SamplingMatchesTheCpu(*Cuda(), CudaOptions(Precision::kFp16), to_device);
}

// The uploader reads a GPU frame of its own device where it is, and refuses another device's.
TEST(CudaSamplingTest, UploaderUsesAGpuFrameOfItsDeviceOnly) {
  HT_REQUIRE_CUDA_DEVICE();
  class FakeGpuFrame final : public GpuFrame {
   public:
    FakeGpuFrame(int device, const Nv12View& view) : device_(device), view_(view) {}
    const Nv12View& nv12() const override { return view_; }
    int cuda_device() const override { return device_; }
    Result<Image> ToHostRgb() const override { return UnavailableError("not needed"); }

   private:
    int device_;
    Nv12View view_;
  };
  static const uint8_t planes[16] = {};
  Nv12View view;
  view.luma = view.chroma = planes;  // never read here: the addresses only pass through
  view.width = view.height = 2;
  view.luma_stride_bytes = view.chroma_stride_bytes = 2;
  view.matrix = YuvMatrix::kBt709;
  Result<std::unique_ptr<backend::ImageUploader>> uploader = Cuda()->CreateImageUploader();
  ASSERT_TRUE(uploader.ok() && *uploader != nullptr);
  const Result<backend::DeviceImage> same = (*uploader)->UseGpuFrame(FakeGpuFrame(0, view));
  ASSERT_TRUE(same.ok()) << same.status().message();
  EXPECT_EQ(same->pixels, planes);
  EXPECT_EQ(same->chroma, planes);
  EXPECT_EQ(same->yuv.red_v, YuvCoefficients(YuvMatrix::kBt709, false).red_v);
  const Result<backend::DeviceImage> other = (*uploader)->UseGpuFrame(FakeGpuFrame(7, view));
  EXPECT_EQ(other.status().code(), StatusCode::kUnsupported) << other.status().message();
  Nv12View broken = view;
  broken.chroma = nullptr;
  EXPECT_EQ((*uploader)->UseGpuFrame(FakeGpuFrame(0, broken)).status().code(), StatusCode::kInvalidArgument);
}

TEST(CudaSamplingTest, PreprocessSettingOffKeepsInputsOnTheHost) {
  HT_REQUIRE_CUDA_DEVICE();
  const model::Graph graph = SampledInputGraph(1, 8);
  BackendOptions options = CudaOptions();
  options.settings["cuda.preprocess"] = "0";
  Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph, WholeGraph(graph), options);
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  EXPECT_FALSE((*segment)->CanSampleInput(0));
  HostBuffers buffers(graph, Tensors(1, std::vector<float>(graph.tensors[0].num_elements())));
  const std::vector<backend::ImageSampling> samplings(1);
  EXPECT_EQ((*segment)->RunSampled(buffers.tensors, 0, samplings).code(), StatusCode::kInvalidArgument);
}

TEST(CudaSamplingTest, UploadRefusesAnInvalidImage) {
  HT_REQUIRE_CUDA_DEVICE();
  Result<std::unique_ptr<backend::ImageUploader>> uploader = Cuda()->CreateImageUploader();
  ASSERT_TRUE(uploader.ok() && *uploader != nullptr);
  const Result<backend::DeviceImage> uploaded = (*uploader)->Upload(ImageView{});
  ASSERT_FALSE(uploaded.ok());
  EXPECT_NE(uploaded.status().message().find("failed to upload"), std::string::npos)
      << uploaded.status().message();
}

// Each whole model as one CUDA segment against TFLite's own outputs, and
// replays that give the same bits. SetUp reads the model and TFLite's tensors.
class CudaModelTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    HT_REQUIRE_FIXTURE(!ModelDir().empty(), "models (run scripts/fetch_models.sh)");
    HT_REQUIRE_FIXTURE(!SharedDir().empty(), "../shared");
    HT_REQUIRE_CUDA_DEVICE();
    Result<model::Graph> graph = model::ReadTfliteFile(ModelPath(GetParam()));
    ASSERT_TRUE(graph.ok()) << graph.status().message();
    graph_ = std::move(*graph);
    Result<TensorDump> dump = ReadTensorDump(SharedDir() + "/golden/tensors/" + GetParam() + "_s1.tdmp");
    ASSERT_TRUE(dump.ok()) << dump.status().message();
    for (const NamedTensor& t : dump->inputs) inputs_.push_back(t.data);
    for (const NamedTensor& t : dump->outputs) expected_.push_back(t.data);
  }

  model::Graph graph_;
  Tensors inputs_, expected_;
};

TEST_P(CudaModelTest, MatchesTfliteAndRepeatsExactly) {
  const std::string& name = GetParam();
  Result<std::unique_ptr<CompiledSegment>> segment =
      Cuda()->Compile(graph_, WholeGraph(graph_), CudaOptions());
  ASSERT_TRUE(segment.ok()) << segment.status().message();
  Result<Tensors> first = RunSegment(**segment, graph_, inputs_);
  ASSERT_TRUE(first.ok()) << first.status().message();
  ExpectClose(*first, expected_, name);
  Result<Tensors> second = RunSegment(**segment, graph_, inputs_);
  ASSERT_TRUE(second.ok()) << second.status().message();
  EXPECT_EQ(*first, *second) << name << ": a replay gave different bits";
}

// fp16: the outputs (2 for the palm models, 4 for the landmark ones) converted and copied out
// at once give the bits of one conversion and copy each (cuda.packed_io "0"), and match TFLite.
TEST_P(CudaModelTest, PackedOutputsGiveTheBitsOfOneCopyEach) {
  const std::string& name = GetParam();
  std::optional<Tensors> one_copy_each;
  for (const char* packed : {"0", "1"}) {
    BackendOptions options = CudaOptions(Precision::kFp16);
    options.settings["cuda.packed_io"] = packed;
    Result<std::unique_ptr<CompiledSegment>> segment = Cuda()->Compile(graph_, WholeGraph(graph_), options);
    ASSERT_TRUE(segment.ok()) << segment.status().message();
    Result<Tensors> got = RunSegment(**segment, graph_, inputs_);
    ASSERT_TRUE(got.ok()) << got.status().message();
    ASSERT_GE(got->size(), 2u) << name;
    ExpectClose(*got, expected_, name + " fp16, cuda.packed_io=" + packed, 1e-2f);
    if (!one_copy_each.has_value()) one_copy_each = *got;
    EXPECT_EQ(*got, *one_copy_each) << name << ": packed outputs differ from one copy each";
  }
}

INSTANTIATE_TEST_SUITE_P(HandModels, CudaModelTest,
                         ::testing::Values("palm_detection_full", "palm_detection_lite", "hand_landmark_full",
                                           "hand_landmark_lite"));

}  // namespace
}  // namespace handtrack::testing

// Takes --cuda-setting out of argv before gtest sees it (backend_settings_flag.h).
int main(int argc, char** argv) {
  if (const handtrack::Status flags = handtrack::testing::ParseBackendSettingFlags(&argc, argv);
      !flags.ok()) {
    std::fprintf(stderr, "cuda_backend_test: %s\n", flags.message().c_str());
    return 2;
  }
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
