// The proof that a backend and an op case can be added from a test alone:
// this file edits nothing under src/ or include/, yet backend_op_test runs the
// backend "fake_cpu" on every op case, runs the case "add_relu_chain_fake_case"
// on every backend, and `backend_op_test --support-matrix` has a fake_cpu
// column. Both are registered by static initializers below
// (BackendRegistry::Global().Register and RegisterOpCase), which run before
// backend_op_test.cc's main() generates the tests from the registries.
//
// fake_cpu is a second implementation of five ops in plain loops of its own
// (ADD of equal shapes with any fused activation, RELU, RELU6, LOGISTIC,
// RESHAPE); its Supports() refuses everything else, as a partial backend does.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "backend/segment_check.h"
#include "model/graph.h"
#include "op_case_registry.h"
#include "op_graph_builders.h"
#include "runtime/backend_registry.h"

namespace handtrack::testing {
namespace {

using backend::Backend;
using backend::BackendOptions;
using backend::CompiledSegment;
using backend::HostTensors;
using backend::SegmentSpec;
using model::OpType;

constexpr char kFakeBackend[] = "fake_cpu";
constexpr char kFakeCase[] = "add_relu_chain_fake_case";

float Activate(float x, model::Activation activation) {
  switch (activation) {
    case model::Activation::kNone:
      return x;
    case model::Activation::kRelu:
      return x > 0 ? x : 0;
    case model::Activation::kReluN1To1:
      return x < -1 ? -1 : (x > 1 ? 1 : x);
    case model::Activation::kRelu6:
      return x < 0 ? 0 : (x > 6 ? 6 : x);
  }
  return x;
}

bool IsListed(const std::vector<int>& list, int tensor) {
  return std::find(list.begin(), list.end(), tensor) != list.end();
}

class FakeSegment final : public CompiledSegment {
 public:
  FakeSegment(const model::Graph& graph, SegmentSpec spec)
      : graph_(graph), spec_(std::move(spec)), internal_(graph.tensors.size()) {
    // Tensors produced and consumed inside the segment live here, not on the host.
    for (int n : spec_.nodes) {
      for (int t : graph.nodes[n].outputs) {
        if (!IsListed(spec_.outputs, t)) internal_[t].resize(graph.tensors[t].num_elements());
      }
    }
  }

  Status Run(const HostTensors& tensors) override {
    const std::string label = backend::SegmentLabel(graph_, spec_, kFakeBackend);
    HT_RETURN_IF_ERROR(backend::CheckHostBuffers(graph_, spec_.inputs, tensors, label));
    HT_RETURN_IF_ERROR(backend::CheckHostBuffers(graph_, spec_.outputs, tensors, label));
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      const float* in = Buffer(node.inputs[0], tensors);
      float* out = Buffer(node.outputs[0], tensors);
      const int64_t count = graph_.tensors[node.outputs[0]].num_elements();
      switch (node.op) {
        case OpType::kAdd: {
          const float* other = Buffer(node.inputs[1], tensors);
          for (int64_t i = 0; i < count; ++i) out[i] = Activate(in[i] + other[i], node.params.activation);
          break;
        }
        case OpType::kRelu:
          for (int64_t i = 0; i < count; ++i) out[i] = Activate(in[i], model::Activation::kRelu);
          break;
        case OpType::kRelu6:
          for (int64_t i = 0; i < count; ++i) out[i] = Activate(in[i], model::Activation::kRelu6);
          break;
        case OpType::kLogistic:
          for (int64_t i = 0; i < count; ++i) out[i] = 1.0f / (1.0f + std::exp(-in[i]));
          break;
        case OpType::kReshape:
          std::copy(in, in + count, out);
          break;
        default:
          return InternalError("failed to run " + model::NodeLabel(graph_, n) +
                               ": fake_cpu compiled a node it refuses");
      }
    }
    return Status::Ok();
  }

 private:
  float* Buffer(int t, const HostTensors& tensors) {
    const model::Tensor& tensor = graph_.tensors[t];
    if (tensor.is_constant) return const_cast<float*>(tensor.f32.data());  // only ever read
    if (!internal_[t].empty()) return internal_[t].data();
    return tensors.data[t];
  }

  const model::Graph& graph_;
  SegmentSpec spec_;
  std::vector<std::vector<float>> internal_;
};

class FakeCpuBackend final : public Backend {
 public:
  const char* name() const override { return kFakeBackend; }
  Status Availability() const override { return Status::Ok(); }

  Status Supports(const model::Graph& graph, int node_index) const override {
    if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
      return InvalidArgumentError("failed to check node #" + std::to_string(node_index) + ": out of range");
    }
    const model::Node& node = graph.nodes[node_index];
    const std::string label = model::NodeLabel(graph, node_index);
    const size_t data_inputs = node.op == OpType::kAdd ? 2 : 1;  // RESHAPE's shape operand is not read
    switch (node.op) {
      case OpType::kAdd:
      case OpType::kRelu:
      case OpType::kRelu6:
      case OpType::kLogistic:
      case OpType::kReshape:
        break;
      default:
        return UnsupportedError(label + ": fake_cpu runs only ADD, RELU, RELU6, LOGISTIC and RESHAPE");
    }
    if (node.inputs.size() < data_inputs || node.outputs.size() != 1) {
      return UnsupportedError(label + ": fake_cpu expects " + std::to_string(data_inputs) +
                              " inputs, 1 output");
    }
    const model::Tensor& output = graph.tensors[node.outputs[0]];
    for (size_t i = 0; i < data_inputs; ++i) {
      if (node.inputs[i] < 0) return UnsupportedError(label + ": an absent input");
      const model::Tensor& input = graph.tensors[node.inputs[i]];
      if (input.type != model::DataType::kFloat32 || output.type != model::DataType::kFloat32) {
        return UnsupportedError(label + ": fake_cpu runs float32 only");
      }
      if (node.op == OpType::kReshape ? input.num_elements() != output.num_elements()
                                      : input.shape != output.shape) {
        return UnsupportedError(label + ": fake_cpu does no broadcasting (input " + std::to_string(i) +
                                " is not the output's shape)");
      }
    }
    return Status::Ok();
  }

  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions&) override {
    const std::string label = backend::SegmentLabel(graph, spec, kFakeBackend);
    HT_RETURN_IF_ERROR(backend::CheckSegmentSpec(graph, spec, label));
    for (int n : spec.nodes) HT_RETURN_IF_ERROR(Supports(graph, n).WithPrefix("failed to compile " + label));
    return std::unique_ptr<CompiledSegment>(new FakeSegment(graph, spec));
  }
};

// x + y -> RELU: a segment whose middle tensor never reaches the host.
OpCase AddReluChainCase() {
  GraphBuilder b(kFakeCase, /*seed=*/5);
  const int x = b.Input({1, 6, 5, 7}), y = b.Input({1, 6, 5, 7});
  const int sum = b.Intermediate({1, 6, 5, 7});
  b.AddNode(OpType::kAdd, {x, y}, {sum});
  const int out = b.Output({1, 6, 5, 7});
  b.AddNode(OpType::kRelu, {sum}, {out});
  return {kFakeCase, b.Build()};
}

// Static initializers: before main(), whatever the order of this program's files.
const Status kBackendRegistered = runtime::BackendRegistry::Global().Register(runtime::BackendEntry{
    .name = kFakeBackend,
    .priority = 50,  // below xnnpack (200), above the reference backend (0); never the fallback
    .fallback = false,
    .create = [] { return std::unique_ptr<Backend>(new FakeCpuBackend()); },
    .not_built_reason = {},
});
const bool kCaseRegistered = RegisterOpCase(AddReluChainCase());

TEST(FakeBackendTest, IsRegisteredWithItsOpCase) {
  ASSERT_TRUE(kBackendRegistered.ok()) << kBackendRegistered.message();
  ASSERT_TRUE(kCaseRegistered);
  const std::optional<runtime::BackendEntry> entry = runtime::BackendRegistry::Global().Find(kFakeBackend);
  ASSERT_TRUE(entry.has_value());
  EXPECT_TRUE(entry->compiled_in());
  bool found = false;
  for (const OpCase& c : RegisteredOpCases()) found = found || c.name == kFakeCase;
  EXPECT_TRUE(found);
  EXPECT_FALSE(RegisterOpCase(AddReluChainCase())) << "a name registers once";
  EXPECT_FALSE(RegisterOpCase(AllOpCases().front())) << "the table's names are taken";
}

// main() generated BackendOp/fake_cpu/fp32.<case> for every case, and the
// registered case for every available backend.
TEST(FakeBackendTest, TheGeneratedTestsRunItOnTheRegisteredCase) {
  std::set<std::string> suites_with_case, fake_tests;
  const ::testing::UnitTest& unit = *::testing::UnitTest::GetInstance();
  for (int s = 0; s < unit.total_test_suite_count(); ++s) {
    const ::testing::TestSuite& suite = *unit.GetTestSuite(s);
    for (int t = 0; t < suite.total_test_count(); ++t) {
      const std::string name = suite.GetTestInfo(t)->name();
      if (name == kFakeCase) suites_with_case.insert(suite.name());
      if (std::string(suite.name()) == "BackendOp/fake_cpu/fp32") fake_tests.insert(name);
    }
  }
  EXPECT_TRUE(suites_with_case.count("BackendOp/fake_cpu/fp32")) << "no fake_cpu x " << kFakeCase;
  EXPECT_TRUE(fake_tests.count("relu_1x5x7x11")) << "fake_cpu does not get the table";
  for (const runtime::BackendEntry& entry : runtime::BackendRegistry::Global().Entries()) {
    if (entry.name == "reference" || !entry.compiled_in() || !entry.create()->Availability().ok()) continue;
    EXPECT_TRUE(suites_with_case.count("BackendOp/" + entry.name + "/fp32"))
        << entry.name << " x " << kFakeCase;
  }
}

TEST(FakeBackendTest, SupportsOnlyItsOpsAndNoBroadcasting) {
  std::unique_ptr<Backend> fake = runtime::BackendRegistry::Global().Find(kFakeBackend)->create();
  std::set<std::string> accepted;
  for (const std::vector<OpCase>& table : {AllOpCases(), BeyondReaderOpCases(), RegisteredOpCases()}) {
    for (const OpCase& c : table) {
      for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
        const Status supported = fake->Supports(c.graph, node);
        if (supported.ok()) {
          accepted.insert(model::OpTypeName(c.graph.nodes[node].op));
        } else {
          EXPECT_EQ(supported.code(), StatusCode::kUnsupported) << c.name << ": " << supported.message();
        }
      }
    }
  }
  std::string list;
  for (const std::string& op : accepted) list += (list.empty() ? "" : ", ") + op;
  std::cout << "fake_cpu supports: " << list << "\n";
  EXPECT_EQ(list, "ADD, LOGISTIC, RELU, RELU6, RESHAPE");

  GraphBuilder b("broadcast_add");
  const int x = b.Input({1, 4, 3, 5}), y = b.Input({1, 1, 1, 5}), z = b.Output({1, 4, 3, 5});
  b.AddNode(OpType::kAdd, {x, y}, {z});
  const Status broadcast = fake->Supports(b.Build(), 0);
  EXPECT_EQ(broadcast.code(), StatusCode::kUnsupported);
  EXPECT_NE(broadcast.message().find("no broadcasting"), std::string::npos) << broadcast.message();
}

// Its segment checks run in BackendContract/fake_cpu.SegmentChecks with every other backend's.

}  // namespace
}  // namespace handtrack::testing
