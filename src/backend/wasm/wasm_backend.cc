#include "backend/wasm/wasm_backend.h"

#include <algorithm>
#include <cstdint>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "backend/arena_plan.h"
#include "backend/segment_check.h"
#include "backend/wasm/ops.h"
#include "backend/wasm/thread_pool.h"

namespace handtrack::backend {
namespace {

using model::OpType;

// Threads a segment may use: the browser's single-threaded module has no
// pthreads, and the threaded one a fixed pool (HANDTRACK_WASM_MAX_THREADS).
int UsableThreads(int asked) {
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
  (void)asked;
  return 1;
#elif defined(HANDTRACK_WASM_MAX_THREADS)
  return std::clamp(asked, 1, HANDTRACK_WASM_MAX_THREADS);
#else
  return std::max(asked, 1);
#endif
}

// The nodes of a segment that read each tensor (every node of the graph, so
// that a tensor also read outside the segment is never fused away).
std::vector<std::vector<int>> ReadersOf(const model::Graph& graph) {
  std::vector<std::vector<int>> readers(graph.tensors.size());
  for (int n = 0; n < static_cast<int>(graph.nodes.size()); ++n)
    for (int t : graph.nodes[n].inputs)
      if (t >= 0) readers[t].push_back(n);
  return readers;
}

// A convolution and the nodes fused into it, run as one step at the position
// of its last node (an ADD's other operand may be computed after the
// convolution, as in BlazePalm's channel-padding shortcut).
struct FusionGroup {
  int conv = -1;
  wasm::FusedTail tail;
  int last_node = -1;
};

class WasmSegment : public CompiledSegment {
 public:
  WasmSegment(const model::Graph& graph, SegmentSpec spec, std::string label,
              std::shared_ptr<wasm::ThreadPool> pool)
      : graph_(graph), spec_(std::move(spec)), label_(std::move(label)), pool_(std::move(pool)) {}

  // Fuses, prepares each step and plans the arena of the segment's own tensors.
  void Build() {
    const std::vector<std::vector<int>> readers = ReadersOf(graph_);
    const std::set<int> in_segment(spec_.nodes.begin(), spec_.nodes.end());
    const std::set<int> outputs(spec_.outputs.begin(), spec_.outputs.end());
    // The one node that reads `t`, when t stays inside the segment and that node is in it.
    auto sole_reader = [&](int t) -> int {
      if (outputs.count(t) != 0 || readers[t].size() != 1 || in_segment.count(readers[t][0]) == 0) return -1;
      return readers[t][0];
    };
    std::vector<int> absorbed_by(graph_.nodes.size(), -1);  // node -> the conv it is fused into
    std::vector<FusionGroup> groups;
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      if (node.op != OpType::kConv2D) continue;
      FusionGroup group{n, {}, n};
      int t = node.outputs[0];
      int next = sole_reader(t);
      if (next >= 0 && graph_.nodes[next].op == OpType::kAdd &&
          wasm::SupportsAdd(graph_, graph_.nodes[next]).ok()) {
        const model::Node& add = graph_.nodes[next];
        const int other = add.inputs[0] == t ? add.inputs[1] : add.inputs[0];
        if (other != t) {
          group.tail.add = &add;
          group.tail.residual = other;
          group.last_node = next;
          t = add.outputs[0];
          next = sole_reader(t);
        }
      }
      if (next >= 0 && graph_.nodes[next].op == OpType::kPRelu &&
          wasm::SupportsPRelu(graph_, graph_.nodes[next]).ok()) {
        group.tail.prelu = &graph_.nodes[next];
        group.last_node = next;
        t = graph_.nodes[next].outputs[0];
      }
      if (group.last_node == n) continue;
      group.tail.output = t;
      if (group.tail.add != nullptr) absorbed_by[group.tail.add - graph_.nodes.data()] = n;
      if (group.tail.prelu != nullptr) absorbed_by[group.tail.prelu - graph_.nodes.data()] = n;
      absorbed_by[n] = n;
      groups.push_back(group);
    }
    // Steps in execution order; each records what it reads and writes.
    std::vector<std::vector<int>> reads, writes;
    for (int n : spec_.nodes) {
      const model::Node& node = graph_.nodes[n];
      std::vector<int> step_reads, step_writes;
      if (absorbed_by[n] >= 0) {
        const auto group = std::find_if(groups.begin(), groups.end(),
                                        [&](const FusionGroup& g) { return g.conv == absorbed_by[n]; });
        if (group->last_node != n) continue;  // the group runs at its last node
        const model::Node& conv = graph_.nodes[group->conv];
        steps_.push_back(wasm::FindOp(OpType::kConv2D)->prepare(graph_, conv, group->tail));
        step_reads.push_back(conv.inputs[0]);
        if (group->tail.residual >= 0) step_reads.push_back(group->tail.residual);
        step_writes.push_back(group->tail.output);
      } else {
        steps_.push_back(wasm::FindOp(node.op)->prepare(graph_, node, {}));
        for (int t : node.inputs)
          if (t >= 0) step_reads.push_back(t);
        step_writes = node.outputs;
      }
      reads.push_back(std::move(step_reads));
      writes.push_back(std::move(step_writes));
    }
    // Tensors produced here and not handed back live in one arena, sharing
    // bytes when their lifetimes do not overlap.
    buffers_.assign(graph_.tensors.size(), nullptr);
    for (size_t t = 0; t < graph_.tensors.size(); ++t)
      if (graph_.tensors[t].is_constant)
        buffers_[t] = const_cast<float*>(graph_.tensors[t].f32.data());  // read only
    std::vector<int> internal;
    std::vector<BufferLifetime> lifetimes;
    for (int s = 0; s < static_cast<int>(writes.size()); ++s) {
      for (int t : writes[s]) {
        if (outputs.count(t) != 0) continue;
        int last = s;
        for (int r = s + 1; r < static_cast<int>(reads.size()); ++r)
          if (std::find(reads[r].begin(), reads[r].end(), t) != reads[r].end()) last = r;
        internal.push_back(t);
        lifetimes.push_back(
            {graph_.tensors[t].num_elements() * static_cast<int64_t>(sizeof(float)), s, last});
      }
    }
    constexpr int64_t kAlignment = 64;
    const ArenaPlan plan = PlanArena(lifetimes, kAlignment);
    arena_.assign(static_cast<size_t>(plan.total_bytes / sizeof(float)) + kAlignment / sizeof(float), 0.0f);
    // The vector's own alignment is only that of a float: start at the first 64-byte boundary.
    const auto base = reinterpret_cast<uintptr_t>(arena_.data());
    float* aligned = reinterpret_cast<float*>((base + kAlignment - 1) / kAlignment * kAlignment);
    for (size_t i = 0; i < internal.size(); ++i)
      buffers_[internal[i]] = aligned + plan.offsets[i] / static_cast<int64_t>(sizeof(float));
  }

  Status Run(const HostTensors& tensors) override {
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.inputs, tensors, label_));
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, spec_.outputs, tensors, label_));
    for (int t : spec_.inputs) buffers_[t] = tensors.data[t];
    for (int t : spec_.outputs) buffers_[t] = tensors.data[t];
    for (const auto& step : steps_) step->Run(buffers_.data(), *pool_);
    return Status::Ok();
  }

 private:
  const model::Graph& graph_;
  SegmentSpec spec_;
  std::string label_;
  std::shared_ptr<wasm::ThreadPool> pool_;
  std::vector<std::unique_ptr<wasm::Step>> steps_;
  std::vector<float*> buffers_;  // per tensor: constants, arena slots, and this run's host buffers
  std::vector<float> arena_;
};

class WasmBackend : public Backend {
 public:
  const char* name() const override { return "wasm"; }
  Status Availability() const override { return Status::Ok(); }
  Status Supports(const model::Graph& graph, int node_index) const override {
    const model::Node& node = graph.nodes[node_index];
    const wasm::OpEntry* op = wasm::FindOp(node.op);
    if (op == nullptr)
      return UnsupportedError(std::string("no wasm kernel for ") + model::OpTypeName(node.op));
    // Every input is float32 but PAD's paddings (SupportsPad checks those).
    const size_t float_inputs = node.op == OpType::kPad ? 1 : node.inputs.size();
    for (size_t i = 0; i < float_inputs; ++i)
      if (node.inputs[i] >= 0 && graph.tensors[node.inputs[i]].type != model::DataType::kFloat32)
        return UnsupportedError(std::string(model::OpTypeName(node.op)) + " with a non-float32 input");
    return op->supports(graph, node);
  }
  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions& options) override {
    std::string label = SegmentLabel(graph, spec, "wasm");
    HT_RETURN_IF_ERROR(CheckSegmentSpec(graph, spec, label));
    auto segment = std::make_unique<WasmSegment>(graph, spec, std::move(label),
                                                 wasm::SharedThreadPool(UsableThreads(options.num_threads)));
    segment->Build();
    return std::unique_ptr<CompiledSegment>(std::move(segment));
  }
};

}  // namespace

std::unique_ptr<Backend> CreateWasmBackend() { return std::make_unique<WasmBackend>(); }

}  // namespace handtrack::backend
