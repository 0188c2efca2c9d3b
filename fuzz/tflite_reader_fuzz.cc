// libFuzzer target: arbitrary bytes through the .tflite reader must give a
// Graph or an error, never a crash, hang or out-of-bounds read; and a graph the
// reader accepts must plan, and (when small enough for a fuzzer) run once on
// the reference backend without one either.
//
// At exit it prints one line to stderr, e.g.
//   tflite_reader_fuzz: 1234 inputs, 56 read, 56 planned, 12 run
// so that a CI log shows how far past the reader the corpus got.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <span>
#include <utility>

#include "model/tflite_reader.h"
#include "runtime/interpreter.h"

namespace {

using handtrack::model::Graph;
using handtrack::model::OpType;

// Planning allocates a buffer per non-constant tensor: above this many
// elements in all (256 MiB of float32) the interpreter is not created, so that
// a model of a few bytes declaring huge shapes cannot exhaust the fuzzer's
// memory (-rss_limit_mb). The real models need a fifth of it at most
// (palm_detection_full: 12.5 M).
constexpr int64_t kMaxElementsToPlan = int64_t{1} << 26;
// A run happens only when every tensor together holds fewer elements than
// this, and the windowed and matrix ops do fewer multiply-adds than that.
constexpr int64_t kMaxElementsToRun = 2'000'000;
constexpr int64_t kMaxMultiplyAddsToRun = 50'000'000;

struct Counters {
  uint64_t inputs = 0, read = 0, planned = 0, run = 0;
};
Counters counters;

void PrintCounters() {
  std::fprintf(
      stderr, "tflite_reader_fuzz: %llu inputs, %llu read, %llu planned, %llu run\n",
      static_cast<unsigned long long>(counters.inputs), static_cast<unsigned long long>(counters.read),
      static_cast<unsigned long long>(counters.planned), static_cast<unsigned long long>(counters.run));
}

int64_t ElementsOf(const Graph& graph, bool non_constant_only) {
  int64_t total = 0;
  for (const auto& tensor : graph.tensors) {
    if (!(non_constant_only && tensor.is_constant)) total += tensor.num_elements();  // each <= 2^28
  }
  return total;
}

// Upper bound of the multiply-adds of one run: convolutions, fully connected
// layers and pooling windows (every other op is linear in its tensors' sizes).
// Saturates at `limit`.
int64_t MultiplyAdds(const Graph& graph, int64_t limit) {
  int64_t total = 0;
  for (const auto& node : graph.nodes) {
    const int64_t out = graph.tensors[node.outputs[0]].num_elements();
    int64_t per_output = 0;  // ValidateNode has checked the ranks used below
    switch (node.op) {
      case OpType::kConv2D: {
        const auto& filter = graph.tensors[node.inputs[1]].shape;  // [out, kh, kw, in]
        per_output = int64_t{filter[1]} * filter[2] * filter[3];
        break;
      }
      case OpType::kDepthwiseConv2D: {
        const auto& filter = graph.tensors[node.inputs[1]].shape;  // [1, kh, kw, channels]
        per_output = int64_t{filter[1]} * filter[2];
        break;
      }
      case OpType::kFullyConnected:
        per_output = graph.tensors[node.inputs[1]].shape[1];  // [out, in]
        break;
      case OpType::kAveragePool2D:
      case OpType::kMaxPool2D:
        per_output = int64_t{node.params.filter_h} * node.params.filter_w;
        break;
      default:
        break;
    }
    // out <= 2^28 and per_output <= 2^28 (a filter's elements) or 2^24 (a pool window): no overflow.
    total += out * per_output;
    if (total >= limit) return limit;
  }
  return total;
}

// Plans the graph on the reference backend and, when it is small, runs it
// once on a fixed input pattern.
void PlanAndRun(Graph graph) {
  if (ElementsOf(graph, /*non_constant_only=*/true) > kMaxElementsToPlan) return;
  const bool small = ElementsOf(graph, /*non_constant_only=*/false) < kMaxElementsToRun &&
                     MultiplyAdds(graph, kMaxMultiplyAddsToRun) < kMaxMultiplyAddsToRun;
  handtrack::runtime::InterpreterOptions options;
  options.delegate = "reference";
  auto interpreter =
      handtrack::runtime::Interpreter::Create(std::make_shared<const Graph>(std::move(graph)), options);
  if (!interpreter.ok()) return;
  ++counters.planned;
  if (!small) return;
  handtrack::runtime::Interpreter& it = **interpreter;
  for (int i = 0; i < it.num_inputs(); ++i) {
    const std::span<float> input = it.input(i);
    for (size_t k = 0; k < input.size(); ++k)
      input[k] = static_cast<float>(static_cast<int>(k % 17) - 8) / 8.0f;
  }
  if (!it.Run().ok()) return;
  ++counters.run;
  // Read every output so that the sanitizers see a span that is too short.
  float sum = 0.0f;
  for (int i = 0; i < it.num_outputs(); ++i) {
    for (float v : it.output(i)) sum += v;
  }
  volatile float sink = sum;
  (void)sink;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const bool registered = std::atexit(PrintCounters) == 0;  // libFuzzer ends through exit()
  (void)registered;
  ++counters.inputs;
  auto graph = handtrack::model::ReadTflite({data, size}, "fuzz");
  if (!graph.ok()) return 0;
  ++counters.read;
  // A verified graph must also pass every per-node check again.
  for (int i = 0; i < static_cast<int>(graph->nodes.size()); ++i)
    (void)handtrack::model::ValidateNode(*graph, i);
  PlanAndRun(std::move(graph).value());
  return 0;
}
