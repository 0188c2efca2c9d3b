// The runtime's planner and backend registry with scripted fake backends:
// multi-segment plans, backends that refuse nodes, failures at compile and at
// run (fallback with the reason, results still right), the cost of crossing
// to a device backend (no ping-pong, copies in DescribePlan), an asynchronous
// backend, malformed graphs, settings and faults as options, and models
// loaded from memory. The fakes run their nodes with the reference backend's
// kernels: what is under test is the planning around them.
#include <gtest/gtest.h>

#include <deque>
#include <fstream>
#include <functional>
#include <iterator>
#include <set>

#include "backend/reference/reference_backend.h"
#include "handtrack/hand_engine.h"
#include "handtrack/hand_landmarker.h"
#include "handtrack/models.h"
#include "op_graph_builders.h"
#include "runtime/backend_registry.h"
#include "runtime/interpreter.h"
#include "test_support.h"

namespace handtrack {
namespace {

using model::OpType;
using runtime::Interpreter;
using runtime::InterpreterOptions;

// A queue of callbacks standing in for a browser's event loop: an
// asynchronous backend completes its work only when the test pumps it.
class EventLoop {
 public:
  void Post(std::function<void()> task) { tasks_.push_back(std::move(task)); }
  int Pump() {
    int ran = 0;
    while (!tasks_.empty()) {
      auto task = std::move(tasks_.front());
      tasks_.pop_front();
      task();
      ++ran;
    }
    return ran;
  }
  bool empty() const { return tasks_.empty(); }

 private:
  std::deque<std::function<void()>> tasks_;
};

// What a scripted backend does; shared with its segments so a test can read counters.
struct Script {
  std::string name = "fake";
  std::set<OpType> supported;  // empty: every op
  backend::MemorySpace memory = backend::MemorySpace::kHost;
  bool fail_compile = false;
  int fail_run_number = 0;    // fail the Nth run of any of its segments (1-based); 0: never
  EventLoop* loop = nullptr;  // set: an asynchronous backend completing on this loop
  // Set: its segments leave their outputs in buffers of their own, as a device's staging, and
  // lend them (OutputHostBuffer); a run given other buffers copies into them.
  bool lends_outputs = false;
  Precision preferred = Precision::kFp32;  // its PreferredPrecision; it honours fp32 and this one
  int compiles = 0;
  std::vector<backend::RunPriority> compiled_priorities;  // BackendOptions::priority of each compile
  std::vector<Precision> compiled_precisions;             // BackendOptions::precision of each compile
  int runs = 0;
  int output_copies = 0;  // outputs copied out of a lent buffer into the caller's
};

class ScriptedSegment : public backend::CompiledSegment {
 public:
  ScriptedSegment(std::shared_ptr<Script> script, std::unique_ptr<backend::CompiledSegment> work,
                  const model::Graph& graph, const backend::SegmentSpec& spec)
      : script_(std::move(script)), work_(std::move(work)) {
    if (!script_->lends_outputs) return;
    for (int t : spec.outputs) {
      own_outputs_.emplace_back(
          t, std::vector<float>(graph.tensors[t].num_elements() + backend::kHostBufferSlackFloats));
    }
  }

  Status Run(const backend::HostTensors& tensors) override {
    if (++script_->runs == script_->fail_run_number) {
      return UnavailableError("device lost (scripted on run " + std::to_string(script_->runs) + ")");
    }
    if (own_outputs_.empty()) return work_->Run(tensors);
    backend::HostTensors staged = tensors;
    for (auto& [t, buffer] : own_outputs_) staged.data[t] = buffer.data();
    HT_RETURN_IF_ERROR(work_->Run(staged));
    for (auto& [t, buffer] : own_outputs_) {
      if (tensors.data[t] == buffer.data()) continue;
      std::copy(buffer.begin(), buffer.end() - backend::kHostBufferSlackFloats, tensors.data[t]);
      ++script_->output_copies;
    }
    return Status::Ok();
  }

  float* OutputHostBuffer(int tensor) const override {
    for (const auto& [t, buffer] : own_outputs_) {
      if (t == tensor) return const_cast<float*>(buffer.data());
    }
    return nullptr;
  }

  void RunAsync(const backend::HostTensors& tensors, backend::RunCompletion done) override {
    if (script_->loop == nullptr) return CompiledSegment::RunAsync(tensors, std::move(done));
    // The work and its completion happen later, on the loop, as WebGPU's mapAsync would.
    script_->loop->Post([this, &tensors, done = std::move(done)] { done(Run(tensors)); });
  }

 private:
  std::shared_ptr<Script> script_;
  std::unique_ptr<backend::CompiledSegment> work_;
  std::vector<std::pair<int, std::vector<float>>> own_outputs_;  // tensor, buffer
};

class ScriptedBackend : public backend::Backend {
 public:
  explicit ScriptedBackend(std::shared_ptr<Script> script)
      : script_(std::move(script)), reference_(backend::CreateReferenceBackend()) {}

  const char* name() const override { return script_->name.c_str(); }
  Status Availability() const override { return Status::Ok(); }
  Status Supports(const model::Graph& graph, int node_index) const override {
    const OpType op = graph.nodes[node_index].op;
    if (script_->supported.empty() || script_->supported.count(op) > 0) return Status::Ok();
    return UnsupportedError(std::string("no ") + script_->name + " kernel for " + model::OpTypeName(op));
  }
  backend::MemorySpace memory_space() const override { return script_->memory; }
  bool HonoursPrecision(Precision precision) const override {
    return precision == Precision::kFp32 || precision == script_->preferred;
  }
  Precision PreferredPrecision() const override { return script_->preferred; }
  Result<std::unique_ptr<backend::CompiledSegment>> Compile(const model::Graph& graph,
                                                            const backend::SegmentSpec& spec,
                                                            const backend::BackendOptions& options) override {
    ++script_->compiles;
    script_->compiled_priorities.push_back(options.priority);
    script_->compiled_precisions.push_back(options.precision);
    if (script_->fail_compile) return UnavailableError("shader failed to compile (scripted)");
    HT_ASSIGN_OR_RETURN(auto work, reference_->Compile(graph, spec, options));
    return std::unique_ptr<backend::CompiledSegment>(
        new ScriptedSegment(script_, std::move(work), graph, spec));
  }

 private:
  std::shared_ptr<Script> script_;
  std::unique_ptr<backend::Backend> reference_;
};

std::shared_ptr<Script> MakeScript(std::string name, std::set<OpType> supported = {},
                                   backend::MemorySpace memory = backend::MemorySpace::kHost) {
  auto script = std::make_shared<Script>();
  script->name = std::move(name);
  script->supported = std::move(supported);
  script->memory = memory;
  return script;
}

// The candidates: the scripted backends, then the reference backend as the fallback.
InterpreterOptions WithBackends(std::initializer_list<std::shared_ptr<Script>> scripts) {
  InterpreterOptions options;
  for (const auto& script : scripts) options.backends.push_back(std::make_shared<ScriptedBackend>(script));
  options.backends.push_back(backend::CreateReferenceBackend());
  return options;
}

// input -> ops[0] -> ops[1] -> ... -> output, every tensor 1x4x4x3 (unary ops only).
model::Graph UnaryChain(const std::vector<OpType>& ops) {
  testing::GraphBuilder b("unary_chain");
  int current = b.Input({1, 4, 4, 3});
  for (size_t i = 0; i < ops.size(); ++i) {
    const int next = i + 1 == ops.size() ? b.Output({1, 4, 4, 3}) : b.Intermediate({1, 4, 4, 3});
    b.AddNode(ops[i], {current}, {next});
    current = next;
  }
  return b.Build();
}

using Outputs = std::vector<std::vector<float>>;

Outputs RunOnce(Interpreter& interpreter, uint32_t seed = 7) {
  const auto inputs = testing::RandomInputs(interpreter.graph(), seed, 4.0f);
  for (int i = 0; i < interpreter.num_inputs(); ++i)
    std::copy(inputs[i].begin(), inputs[i].end(), interpreter.input(i).begin());
  const Status status = interpreter.Run();
  EXPECT_TRUE(status.ok()) << status.message();
  Outputs outputs;
  for (int i = 0; i < interpreter.num_outputs(); ++i) {
    outputs.emplace_back(interpreter.output(i).begin(), interpreter.output(i).end());
  }
  return outputs;
}

Outputs ReferenceOutputs(const model::Graph& graph) {
  InterpreterOptions options;
  options.backends.push_back(backend::CreateReferenceBackend());
  auto interpreter = Interpreter::Create(std::make_shared<const model::Graph>(graph), options);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status().message();
  return RunOnce(**interpreter);
}

std::unique_ptr<Interpreter> CreateOrDie(const model::Graph& graph, const InterpreterOptions& options) {
  auto interpreter = Interpreter::Create(std::make_shared<const model::Graph>(graph), options);
  EXPECT_TRUE(interpreter.ok()) << interpreter.status().message();
  return interpreter.ok() ? std::move(interpreter).value() : nullptr;
}

std::vector<std::string> SegmentBackends(const Interpreter& interpreter) {
  std::vector<std::string> names;
  for (const runtime::PlanSegment& segment : interpreter.plan()) names.push_back(segment.backend);
  return names;
}

bool Contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(PlannerTest, ARefusedNodeSplitsThePlanIntoSegmentsWithTheReason) {
  const model::Graph graph = testing::ChainOfOpsGraph();  // conv -> prelu -> add -> pad -> resize
  auto fast = MakeScript("fast", {OpType::kConv2D, OpType::kAdd, OpType::kPad, OpType::kResizeBilinear});
  auto interpreter = CreateOrDie(graph, WithBackends({fast}));
  ASSERT_NE(interpreter, nullptr);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"fast", "reference", "fast"}));
  const std::string plan = interpreter->DescribePlan();
  EXPECT_TRUE(Contains(plan, "fallback for PRELU #1 (fast: no fast kernel for PRELU)")) << plan;
  EXPECT_EQ(RunOnce(*interpreter), ReferenceOutputs(graph));
  EXPECT_EQ(fast->compiles, 2);
  EXPECT_EQ(fast->runs, 2);
  // Host backends share host memory: no copies to report.
  EXPECT_EQ(interpreter->CopiesPerRun().tensors, 0);
  EXPECT_FALSE(Contains(plan, "copies")) << plan;
}

TEST(PlannerTest, AFailureAtCompileDropsTheBackendAndReplans) {
  const model::Graph graph = testing::ChainOfOpsGraph();
  auto broken = MakeScript("broken");
  broken->fail_compile = true;
  auto interpreter = CreateOrDie(graph, WithBackends({broken}));
  ASSERT_NE(interpreter, nullptr);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"reference"}));
  EXPECT_TRUE(Contains(interpreter->DescribePlan(),
                       "note: broken dropped, fell back: shader failed to compile (scripted)"))
      << interpreter->DescribePlan();
  EXPECT_EQ(RunOnce(*interpreter), ReferenceOutputs(graph));

  // Named, the same failure is the caller's error.
  InterpreterOptions named = WithBackends({broken});
  named.delegate = "broken";
  auto failed = Interpreter::Create(std::make_shared<const model::Graph>(graph), named);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  EXPECT_TRUE(
      Contains(failed.status().message(), "failed to run model chain on broken: shader failed to compile"))
      << failed.status().message();
}

TEST(PlannerTest, AFailureMidRunFallsBackAndTheRunStillGivesTheRightResults) {
  const model::Graph graph = testing::ChainOfOpsGraph();
  auto flaky = MakeScript("flaky", {OpType::kConv2D, OpType::kAdd, OpType::kPad, OpType::kResizeBilinear});
  flaky->fail_run_number = 3;  // the first segment of the second run
  auto interpreter = CreateOrDie(graph, WithBackends({flaky}));
  ASSERT_NE(interpreter, nullptr);
  const Outputs expected = ReferenceOutputs(graph);
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);
  const int generation = interpreter->plan_generation();
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);  // fails inside, falls back, repeats
  EXPECT_GT(interpreter->plan_generation(), generation);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"reference"}));
  EXPECT_TRUE(
      Contains(interpreter->DescribePlan(), "flaky dropped, fell back: device lost (scripted on run 3)"))
      << interpreter->DescribePlan();
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);
}

TEST(PlannerTest, OutputsLentByADeviceSegmentAreReadThereWithoutACopy) {
  // Device (CONV_2D, ADD, PAD, RESIZE) and host segments alternate: the device's outputs feed
  // host segments and the graph's output, all read from the buffers the device lends.
  const model::Graph graph = testing::ChainOfOpsGraph();
  auto device = MakeScript("device", {OpType::kConv2D, OpType::kAdd, OpType::kPad, OpType::kResizeBilinear},
                           backend::MemorySpace::kDevice);
  device->lends_outputs = true;
  device->fail_run_number = 3;  // the second run fails inside: re-planned on the host, repeated
  InterpreterOptions options = WithBackends({device});
  options.min_device_run = 1;
  auto interpreter = CreateOrDie(graph, options);
  ASSERT_NE(interpreter, nullptr);
  ASSERT_EQ(SegmentBackends(*interpreter).front(), "device") << interpreter->DescribePlan();
  const Outputs expected = ReferenceOutputs(graph);
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);
  EXPECT_EQ(device->output_copies, 0);
  // After the fallback the lent buffers are gone with their segments: the host owns them again
  // (under ASan a read of a freed buffer would fail here).
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"reference"}));
  EXPECT_EQ(RunOnce(*interpreter, 7), expected);
  EXPECT_EQ(device->output_copies, 0);
}

TEST(PlannerTest, TheFallbackBackendIsNeverDropped) {
  const model::Graph graph = UnaryChain({OpType::kRelu, OpType::kLogistic});
  InterpreterOptions options;
  options.backends.push_back(backend::CreateReferenceBackend());
  ASSERT_TRUE(backend::FaultInjection::Parse("reference:run").ok());
  options.faults = *backend::FaultInjection::Parse("reference:run");
  auto interpreter = CreateOrDie(graph, options);
  ASSERT_NE(interpreter, nullptr);
  const Status status = interpreter->Run();
  EXPECT_EQ(status.code(), StatusCode::kUnavailable);
  EXPECT_TRUE(Contains(status.message(),
                       "failed to run model unary_chain on reference: failed to run on reference: "
                       "fault injected"))
      << status.message();
}

TEST(PlannerTest, IsolatedDeviceNodesStayOnTheHostInsteadOfPingPonging) {
  // The device refuses LOGISTIC: greedily that is device(5), host(1), device(1), with the last
  // RELU bouncing to the device and back for one node.
  const model::Graph graph = UnaryChain({OpType::kRelu, OpType::kRelu6, OpType::kRelu, OpType::kRelu6,
                                         OpType::kRelu, OpType::kLogistic, OpType::kRelu});
  auto gpu = MakeScript("gpu", {OpType::kRelu, OpType::kRelu6}, backend::MemorySpace::kDevice);
  auto interpreter = CreateOrDie(graph, WithBackends({gpu}));
  ASSERT_NE(interpreter, nullptr);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"gpu", "reference"}));
  const std::string plan = interpreter->DescribePlan();
  EXPECT_TRUE(
      Contains(plan, "RELU #6 (gpu: a run of 1 node(s) is not worth the copies to and from the device)"))
      << plan;
  // One copy in (the graph input) and one out (the tensor LOGISTIC reads), 1x4x4x3 floats each.
  EXPECT_EQ(interpreter->CopiesPerRun().tensors, 2);
  EXPECT_EQ(interpreter->CopiesPerRun().bytes, 2 * 48 * 4);
  EXPECT_TRUE(
      Contains(plan, "gpu: 5 node(s), RELU #0 .. RELU #4, copies in 1 tensor(s) (192 B), out 1 (192 B)"))
      << plan;
  EXPECT_TRUE(Contains(plan, "copies between host and device per run: 2 tensor(s), 384 B")) << plan;
  EXPECT_EQ(RunOnce(*interpreter), ReferenceOutputs(graph));

  // Asked to keep even one-node device runs, the plan ping-pongs and says what it costs.
  InterpreterOptions eager = WithBackends({gpu});
  eager.min_device_run = 1;
  auto pingpong = CreateOrDie(graph, eager);
  ASSERT_NE(pingpong, nullptr);
  EXPECT_EQ(SegmentBackends(*pingpong), (std::vector<std::string>{"gpu", "reference", "gpu"}));
  EXPECT_EQ(pingpong->CopiesPerRun().tensors, 4);
  EXPECT_EQ(RunOnce(*pingpong), ReferenceOutputs(graph));
}

TEST(PlannerTest, ADeviceThatRunsTheWholeGraphKeepsItEvenWhenShort) {
  const model::Graph graph = UnaryChain({OpType::kRelu});
  auto gpu = MakeScript("gpu", {}, backend::MemorySpace::kDevice);
  auto interpreter = CreateOrDie(graph, WithBackends({gpu}));
  ASSERT_NE(interpreter, nullptr);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"gpu"}));
}

TEST(PlannerTest, AnAsynchronousBackendDoesNotBlockTheThreadThatRunsIt) {
  const model::Graph graph = testing::ChainOfOpsGraph();
  EventLoop loop;
  auto gpu =
      MakeScript("webgpu_like", {OpType::kConv2D, OpType::kAdd, OpType::kPad, OpType::kResizeBilinear});
  gpu->loop = &loop;
  auto interpreter = CreateOrDie(graph, WithBackends({gpu}));
  ASSERT_NE(interpreter, nullptr);
  const auto inputs = testing::RandomInputs(graph, 7, 4.0f);
  std::copy(inputs[0].begin(), inputs[0].end(), interpreter->input(0).begin());
  int completions = 0;
  Status result = InternalError("not completed");
  interpreter->RunAsync([&](Status status) {
    ++completions;
    result = status;
  });
  // RunAsync returned with the first segment's work still queued: nothing blocked.
  EXPECT_EQ(completions, 0);
  EXPECT_FALSE(loop.empty());
  EXPECT_GE(loop.Pump(), 2);  // the two asynchronous segments, the host one in between
  EXPECT_EQ(completions, 1);
  EXPECT_TRUE(result.ok()) << result.message();
  Outputs outputs;
  for (int i = 0; i < interpreter->num_outputs(); ++i) {
    outputs.emplace_back(interpreter->output(i).begin(), interpreter->output(i).end());
  }
  EXPECT_EQ(outputs, ReferenceOutputs(graph));

  // A device lost during an asynchronous run: the completion still comes once, after the fallback.
  gpu->fail_run_number = gpu->runs + 1;
  completions = 0;
  interpreter->RunAsync([&](Status status) {
    ++completions;
    result = status;
  });
  loop.Pump();
  EXPECT_EQ(completions, 1);
  EXPECT_TRUE(result.ok()) << result.message();
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"reference"}));
}

TEST(PlannerTest, MalformedGraphsAreOneLineErrors) {
  model::Graph empty = UnaryChain({OpType::kRelu});
  empty.nodes.clear();
  auto no_ops = Interpreter::Create(std::make_shared<const model::Graph>(empty), InterpreterOptions{});
  ASSERT_FALSE(no_ops.ok());
  EXPECT_EQ(no_ops.status().message(), "failed to plan model unary_chain: it has no operators");

  model::Graph orphan = UnaryChain({OpType::kRelu});
  orphan.outputs.push_back(orphan.inputs[0]);  // an output no node produces
  auto orphaned = Interpreter::Create(std::make_shared<const model::Graph>(orphan), InterpreterOptions{});
  ASSERT_FALSE(orphaned.ok());
  EXPECT_TRUE(Contains(orphaned.status().message(), "is produced by no node")) << orphaned.status().message();
}

// The engine marks the landmark model's runs urgent (InterpreterOptions::priority); every
// segment's backend must hear it, normal by default.
TEST(PlannerTest, ThePriorityReachesEveryCompiledSegment) {
  const auto graph = std::make_shared<const model::Graph>(UnaryChain({OpType::kRelu, OpType::kLogistic}));
  for (const backend::RunPriority priority : {backend::RunPriority::kNormal, backend::RunPriority::kHigh}) {
    const auto script = MakeScript("fake");
    InterpreterOptions options = WithBackends({script});
    options.priority = priority;
    auto interpreter = Interpreter::Create(graph, options);
    ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
    ASSERT_FALSE(script->compiled_priorities.empty());
    for (const backend::RunPriority seen : script->compiled_priorities) EXPECT_EQ(seen, priority);
  }
  EXPECT_EQ(InterpreterOptions().priority, backend::RunPriority::kNormal);
}

// kAuto (the default) is the first candidate's preferred precision, chosen once at Create: every
// segment is compiled in it, the plan and precision() say it, and a backend that runs fp32
// instead (the reference fallback here) is noted as for an explicit fp16.
TEST(PlannerTest, AutoPrecisionIsTheFirstCandidatesPreferredOne) {
  EXPECT_EQ(InterpreterOptions().precision, Precision::kAuto);
  const auto graph = std::make_shared<const model::Graph>(UnaryChain({OpType::kRelu, OpType::kLogistic}));
  const auto half = MakeScript("halves", {OpType::kRelu});
  half->preferred = Precision::kFp16;
  auto interpreter = Interpreter::Create(graph, WithBackends({half}));
  ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
  EXPECT_EQ((*interpreter)->precision(), Precision::kFp16);
  EXPECT_EQ(half->compiled_precisions, std::vector<Precision>{Precision::kFp16});
  const std::string plan = (*interpreter)->DescribePlan();
  EXPECT_TRUE(Contains(plan, "thread(s), fp16")) << plan;
  EXPECT_TRUE(Contains(plan, "reference runs fp32: it does not honour precision fp16")) << plan;
  EXPECT_FALSE(Contains(plan, "auto")) << plan;
  EXPECT_EQ(RunOnce(**interpreter), ReferenceOutputs(*graph));  // the scripted halves compute in fp32

  // Asked explicitly, fp32 stays fp32 on the same backend.
  half->compiled_precisions.clear();
  InterpreterOptions fp32 = WithBackends({half});
  fp32.precision = Precision::kFp32;
  interpreter = Interpreter::Create(graph, fp32);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
  EXPECT_EQ((*interpreter)->precision(), Precision::kFp32);
  EXPECT_EQ(half->compiled_precisions, std::vector<Precision>{Precision::kFp32});

  // Led by a backend that prefers fp32 (the half-precision one second), auto is fp32.
  const auto full = MakeScript("floats", {OpType::kLogistic});
  half->compiled_precisions.clear();
  InterpreterOptions led = WithBackends({full, half});
  interpreter = Interpreter::Create(graph, led);
  ASSERT_TRUE(interpreter.ok()) << interpreter.status().message();
  EXPECT_EQ((*interpreter)->precision(), Precision::kFp32);
  EXPECT_EQ(full->compiled_precisions, std::vector<Precision>{Precision::kFp32});
  EXPECT_EQ(half->compiled_precisions, std::vector<Precision>{Precision::kFp32});
}

TEST(PlannerTest, PrecisionNamesParseBackAndOthersAreRefused) {
  for (Precision precision : {Precision::kFp32, Precision::kFp16, Precision::kAuto}) {
    auto parsed = ParsePrecision(PrecisionName(precision));
    ASSERT_TRUE(parsed.ok()) << parsed.status().message();
    EXPECT_EQ(*parsed, precision);
  }
  auto bad = ParsePrecision("fp8");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "failed to parse precision 'fp8': expected auto, fp32 or fp16");
}

TEST(PlannerTest, OptionsAreCheckedWithClearErrors) {
  const auto graph = std::make_shared<const model::Graph>(UnaryChain({OpType::kRelu}));
  InterpreterOptions unknown;
  unknown.delegate = "warp_drive";
  auto missing = Interpreter::Create(graph, unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_TRUE(
      Contains(missing.status().message(), "failed to use delegate warp_drive: no such backend (known: auto"))
      << missing.status().message();

  InterpreterOptions setting;
  setting.settings["reference.turbo"] = "1";
  auto refused = Interpreter::Create(graph, setting);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(Contains(refused.status().message(), "failed to apply backend setting 'reference.turbo'"))
      << refused.status().message();

  for (const char* bad : {"xnnpack", "xnnpack:", ":run", "x:y z"}) {
    auto parsed = backend::FaultInjection::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_TRUE(Contains(parsed.status().message(), "failed to parse fault")) << parsed.status().message();
  }
  auto both = backend::FaultInjection::Parse("cuda:oom,xnnpack:compile");
  ASSERT_TRUE(both.ok());
  EXPECT_TRUE(both->Has("cuda", "oom"));
  EXPECT_TRUE(both->Has("xnnpack", "compile"));
  EXPECT_FALSE(both->Has("xnnpack", "run"));
}

runtime::BackendEntry Entry(std::string name, int priority, std::shared_ptr<Script> script,
                            std::string not_built_reason = "") {
  runtime::BackendEntry entry;
  entry.name = std::move(name);
  entry.priority = priority;
  if (script != nullptr) {
    entry.create = [script] { return std::unique_ptr<backend::Backend>(new ScriptedBackend(script)); };
  }
  entry.not_built_reason = std::move(not_built_reason);
  return entry;
}

TEST(BackendRegistryTest, ABackendRegisteredAtRunTimeIsListedParsedAndPlanned) {
  auto script = MakeScript("test_accelerator", {OpType::kRelu, OpType::kRelu6});
  runtime::ScopedBackendRegistration registration(Entry("test_accelerator", 250, script));
  ASSERT_TRUE(registration.status().ok()) << registration.status().message();

  const std::vector<BackendInfo> backends = ListBackends();
  auto found = std::find_if(backends.begin(), backends.end(),
                            [](const BackendInfo& b) { return b.name == "test_accelerator"; });
  ASSERT_NE(found, backends.end());
  EXPECT_TRUE(found->available);
  EXPECT_EQ(found->priority, 250);
  for (size_t i = 1; i < backends.size(); ++i) EXPECT_GE(backends[i - 1].priority, backends[i].priority);
  EXPECT_EQ(backends.back().name, "reference");

  auto delegate = ParseDelegate("test_accelerator");
  ASSERT_TRUE(delegate.ok());
  InterpreterOptions named;
  named.delegate = delegate->name();
  auto interpreter = CreateOrDie(UnaryChain({OpType::kRelu, OpType::kLogistic}), named);
  ASSERT_NE(interpreter, nullptr);
  EXPECT_EQ(SegmentBackends(*interpreter), (std::vector<std::string>{"test_accelerator", "reference"}));

  // Taken names and nameless or factory-less entries are refused.
  EXPECT_FALSE(runtime::BackendRegistry::Global().Register(Entry("test_accelerator", 1, script)).ok());
  EXPECT_FALSE(runtime::BackendRegistry::Global().Register(Entry("half_done", 1, nullptr)).ok());
}

TEST(BackendRegistryTest, ABackendLeftOutOfTheBuildIsListedWithTheReason) {
  runtime::ScopedBackendRegistration registration(Entry("quantum", 10, nullptr, "built without a qubit"));
  ASSERT_TRUE(registration.status().ok());
  bool listed = false;
  for (const BackendInfo& info : ListBackends()) {
    if (info.name != "quantum") continue;
    listed = true;
    EXPECT_FALSE(info.compiled_in);
    EXPECT_FALSE(info.available);
    EXPECT_EQ(info.detail, "not compiled into this build (built without a qubit)");
  }
  EXPECT_TRUE(listed);
  ModelRunner::Options options;
  options.delegate = Delegate("quantum");
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  auto runner = ModelRunner::Create(testing::ModelPath("hand_landmark_lite"), options);
  ASSERT_FALSE(runner.ok());
  EXPECT_EQ(
      runner.status().message(),
      "failed to use delegate quantum: this build of handtrack does not include it (built without a qubit)");
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(ModelsFromMemoryTest, ABufferGivesTheSameModelAsTheFile) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> bytes = ReadBytes(testing::ModelPath("palm_detection_lite"));
  ModelRunner::Options options;
  options.delegate = Delegate::kReference;
  auto from_file = ModelRunner::Create(testing::ModelPath("palm_detection_lite"), options);
  auto from_memory = ModelRunner::CreateFromBuffer(bytes, "palm_detection_lite", options);
  ASSERT_TRUE(from_file.ok()) << from_file.status().message();
  ASSERT_TRUE(from_memory.ok()) << from_memory.status().message();
  EXPECT_EQ((*from_file)->DescribePlan(), (*from_memory)->DescribePlan());
  for (auto* runner : {from_file->get(), from_memory->get()}) {
    std::fill(runner->input(0).begin(), runner->input(0).end(), 0.25f);
    ASSERT_TRUE(runner->Run().ok());
  }
  for (int o = 0; o < (*from_file)->num_outputs(); ++o) {
    const auto a = (*from_file)->output(o), b = (*from_memory)->output(o);
    EXPECT_TRUE(std::equal(a.begin(), a.end(), b.begin(), b.end())) << "output " << o;
  }

  // Verified exactly as files are: truncated and empty buffers are one-line errors.
  const std::span<const uint8_t> truncated(bytes.data(), bytes.size() / 3);
  auto bad = ModelRunner::CreateFromBuffer(truncated, "palm_detection_lite", options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidModel);
  EXPECT_TRUE(Contains(bad.status().message(), "failed to load model palm_detection_lite from memory: "))
      << bad.status().message();
  auto empty = ModelRunner::CreateFromBuffer({}, "palm_detection_lite", options);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "failed to load model palm_detection_lite from memory: the buffer is empty");
}

TEST(ModelsFromMemoryTest, AnEngineAndALandmarkerRunFromBuffersWithNoModelFolder) {
  HT_REQUIRE_FIXTURE(!testing::ModelDir().empty(), "models");
  const std::vector<uint8_t> palm = ReadBytes(testing::ModelPath("palm_detection_lite"));
  const std::vector<uint8_t> landmarks = ReadBytes(testing::ModelPath("hand_landmark_lite"));
  HandEngineOptions options;
  options.model.variant = ModelVariant::kLite;
  options.model.model_dir = "/nonexistent/handtrack-models";
  options.model.delegate = Delegate::kReference;
  options.model.model_buffers = {{"palm_detection_lite", palm}, {"hand_landmark_lite", landmarks}};
  auto engine = HandEngine::Create(options);
  ASSERT_TRUE(engine.ok()) << engine.status().message();
  HandLandmarkerOptions landmarker_options;
  landmarker_options.engine = *engine;
  auto landmarker = HandLandmarker::Create(landmarker_options);
  ASSERT_TRUE(landmarker.ok()) << landmarker.status().message();
  Image grey(64, 48, PixelFormat::kRGB);
  auto result = (*landmarker)->Detect(grey.view());
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_TRUE(result->hands.empty());
  // The default precision (auto) is reported as what it chose on the CPU.
  EXPECT_EQ(options.model.precision, Precision::kAuto);
  EXPECT_EQ((*engine)->options().model.precision, Precision::kFp32);
  EXPECT_EQ((*landmarker)->options().model.precision, Precision::kFp32);

  // A corrupt buffer names the model and the reason; the folder is not consulted for it.
  std::vector<uint8_t> corrupt = palm;
  std::fill(corrupt.begin(), corrupt.begin() + 8, 0xff);
  options.model.model_buffers["palm_detection_lite"] = corrupt;
  auto broken = HandEngine::Create(options);
  ASSERT_FALSE(broken.ok());
  EXPECT_TRUE(Contains(broken.status().message(), "failed to load model palm_detection_lite from memory: "))
      << broken.status().message();
}

}  // namespace
}  // namespace handtrack
