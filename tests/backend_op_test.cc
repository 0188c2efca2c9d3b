// Every backend against the oracle, op case by op case: one program for all
// backends instead of a copy of the op table per backend test.
//
// The tests are generated in main() from what the program knows at start-up:
// every backend of runtime::BackendRegistry::Global() that is compiled in and
// available (built-in or registered by a source file of this program, as
// backend_op_test_fake.cc does) x every op case (AllOpCases(),
// BeyondReaderOpCases() and the cases registered with RegisterOpCase()) x every
// precision the backend honours. Each test compiles the whole case graph as one
// segment (Backend::Compile(graph, WholeGraph(graph), options)) and compares
// its outputs with the oracle (op_oracle.h: the reference backend, or naive
// loops for graphs beyond the model reader). A node the backend's Supports()
// refuses makes the test SKIPPED "unsupported: <reason>", not a failure; the
// reference backend is the oracle and is not tested against itself.
//
// Test names: BackendOp/<backend>/<precision>.<case>, e.g.
// BackendOp/xnnpack/fp32.conv2d_3x3_s1_same_in1x9x11x6_out10_relu.
//
// Also generated: BackendContract/<backend>.SegmentChecks, the segment checks
// of backend/segment_check.h on every available backend.
//
//   backend_op_test                       # the tests (gtest flags as usual)
//   backend_op_test --support-matrix      # op type x backend table, no tests
//   backend_op_test --cuda-setting cuda.fusion=0   # settings for the backends that read them
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "backend/backend.h"
#include "backend_settings_flag.h"
#include "handtrack/models.h"
#include "model/graph.h"
#include "model/tflite_reader.h"
#include "op_case_registry.h"
#include "op_graph_builders.h"
#include "op_oracle.h"
#include "runtime/backend_registry.h"

// gtest before 1.11 had no GTEST_FLAG_GET.
#ifndef GTEST_FLAG_GET
#define GTEST_FLAG_GET(name) ::testing::GTEST_FLAG(name)
#endif

namespace handtrack::testing {
namespace {

using backend::Backend;
using backend::BackendOptions;
using backend::CompiledSegment;
using runtime::BackendEntry;
using runtime::BackendRegistry;

// The backend every other one is compared with (through RunOracle).
constexpr char kOracleBackend[] = "reference";

// ---------------------------------------------------------------------------
// How closely each backend must match the oracle, and how it is exercised.
// The numbers are those of the per-backend op tests this program replaces
// (xnnpack_backend_test.cc's XnnpackOpTest, cuda_backend_test.cc's CudaOpTest
// and CudaOpFp16Test).

// An output passes when every element is within
//   relative * max(max |expected|, scale_floor) + absolute
// of the oracle's (NaN never passes).
struct Tolerance {
  double relative = 1e-4;
  double scale_floor = 0;
  double absolute = 1e-6;
};

struct BackendProfile {
  std::vector<int> num_threads;  // one compile per count (BackendOptions::num_threads)
  std::vector<uint32_t> seeds;   // runs of each compiled segment, each on fresh inputs
  Tolerance fp32;
  Tolerance fp16;  // storage in half floats, float accumulation
};

BackendProfile ProfileOf(const std::string& backend) {
  // XNNPACK: at 1 and 2 threads; 1e-4 of the largest magnitude plus 1e-6.
  if (backend == "xnnpack") return {{1, 2}, {7}, {1e-4, 0, 1e-6}, {1e-2, 0, 1e-6}};
  // CUDA: twice on one compiled segment (the replayed CUDA graph must read the
  // new inputs); 1e-4 (fp32) or 1e-2 (fp16) of the largest magnitude.
  if (backend == "cuda") return {{1}, {7, 8}, {1e-4, 1e-6, 0}, {1e-2, 1e-6, 0}};
  // WebGPU: one thread count means nothing to it; two runs of one segment.
  if (backend == "webgpu") return {{1}, {7, 8}, {1e-4, 0, 1e-6}, {1e-2, 0, 1e-6}};
  // Any other backend (the fake one, later ones): both thread counts, a
  // second run on the same segment, XNNPACK's bounds.
  return {{1, 2}, {7, 8}, {1e-4, 0, 1e-6}, {1e-2, 0, 1e-6}};
}

void ExpectClose(const Tensors& got, const Tensors& expected, const Tolerance& tolerance,
                 const std::string& what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i].size(), expected[i].size()) << what << " output " << i;
    double scale = tolerance.scale_floor;
    for (float v : expected[i]) scale = std::max(scale, std::fabs(double(v)));
    const double bound = tolerance.relative * scale + tolerance.absolute;
    size_t bad = 0, worst = 0;
    double worst_diff = -1;
    for (size_t k = 0; k < got[i].size(); ++k) {
      const double diff = std::fabs(double(got[i][k]) - double(expected[i][k]));
      if (!(diff <= bound)) ++bad;
      if (!(diff <= worst_diff)) {  // NaN is the worst
        worst = k;
        worst_diff = std::isnan(diff) ? INFINITY : diff;
      }
    }
    EXPECT_EQ(bad, 0u) << what << " output " << i << ": " << bad << " of " << got[i].size()
                       << " elements off, worst at " << worst << ": got " << got[i][worst] << ", expected "
                       << expected[i][worst] << " (bound " << bound << ", max |expected| " << scale << ")";
  }
}

// The command-line settings (--cuda-setting) that this backend reads.
backend::BackendSettings SettingsFor(const Backend& backend) {
  backend::BackendSettings settings;
  const std::vector<std::string> keys = backend.SettingKeys();
  for (const auto& [key, value] : CommandLineBackendSettings()) {
    if (std::find(keys.begin(), keys.end(), key) != keys.end()) settings[key] = value;
  }
  return settings;
}

// ---------------------------------------------------------------------------
// The cases, and what each backend says about them.

std::vector<OpCase> EveryOpCase() {
  std::vector<OpCase> cases = AllOpCases();
  for (std::vector<OpCase> more : {BeyondReaderOpCases(), RegisteredOpCases()}) {
    for (OpCase& c : more) cases.push_back(std::move(c));
  }
  return cases;
}

// OK when the backend supports every node of the graph, else the first refusal.
Status SupportsGraph(const Backend& backend, const model::Graph& graph) {
  for (int node = 0; node < static_cast<int>(graph.nodes.size()); ++node) {
    HT_RETURN_IF_ERROR(backend.Supports(graph, node));
  }
  return Status::Ok();
}

// Per op type, how many nodes of that type (over the cases) the backend accepts and refuses.
struct OpSupport {
  int accepted = 0;
  int refused = 0;
  std::string Cell() const {
    if (accepted + refused == 0) return "-";
    if (refused == 0) return "yes";
    return accepted == 0 ? "no" : "partial";
  }
};

std::vector<OpSupport> SupportByOpType(const Backend& backend, const std::vector<OpCase>& cases) {
  std::vector<OpSupport> support(model::kNumOpTypes);
  for (const OpCase& c : cases) {
    for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
      OpSupport& op = support[static_cast<int>(c.graph.nodes[node].op)];
      (backend.Supports(c.graph, node).ok() ? op.accepted : op.refused) += 1;
    }
  }
  return support;
}

// A registry entry as the program sees it at start-up.
struct BackendState {
  BackendEntry entry;
  std::unique_ptr<Backend> backend;  // null when not built
  Status available;                  // Availability(), or Unavailable "not built"
};

std::vector<BackendState> RegisteredBackends() {
  std::vector<BackendState> states;
  for (BackendEntry& entry : BackendRegistry::Global().Entries()) {
    BackendState state;
    if (entry.compiled_in()) {
      state.backend = entry.create();
      state.available = state.backend->Availability();
    } else {
      state.available = UnavailableError("not built: " + entry.not_built_reason);
    }
    state.entry = std::move(entry);
    states.push_back(std::move(state));
  }
  return states;
}

// Rows: the op types of model/op_list.h; columns: the registered backends.
std::string SupportMatrix() {
  const std::vector<OpCase> cases = EveryOpCase();
  const std::vector<BackendState> backends = RegisteredBackends();
  std::vector<std::vector<std::string>> columns;  // per backend, a cell per op type
  for (const BackendState& b : backends) {
    std::vector<std::string> column;
    if (b.backend == nullptr) {
      column.assign(model::kNumOpTypes, "not built");
    } else if (!b.available.ok()) {
      column.assign(model::kNumOpTypes, "unavailable");
    } else {
      for (const OpSupport& op : SupportByOpType(*b.backend, cases)) column.push_back(op.Cell());
    }
    columns.push_back(std::move(column));
  }
  size_t first_width = std::strlen("op type");
  for (int op = 0; op < model::kNumOpTypes; ++op) {
    first_width = std::max(first_width, std::strlen(model::OpTypeName(static_cast<model::OpType>(op))));
  }
  std::vector<size_t> widths;
  for (size_t i = 0; i < backends.size(); ++i) {
    size_t width = backends[i].entry.name.size();
    for (const std::string& cell : columns[i]) width = std::max(width, cell.size());
    widths.push_back(width);
  }
  // One row, padded to the column widths, without trailing blanks.
  auto row = [&](const std::string& first, auto cell) {
    std::string line = first + std::string(first_width - first.size(), ' ');
    for (size_t i = 0; i < backends.size(); ++i) {
      const std::string text = cell(i);
      line += "  " + text + std::string(widths[i] - text.size(), ' ');
    }
    return line.substr(0, line.find_last_not_of(' ') + 1) + "\n";
  };
  std::ostringstream out;
  out << row("op type", [&](size_t i) { return backends[i].entry.name; });
  for (int op = 0; op < model::kNumOpTypes; ++op) {
    out << row(model::OpTypeName(static_cast<model::OpType>(op)), [&](size_t i) { return columns[i][op]; });
  }
  out << "\nyes: the backend supports every node of that type in the " << cases.size()
      << " op cases (the table, the cases\nbeyond the model reader, the ones registered at run time); "
         "partial: it refuses some; no: all.\n";
  for (const BackendState& b : backends) {
    if (!b.available.ok()) out << b.entry.name << ": " << b.available.message() << "\n";
  }
  return out.str();
}

// ---------------------------------------------------------------------------
// The generated tests.

struct BackendOpParam {
  std::string backend;
  Precision precision = Precision::kFp32;
  OpCase op_case;
};

class BackendOpTest : public ::testing::Test {
 public:
  explicit BackendOpTest(BackendOpParam param) : param_(std::move(param)) {}

  void TestBody() override {
    const OpCase& c = param_.op_case;
    const std::optional<BackendEntry> entry = BackendRegistry::Global().Find(param_.backend);
    ASSERT_TRUE(entry.has_value() && entry->compiled_in()) << param_.backend << " left the registry";
    std::unique_ptr<Backend> backend = entry->create();
    if (const Status supported = SupportsGraph(*backend, c.graph); !supported.ok()) {
      ASSERT_EQ(supported.code(), StatusCode::kUnsupported) << supported.message();
      GTEST_SKIP() << "unsupported: " << supported.message();
    }
    const BackendProfile profile = ProfileOf(param_.backend);
    const Tolerance& tolerance = param_.precision == Precision::kFp16 ? profile.fp16 : profile.fp32;
    std::vector<Tensors> inputs, expected;
    for (uint32_t seed : profile.seeds) {
      inputs.push_back(RandomInputs(c.graph, seed, c.input_range));
      Result<Tensors> oracle = RunOracle(c.graph, inputs.back());
      ASSERT_TRUE(oracle.ok()) << oracle.status().message();
      expected.push_back(std::move(*oracle));
    }
    for (int threads : profile.num_threads) {
      BackendOptions options;
      options.num_threads = threads;
      options.precision = param_.precision;
      options.settings = SettingsFor(*backend);
      Result<std::unique_ptr<CompiledSegment>> segment =
          backend->Compile(c.graph, WholeGraph(c.graph), options);
      ASSERT_TRUE(segment.ok()) << segment.status().message();
      for (size_t run = 0; run < profile.seeds.size(); ++run) {
        HostBuffers buffers(c.graph, inputs[run]);
        const Status status = (*segment)->Run(buffers.tensors);
        ASSERT_TRUE(status.ok()) << status.message();
        ExpectClose(buffers.Outputs(c.graph), expected[run], tolerance,
                    c.name + " on " + param_.backend + " " + PrecisionName(param_.precision) + " at " +
                        std::to_string(threads) + " threads, seed " + std::to_string(profile.seeds[run]));
      }
    }
  }

 private:
  BackendOpParam param_;
};

// Registers BackendOp/<backend>/<precision>.<case> for every available backend
// but the oracle, and says on `log` what will run.
void RegisterBackendOpTests(std::ostream* log) {
  const std::vector<OpCase> cases = EveryOpCase();
  const std::vector<OpCase> registered = RegisteredOpCases();
  if (log != nullptr) {
    *log << "backend_op_test: " << cases.size() << " op cases (" << AllOpCases().size() << " in the table, "
         << BeyondReaderOpCases().size() << " beyond the model reader, " << registered.size()
         << " registered at run time";
    for (size_t i = 0; i < registered.size(); ++i) *log << (i == 0 ? ": " : ", ") << registered[i].name;
    *log << ")\n";
  }
  for (const BackendState& b : RegisteredBackends()) {
    const std::string& name = b.entry.name;
    if (name == kOracleBackend || !b.available.ok()) {
      if (log != nullptr) {
        *log << "  " << name << ": not tested ("
             << (name == kOracleBackend ? std::string("the oracle") : b.available.message()) << ")\n";
      }
      continue;
    }
    int supported = 0;
    for (const OpCase& c : cases) supported += SupportsGraph(*b.backend, c.graph).ok() ? 1 : 0;
    std::vector<std::string> precisions;
    for (Precision precision : {Precision::kFp32, Precision::kFp16}) {
      if (!b.backend->HonoursPrecision(precision)) continue;
      precisions.push_back(PrecisionName(precision));
      for (const OpCase& c : cases) {
        const std::string suite = "BackendOp/" + name + "/" + PrecisionName(precision);
        const std::string value = name + " x " + c.name + " x " + PrecisionName(precision);
        BackendOpParam param{name, precision, c};
        ::testing::RegisterTest(suite.c_str(), c.name.c_str(), nullptr, value.c_str(), __FILE__, __LINE__,
                                [param]() -> ::testing::Test* { return new BackendOpTest(param); });
      }
    }
    if (log != nullptr) {
      std::string ops;
      const std::vector<OpSupport> support = SupportByOpType(*b.backend, cases);
      int full = 0;
      for (int op = 0; op < model::kNumOpTypes; ++op) {
        if (support[op].accepted == 0) continue;
        full += support[op].refused == 0 ? 1 : 0;
        ops += std::string(ops.empty() ? "" : ", ") + model::OpTypeName(static_cast<model::OpType>(op)) +
               (support[op].refused == 0 ? "" : " (partial)");
      }
      *log << "  " << name << ": ";
      for (size_t i = 0; i < precisions.size(); ++i) *log << (i == 0 ? "" : "+") << precisions[i];
      *log << ", " << supported << " cases supported, " << cases.size() - supported
           << " unsupported (skipped); ops: "
           << (full == model::kNumOpTypes ? "all " + std::to_string(full) : ops) << "\n";
    }
  }
}

// ---------------------------------------------------------------------------
// The segment contract (backend/segment_check.h) that every backend keeps,
// the reference included: Compile() refuses a malformed SegmentSpec and Run()
// a missing host buffer, each with InvalidArgument and a message that says
// what is wrong.

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

class SegmentContractTest : public ::testing::Test {
 public:
  explicit SegmentContractTest(std::string backend) : backend_name_(std::move(backend)) {}

  void TestBody() override {
    const std::optional<BackendEntry> entry = BackendRegistry::Global().Find(backend_name_);
    ASSERT_TRUE(entry.has_value() && entry->compiled_in()) << backend_name_ << " left the registry";
    std::unique_ptr<Backend> backend = entry->create();
    // RELU when the backend runs it, else the first one-node, one-input case
    // it runs (the wasm backend leaves RELU to the reference: the models fuse it).
    model::Graph graph;
    std::string segment_name;
    for (OpCase& c : AllOpCases()) {
      const bool usable =
          c.graph.nodes.size() == 1 && c.graph.inputs.size() == 1 && SupportsGraph(*backend, c.graph).ok();
      if (!usable || (!graph.nodes.empty() && c.name != "relu_1x5x7x11")) continue;
      graph = std::move(c.graph);
      segment_name = "segment " + std::string(model::OpTypeName(graph.nodes[0].op)) + " #0";
    }
    if (graph.nodes.empty()) GTEST_SKIP() << backend_name_ << " runs none of the one-node op cases";
    BackendOptions options;
    options.settings = SettingsFor(*backend);
    auto expect_refused = [&](const backend::SegmentSpec& spec, const std::string& reason, const char* what) {
      Result<std::unique_ptr<CompiledSegment>> bad = backend->Compile(graph, spec, options);
      ASSERT_FALSE(bad.ok()) << what;
      EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument) << what << ": " << bad.status().message();
      EXPECT_TRUE(Contains(bad.status().message(), "failed to compile") &&
                  Contains(bad.status().message(), reason))
          << what << ": " << bad.status().message();
    };
    backend::SegmentSpec spec = WholeGraph(graph);
    spec.nodes.clear();
    expect_refused(spec, "has no nodes", "no nodes");
    spec = WholeGraph(graph);
    spec.inputs.clear();
    expect_refused(spec, "neither a segment input nor produced before it", "no inputs");
    spec = WholeGraph(graph);
    spec.outputs.push_back(spec.outputs[0]);
    expect_refused(spec, "listed twice", "an output listed twice");
    spec = WholeGraph(graph);
    spec.outputs = {graph.inputs[0]};
    expect_refused(spec, "listed twice", "a segment input as its output");
    spec = WholeGraph(graph);
    spec.nodes.push_back(static_cast<int>(graph.nodes.size()));
    expect_refused(spec, "out of range", "a node out of range");

    Result<std::unique_ptr<CompiledSegment>> segment = backend->Compile(graph, WholeGraph(graph), options);
    ASSERT_TRUE(segment.ok()) << segment.status().message();
    for (const int missing : {graph.inputs[0], graph.outputs[0]}) {
      HostBuffers buffers(graph, RandomInputs(graph, 1, 1));
      buffers.tensors.data[missing] = nullptr;
      const Status run = (*segment)->Run(buffers.tensors);
      EXPECT_EQ(run.code(), StatusCode::kInvalidArgument) << run.message();
      EXPECT_TRUE(Contains(run.message(), "failed to run") && Contains(run.message(), segment_name) &&
                  Contains(run.message(), model::TensorLabel(graph, missing) + " has no host buffer"))
          << run.message();
    }
    // Still usable after a refused run.
    HostBuffers buffers(graph, RandomInputs(graph, 2, 1));
    const Status run = (*segment)->Run(buffers.tensors);
    ASSERT_TRUE(run.ok()) << run.message();
    Result<Tensors> expected = RunOracle(graph, RandomInputs(graph, 2, 1));
    ASSERT_TRUE(expected.ok()) << expected.status().message();
    ExpectClose(buffers.Outputs(graph), *expected, Tolerance{},
                segment_name + " after a refused run on " + backend_name_);
  }

 private:
  std::string backend_name_;
};

void RegisterSegmentContractTests() {
  for (const BackendState& b : RegisteredBackends()) {
    if (!b.available.ok()) continue;
    const std::string name = b.entry.name;
    const std::string suite = "BackendContract/" + name;
    ::testing::RegisterTest(suite.c_str(), "SegmentChecks", nullptr, name.c_str(), __FILE__, __LINE__,
                            [name]() -> ::testing::Test* { return new SegmentContractTest(name); });
  }
}

// ---------------------------------------------------------------------------
// The cases themselves, and the oracle.

TEST(OpCasesTest, TheTableCoversEveryOpType) {
  std::vector<bool> covered(model::kNumOpTypes, false);
  for (const OpCase& c : AllOpCases()) {
    for (const model::Node& node : c.graph.nodes) covered[static_cast<int>(node.op)] = true;
  }
  for (int op = 0; op < model::kNumOpTypes; ++op) {
    EXPECT_TRUE(covered[op]) << model::OpTypeName(static_cast<model::OpType>(op));
  }
}

TEST(OpCasesTest, TheReaderAcceptsEveryCaseOfTheTable) {
  for (const OpCase& c : AllOpCases()) {
    for (int node = 0; node < static_cast<int>(c.graph.nodes.size()); ++node) {
      const Status valid = model::ValidateNode(c.graph, node);
      EXPECT_TRUE(valid.ok()) << c.name << ": " << valid.message();
    }
  }
}

// Else the reference backend would judge them, outside its contract.
TEST(OpCasesTest, TheCasesBeyondTheReaderAreBeyondIt) {
  for (const OpCase& c : BeyondReaderOpCases()) EXPECT_FALSE(ReaderAccepts(c.graph)) << c.name;
}

// The naive loops that judge BeyondReaderOpCases agree with the reference
// backend on the whole table.
TEST(OpCasesTest, NaiveOracleAgreesWithTheReferenceBackend) {
  for (const OpCase& c : AllOpCases()) {
    const Tensors inputs = RandomInputs(c.graph, /*seed=*/7, c.input_range);
    Result<Tensors> reference = RunOracle(c.graph, inputs);
    ASSERT_TRUE(reference.ok()) << c.name << ": " << reference.status().message();
    ExpectClose(RunNaive(c.graph, inputs), *reference, Tolerance{}, c.name + " (naive)");
  }
}

TEST(SupportMatrixTest, HasARowPerOpTypeAndAColumnPerRegisteredBackend) {
  const std::string matrix = SupportMatrix();
  std::istringstream lines(matrix);
  std::string header;
  std::getline(lines, header);
  for (const BackendEntry& entry : BackendRegistry::Global().Entries()) {
    EXPECT_NE(header.find(entry.name), std::string::npos) << entry.name << " in: " << header;
  }
  for (int op = 0; op < model::kNumOpTypes; ++op) {
    std::string row;
    ASSERT_TRUE(std::getline(lines, row));
    const std::string name = model::OpTypeName(static_cast<model::OpType>(op));
    EXPECT_EQ(row.rfind(name + " ", 0), 0u) << row;
    // The reference backend runs every op.
    EXPECT_NE(row.find("yes"), std::string::npos) << row;
  }
}

}  // namespace
}  // namespace handtrack::testing

int main(int argc, char** argv) {
  using namespace handtrack::testing;
  if (const handtrack::Status flags = ParseBackendSettingFlags(&argc, argv); !flags.ok()) {
    std::fprintf(stderr, "backend_op_test: %s\n", flags.message().c_str());
    return 2;
  }
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--support-matrix") == 0) {
      std::cout << SupportMatrix();
      return 0;
    }
  }
  ::testing::InitGoogleTest(&argc, argv);
  // No banner while gtest_discover_tests lists the tests.
  RegisterBackendOpTests(GTEST_FLAG_GET(list_tests) ? nullptr : &std::cout);
  RegisterSegmentContractTests();
  return RUN_ALL_TESTS();
}
