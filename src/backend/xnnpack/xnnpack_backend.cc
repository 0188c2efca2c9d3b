#include "backend/xnnpack/xnnpack_backend.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/arena_plan.h"
#include "backend/segment_check.h"
#include "backend/xnnpack/build_context.h"
#include "backend/xnnpack/depthwise_kernel.h"
#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"
#include "backend/xnnpack/residual_kernel.h"

namespace handtrack::backend {
namespace {

using xnnpack::BuildContext;
using xnnpack::DepthwiseKernel;
using xnnpack::ResidualKernel;
using xnnpack::XnnStatus;

struct SubgraphDeleter {
  void operator()(xnn_subgraph_t subgraph) const { xnn_delete_subgraph(subgraph); }
};
struct RuntimeDeleter {
  void operator()(xnn_runtime_t runtime) const { xnn_delete_runtime(runtime); }
};
struct ThreadPoolDeleter {
  void operator()(pthreadpool_t pool) const { pthreadpool_destroy(pool); }
};
struct FreeDeleter {
  void operator()(float* data) const { std::free(data); }
};
using SubgraphPtr = std::unique_ptr<xnn_subgraph, SubgraphDeleter>;
using RuntimePtr = std::unique_ptr<xnn_runtime, RuntimeDeleter>;
using ThreadPoolPtr = std::unique_ptr<pthreadpool, ThreadPoolDeleter>;
using ArenaPtr = std::unique_ptr<float[], FreeDeleter>;  // from std::aligned_alloc

// The segment's own buffers start on a 64-byte cache line: an AVX-512 vector
// that straddles two lines made XNNPACK and the depthwise kernel ~20 % slower.
constexpr size_t kCacheLineFloats = 16;

// xnn_initialize once per process (a thread-safe static); never deinitialized,
// as segments may live until exit.
Status InitializeXnnpack() {
  static const xnn_status kInitStatus = xnn_initialize(/*allocator=*/nullptr);
  return XnnStatus(kInitStatus);
}

// One XNNPACK runtime over a run of a segment's nodes, reading and writing the
// values listed in external_tensors (inputs first) from buffers bound at each
// run.
struct XnnpackRun {
  std::vector<int> external_tensors;  // graph tensor per external value id
  // Destroyed bottom-up: the runtime before the static data it points to.
  std::vector<std::vector<float>> static_data;
  RuntimePtr runtime;
  std::vector<xnn_external_value> bound;  // what xnn_setup_runtime was last given
  bool set_up = false;
};

// A DEPTHWISE_CONV_2D node that the backend's own kernel runs.
struct DepthwiseRun {
  DepthwiseKernel kernel;
  int input_tensor;
  int output_tensor;
};

// An ADD (and the PRELU after it) that the backend's own kernel runs.
struct ResidualRun {
  ResidualKernel kernel;
  int a_tensor;
  int b_tensor;
  int output_tensor;  // the PRELU's output when it is folded in, else the ADD's
};

// A step that one of the backend's own kernels runs: exactly one is set.
struct OwnKernelRun {
  std::unique_ptr<DepthwiseRun> depthwise;
  std::unique_ptr<ResidualRun> residual;

  bool empty() const { return depthwise == nullptr && residual == nullptr; }
  int output_tensor() const {
    return depthwise != nullptr ? depthwise->output_tensor : residual->output_tensor;
  }
};

// One step of a segment, in execution order: an XNNPACK run or an own kernel.
struct SegmentStep {
  std::unique_ptr<XnnpackRun> xnnpack;
  OwnKernelRun own;
};

// What the pool's threads share for one depthwise step.
struct DepthwiseTask {
  const DepthwiseKernel* kernel;
  const float* input;
  float* output;
};

void RunDepthwiseTask(void* context, size_t row_begin, size_t rows) {
  const DepthwiseTask& task = *static_cast<const DepthwiseTask*>(context);
  task.kernel->RunRows(task.input, task.output, row_begin, row_begin + rows);
}

// What the pool's threads share for one residual step.
struct ResidualTask {
  const ResidualKernel* kernel;
  const float* a;
  const float* b;
  float* output;
};

void RunResidualTask(void* context, size_t row_begin, size_t rows) {
  const ResidualTask& task = *static_cast<const ResidualTask*>(context);
  task.kernel->RunRows(task.a, task.b, task.output, row_begin, row_begin + rows);
}

// Rows per residual task: about 16 KB of output, so that a pool's threads
// share even small tensors without a task per pixel.
size_t ResidualTileRows(const ResidualKernel& kernel) {
  return std::max<size_t>(1, 4096 / kernel.channels());  // Create refuses empty tensors
}

class XnnpackSegment final : public CompiledSegment {
 public:
  // `host_tensors`: the segment's inputs and outputs, whose buffers come with
  // each run; `own_buffers`: per graph tensor, the segment's buffer for it in
  // `arena` (nullptr for host tensors and for tensors that stay inside one
  // XNNPACK runtime).
  XnnpackSegment(const model::Graph& graph, std::string label, std::vector<int> host_tensors, ArenaPtr arena,
                 std::vector<float*> own_buffers, ThreadPoolPtr threadpool, std::vector<SegmentStep> steps)
      : graph_(graph),
        label_(std::move(label)),
        host_tensors_(std::move(host_tensors)),
        arena_(std::move(arena)),
        own_buffers_(std::move(own_buffers)),
        threadpool_(std::move(threadpool)),
        steps_(std::move(steps)) {}

  Status Run(const HostTensors& tensors) override {
    HT_RETURN_IF_ERROR(CheckHostBuffers(graph_, host_tensors_, tensors, label_));
    auto buffer = [&](int tensor) {
      return own_buffers_[tensor] != nullptr ? own_buffers_[tensor] : tensors.data[tensor];
    };
    for (SegmentStep& step : steps_) {
      // Without a pool (1 thread) pthreadpool runs the rows on this thread. Between steps the
      // workers spin, ready for the next one; PutWorkersToSleep ends that after the last.
      if (const DepthwiseRun* depthwise = step.own.depthwise.get(); depthwise != nullptr) {
        DepthwiseTask task{&depthwise->kernel, buffer(depthwise->input_tensor),
                           buffer(depthwise->output_tensor)};
        pthreadpool_parallelize_1d_tile_1d(threadpool_.get(), RunDepthwiseTask, &task,
                                           task.kernel->num_rows(), /*tile_range=*/1, /*flags=*/0);
        continue;
      }
      if (const ResidualRun* residual = step.own.residual.get(); residual != nullptr) {
        ResidualTask task{&residual->kernel, buffer(residual->a_tensor), buffer(residual->b_tensor),
                          buffer(residual->output_tensor)};
        pthreadpool_parallelize_1d_tile_1d(threadpool_.get(), RunResidualTask, &task,
                                           residual->kernel.num_rows(), ResidualTileRows(residual->kernel),
                                           /*flags=*/0);
        continue;
      }
      XnnpackRun& run = *step.xnnpack;
      // xnn_setup_runtime rebuilds indirection buffers, so it runs only when
      // the buffers moved since the last run.
      bool moved = !run.set_up;
      for (size_t id = 0; id < run.external_tensors.size(); ++id) {
        float* data = buffer(run.external_tensors[id]);
        moved = moved || run.bound[id].data != data;
        run.bound[id].data = data;
      }
      if (moved) {
        run.set_up = false;
        const Status status =
            XnnStatus(xnn_setup_runtime(run.runtime.get(), run.bound.size(), run.bound.data()));
        if (!status.ok()) return status.WithPrefix("failed to set up " + label_);
        run.set_up = true;
      }
      const Status status = XnnStatus(xnn_invoke_runtime(run.runtime.get()));
      if (!status.ok()) return status.WithPrefix("failed to run " + label_);
    }
    if (threadpool_ != nullptr) PutWorkersToSleep();
    return Status::Ok();
  }

 private:
  // The pool's workers go to sleep when a run ends instead of spinning: between
  // runs the caller does other work (crops, the other model with its own pool),
  // and spinning workers steal its cores (a 2-thread detect once took 24 ms
  // instead of 12). This call with nothing to do but the flag is the one place
  // that does it: XNNPACK's XNN_FLAG_YIELD_WORKERS, used before, reaches the
  // pool only through the runtime's last operator's parallel call, and the hand
  // models end in operators that make none (a reshape, a copy). Their workers
  // then kept spinning: on 2 cores with 2 threads per model, track spent 37 %
  // of its time in those spins and ran slower than with 1 thread (61-63
  // against 79-81 frames/s).
  void PutWorkersToSleep() {
    pthreadpool_parallelize_1d(
        threadpool_.get(), [](void*, size_t) {}, nullptr, pthreadpool_get_threads_count(threadpool_.get()),
        PTHREADPOOL_FLAG_YIELD_WORKERS);
  }

  const model::Graph& graph_;
  const std::string label_;
  const std::vector<int> host_tensors_;
  // Destroyed bottom-up: the steps (runtimes) first, then the pool they use,
  // then the buffers they point to.
  const ArenaPtr arena_;
  const std::vector<float*> own_buffers_;
  ThreadPoolPtr threadpool_;
  std::vector<SegmentStep> steps_;
};

class XnnpackBackend final : public Backend {
 public:
  const char* name() const override { return "xnnpack"; }

  Status Availability() const override {
    Status status = InitializeXnnpack();
    if (status.ok()) return status;
    return UnavailableError("failed to initialize XNNPACK: " + status.message());
  }

  Status Supports(const model::Graph& graph, int node_index) const override {
    if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
      return InvalidArgumentError("failed to check node #" + std::to_string(node_index) + ": out of range");
    }
    const model::Node& node = graph.nodes[node_index];
    const xnnpack::OpEntry* entry = xnnpack::FindOp(node.op);
    if (entry == nullptr) {
      return UnsupportedError("op type " + std::to_string(static_cast<int>(node.op)) +
                              " has no XNNPACK lowering");
    }
    for (int tensor : node.inputs) {
      if (tensor >= static_cast<int>(graph.tensors.size())) {
        return InvalidArgumentError("failed to check " + xnnpack::NodeLabel(node) +
                                    ": input tensor out of range");
      }
    }
    for (int tensor : node.outputs) {
      if (tensor >= static_cast<int>(graph.tensors.size())) {
        return InvalidArgumentError("failed to check " + xnnpack::NodeLabel(node) +
                                    ": output tensor out of range");
      }
    }
    return entry->supports(graph, node);
  }

  Result<std::unique_ptr<CompiledSegment>> Compile(const model::Graph& graph, const SegmentSpec& spec,
                                                   const BackendOptions& options) override {
    HT_RETURN_IF_ERROR(Availability());
    if (options.num_threads < 1) {
      return InvalidArgumentError("failed to compile XNNPACK segment: num_threads is " +
                                  std::to_string(options.num_threads) + ", must be at least 1");
    }
    const std::string label = SegmentLabel(graph, spec, "XNNPACK");
    HT_RETURN_IF_ERROR(CheckSegmentSpec(graph, spec, label));

    ThreadPoolPtr threadpool;
    if (options.num_threads > 1) {
      threadpool.reset(pthreadpool_create(options.num_threads));
      if (threadpool == nullptr) {
        return ResourceExhaustedError("failed to create a pool of " + std::to_string(options.num_threads) +
                                      " threads for " + label);
      }
    }

    for (int node_index : spec.nodes) {
      const Status status = Supports(graph, node_index);
      if (!status.ok()) {
        return status.WithPrefix("failed to define " + xnnpack::NodeLabel(graph.nodes[node_index]) +
                                 " in XNNPACK");
      }
    }
    const int num_tensors = static_cast<int>(graph.tensors.size());
    std::vector<bool> is_host(num_tensors, false);
    for (int tensor : spec.inputs) is_host[tensor] = true;
    for (int tensor : spec.outputs) is_host[tensor] = true;

    // The segment's nodes as steps: runs of nodes for XNNPACK, broken by each
    // node that one of the backend's own kernels takes (a step of its own).
    std::vector<std::vector<int>> step_nodes;
    std::vector<OwnKernelRun> step_own;                   // empty: an XNNPACK run
    std::vector<bool> folded(graph.nodes.size(), false);  // a PRELU run by its ADD's step
    for (size_t position = 0; position < spec.nodes.size(); ++position) {
      const int node_index = spec.nodes[position];
      if (folded[node_index]) continue;
      std::vector<int> nodes = {node_index};
      OwnKernelRun own = OwnKernelFor(graph, spec, position, is_host, nodes);
      for (int node : nodes) folded[node] = true;
      if (!own.empty() || step_nodes.empty() || !step_own.back().empty()) {
        step_nodes.emplace_back();
        step_own.push_back(std::move(own));
      }
      step_nodes.back().insert(step_nodes.back().end(), nodes.begin(), nodes.end());
    }
    const int num_steps = static_cast<int>(step_nodes.size());

    // Per tensor, the step that produces it and the last step that reads it.
    std::vector<int> producer(num_tensors, -1);
    std::vector<int> last_reader(num_tensors, -1);
    for (int step = 0; step < num_steps; ++step) {
      for (int node_index : step_nodes[step]) {
        const model::Node& node = graph.nodes[node_index];
        for (int tensor : node.inputs) {
          if (tensor >= 0 && !graph.tensors[tensor].is_constant) last_reader[tensor] = step;
        }
        for (int tensor : node.outputs) producer[tensor] = step;
      }
    }
    // A tensor that leaves the step producing it needs a buffer outside the
    // step's XNNPACK runtime: the host's or one of the segment's own. So does
    // the output of an own kernel's step, read later or not (a folded ADD's sum
    // is never stored).
    auto leaves_step = [&](int tensor) {
      return is_host[tensor] || (producer[tensor] >= 0 && last_reader[tensor] > producer[tensor]);
    };
    auto needs_own_buffer = [&](int tensor) {
      return !is_host[tensor] && producer[tensor] >= 0 &&
             (leaves_step(tensor) ||
              (!step_own[producer[tensor]].empty() && step_own[producer[tensor]].output_tensor() == tensor));
    };
    ArenaPtr arena;
    std::vector<float*> own_buffers(num_tensors, nullptr);
    if (num_steps > 1 || !step_own.front().empty()) {
      HT_ASSIGN_OR_RETURN(
          arena, AllocateOwnBuffers(graph, step_nodes, last_reader, needs_own_buffer, label, own_buffers));
    }

    std::vector<SegmentStep> steps;
    for (int step = 0; step < num_steps; ++step) {
      if (!step_own[step].empty()) {
        steps.push_back(SegmentStep{nullptr, std::move(step_own[step])});
        continue;
      }
      SegmentSpec run_spec;
      run_spec.nodes = step_nodes[step];
      if (num_steps == 1) {
        run_spec.inputs = spec.inputs;
        run_spec.outputs = spec.outputs;
      } else {
        std::vector<bool> listed(num_tensors, false);
        for (int node_index : run_spec.nodes) {
          for (int tensor : graph.nodes[node_index].inputs) {
            if (tensor < 0 || graph.tensors[tensor].is_constant || listed[tensor] ||
                producer[tensor] == step) {
              continue;
            }
            listed[tensor] = true;
            run_spec.inputs.push_back(tensor);
          }
        }
        for (int node_index : run_spec.nodes) {
          for (int tensor : graph.nodes[node_index].outputs) {
            if (listed[tensor] || !leaves_step(tensor)) continue;
            listed[tensor] = true;
            run_spec.outputs.push_back(tensor);
          }
        }
      }
      HT_ASSIGN_OR_RETURN(std::unique_ptr<XnnpackRun> run,
                          CreateXnnpackRun(graph, run_spec, threadpool.get(), label));
      steps.push_back(SegmentStep{std::move(run), {}});
    }
    std::vector<int> host_tensors = spec.inputs;
    host_tensors.insert(host_tensors.end(), spec.outputs.begin(), spec.outputs.end());
    return std::unique_ptr<CompiledSegment>(
        std::make_unique<XnnpackSegment>(graph, label, std::move(host_tensors), std::move(arena),
                                         std::move(own_buffers), std::move(threadpool), std::move(steps)));
  }

 private:
  // The own kernel for spec.nodes[position], if one takes it (empty: the node
  // stays with XNNPACK): our depthwise kernel, or the residual kernel for an
  // ADD, which also takes the PRELU after it when that PRELU is in the
  // segment and the only reader of the sum; `nodes` then gains the PRELU.
  static OwnKernelRun OwnKernelFor(const model::Graph& graph, const SegmentSpec& spec, size_t position,
                                   const std::vector<bool>& is_host, std::vector<int>& nodes) {
    const model::Node& node = graph.nodes[spec.nodes[position]];
    OwnKernelRun own;
    // Unsupported only means that the node stays with XNNPACK.
    if (node.op == model::OpType::kDepthwiseConv2D) {
      Result<DepthwiseKernel> kernel = xnnpack::CreateDepthwiseKernel(graph, node);
      if (kernel.ok()) {
        own.depthwise = std::make_unique<DepthwiseRun>(
            DepthwiseRun{std::move(kernel).value(), node.inputs[0], node.outputs[0]});
      }
      return own;
    }
    if (node.op != model::OpType::kAdd) return own;
    const int sum = node.outputs[0];
    int prelu_index = -1;
    int readers = 0;
    for (const model::Node& other : graph.nodes) {
      readers += static_cast<int>(std::count(other.inputs.begin(), other.inputs.end(), sum));
    }
    if (readers == 1 && !is_host[sum]) {
      for (size_t later = position + 1; later < spec.nodes.size(); ++later) {
        const model::Node& reader = graph.nodes[spec.nodes[later]];
        if (std::find(reader.inputs.begin(), reader.inputs.end(), sum) == reader.inputs.end()) continue;
        if (reader.op == model::OpType::kPRelu) prelu_index = spec.nodes[later];
        break;
      }
    }
    Result<ResidualKernel> kernel =
        ResidualKernel::Create(graph, node, prelu_index >= 0 ? &graph.nodes[prelu_index] : nullptr);
    if (!kernel.ok() && prelu_index >= 0) {
      prelu_index = -1;
      kernel = ResidualKernel::Create(graph, node, nullptr);
    }
    if (!kernel.ok()) return own;
    const int output = prelu_index >= 0 ? graph.nodes[prelu_index].outputs[0] : sum;
    own.residual = std::make_unique<ResidualRun>(
        ResidualRun{std::move(kernel).value(), node.inputs[0], node.inputs[1], output});
    if (prelu_index >= 0) nodes.push_back(prelu_index);
    return own;
  }

  // Lays out one arena for the tensors that need_own_buffer with the shared
  // arena planner (backend/arena_plan.h): a tensor lives from the step that
  // produces it to the last step that reads it, buffers whose lifetimes do
  // not overlap share bytes. Each buffer starts on a cache line and has
  // kHostBufferSlackFloats of readable slack like host buffers; points
  // own_buffers[tensor] into the arena.
  template <typename NeedsOwnBuffer>
  static Result<ArenaPtr> AllocateOwnBuffers(const model::Graph& graph,
                                             const std::vector<std::vector<int>>& step_nodes,
                                             const std::vector<int>& last_reader,
                                             NeedsOwnBuffer needs_own_buffer, const std::string& label,
                                             std::vector<float*>& own_buffers) {
    std::vector<BufferLifetime> lifetimes;
    std::vector<int> buffer_tensor;
    std::vector<bool> planned(graph.tensors.size(), false);
    for (int step = 0; step < static_cast<int>(step_nodes.size()); ++step) {
      for (int node_index : step_nodes[step]) {
        for (int tensor : graph.nodes[node_index].outputs) {
          if (!needs_own_buffer(tensor) || planned[tensor]) continue;
          planned[tensor] = true;
          const int64_t floats =
              graph.tensors[tensor].num_elements() + static_cast<int64_t>(kHostBufferSlackFloats);
          lifetimes.push_back(
              {floats * static_cast<int64_t>(sizeof(float)), step, std::max(last_reader[tensor], step)});
          buffer_tensor.push_back(tensor);
        }
      }
    }
    ArenaPtr arena;
    if (lifetimes.empty()) return arena;
    constexpr int64_t kAlignment = kCacheLineFloats * sizeof(float);
    const ArenaPlan plan = PlanArena(lifetimes, kAlignment);
    const size_t bytes =
        static_cast<size_t>(plan.total_bytes);  // a multiple of the alignment, as aligned_alloc needs
    arena.reset(static_cast<float*>(std::aligned_alloc(kAlignment, bytes)));
    if (arena == nullptr) {
      return ResourceExhaustedError("failed to allocate " + std::to_string(bytes) + " bytes of buffers for " +
                                    label);
    }
    // Zeros, so that reads of the slack see defined values.
    std::fill(arena.get(), arena.get() + bytes / sizeof(float), 0.0f);
    for (size_t buffer = 0; buffer < buffer_tensor.size(); ++buffer) {
      own_buffers[buffer_tensor[buffer]] =
          arena.get() + plan.offsets[buffer] / static_cast<int64_t>(sizeof(float));
    }
    return arena;
  }

  // One XNNPACK subgraph and runtime for `spec`, whose inputs and outputs
  // become its external values.
  Result<std::unique_ptr<XnnpackRun>> CreateXnnpackRun(const model::Graph& graph, const SegmentSpec& spec,
                                                       pthreadpool_t threadpool, const std::string& label) {
    auto run = std::make_unique<XnnpackRun>();
    run->external_tensors = spec.inputs;
    run->external_tensors.insert(run->external_tensors.end(), spec.outputs.begin(), spec.outputs.end());
    xnn_subgraph_t raw_subgraph = nullptr;
    Status status = XnnStatus(xnn_create_subgraph(run->external_tensors.size(), /*flags=*/0, &raw_subgraph));
    if (!status.ok()) return status.WithPrefix("failed to create XNNPACK subgraph for " + label);
    const SubgraphPtr subgraph(raw_subgraph);

    BuildContext context(subgraph.get(), graph);
    for (size_t id = 0; id < run->external_tensors.size(); ++id) {
      const uint32_t flags =
          id < spec.inputs.size() ? XNN_VALUE_FLAG_EXTERNAL_INPUT : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
      status = context.DefineExternal(run->external_tensors[id], id, flags);
      if (!status.ok()) return status.WithPrefix("failed to define the inputs and outputs of " + label);
    }
    for (int node_index : spec.nodes) {
      const model::Node& node = graph.nodes[node_index];
      status = xnnpack::FindOp(node.op)->define(context, graph, node);
      if (!status.ok()) {
        return status.WithPrefix("failed to define " + xnnpack::NodeLabel(node) + " in XNNPACK");
      }
    }
    xnn_runtime_t raw_runtime = nullptr;
    // No XNN_FLAG_YIELD_WORKERS: XnnpackSegment::PutWorkersToSleep ends every run.
    status = XnnStatus(xnn_create_runtime_v2(subgraph.get(), threadpool, /*flags=*/0, &raw_runtime));
    if (!status.ok()) return status.WithPrefix("failed to create XNNPACK runtime for " + label);
    run->runtime.reset(raw_runtime);
    run->static_data = context.TakeStaticData();
    for (size_t id = 0; id < run->external_tensors.size(); ++id) {
      run->bound.push_back({static_cast<uint32_t>(id), nullptr});
    }
    return run;
  }
};

}  // namespace

std::unique_ptr<Backend> CreateXnnpackBackend() { return std::make_unique<XnnpackBackend>(); }

}  // namespace handtrack::backend
