#include "backend/xnnpack/xnnpack_backend.h"

#include <pthreadpool.h>
#include <xnnpack.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "backend/xnnpack/build_context.h"
#include "backend/xnnpack/op_util.h"
#include "backend/xnnpack/ops.h"

namespace handtrack::backend {
namespace {

using xnnpack::BuildContext;
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
using SubgraphPtr = std::unique_ptr<xnn_subgraph, SubgraphDeleter>;
using RuntimePtr = std::unique_ptr<xnn_runtime, RuntimeDeleter>;
using ThreadPoolPtr = std::unique_ptr<pthreadpool, ThreadPoolDeleter>;

// xnn_initialize once per process (a thread-safe static); never deinitialized,
// as segments may live until exit.
Status InitializeXnnpack() {
  static const xnn_status kInitStatus = xnn_initialize(/*allocator=*/nullptr);
  return XnnStatus(kInitStatus);
}

std::string TensorLabel(const model::Graph& graph, int tensor) {
  return "tensor '" + graph.tensors[tensor].name + "' (#" + std::to_string(tensor) + ")";
}

class XnnpackSegment final : public CompiledSegment {
 public:
  XnnpackSegment(const model::Graph& graph, std::string label, std::vector<int> external_tensors,
                 std::vector<std::vector<float>> static_data, ThreadPoolPtr threadpool, RuntimePtr runtime)
      : graph_(graph),
        label_(std::move(label)),
        external_tensors_(std::move(external_tensors)),
        static_data_(std::move(static_data)),
        threadpool_(std::move(threadpool)),
        runtime_(std::move(runtime)) {
    for (size_t id = 0; id < external_tensors_.size(); ++id) {
      bound_.push_back({static_cast<uint32_t>(id), nullptr});
    }
  }

  Status Run(const HostTensors& tensors) override {
    // xnn_setup_runtime rebuilds indirection buffers, so it runs only when the
    // host buffers moved since the last run.
    bool moved = !set_up_;
    for (size_t id = 0; id < external_tensors_.size(); ++id) {
      const int tensor = external_tensors_[id];
      float* data = tensor < static_cast<int>(tensors.data.size()) ? tensors.data[tensor] : nullptr;
      if (data == nullptr) {
        return InvalidArgumentError("failed to run " + label_ + ": " + TensorLabel(graph_, tensor) +
                                    " has no host buffer");
      }
      moved = moved || bound_[id].data != data;
      bound_[id].data = data;
    }
    if (moved) {
      set_up_ = false;
      const Status status = XnnStatus(xnn_setup_runtime(runtime_.get(), bound_.size(), bound_.data()));
      if (!status.ok()) return status.WithPrefix("failed to set up " + label_);
      set_up_ = true;
    }
    const Status status = XnnStatus(xnn_invoke_runtime(runtime_.get()));
    if (!status.ok()) return status.WithPrefix("failed to run " + label_);
    return Status::Ok();
  }

 private:
  const model::Graph& graph_;
  const std::string label_;
  const std::vector<int> external_tensors_;  // graph tensor per external value id
  // Members are destroyed bottom-up: the runtime first, then the pool it
  // uses, then the static data it points to.
  const std::vector<std::vector<float>> static_data_;
  ThreadPoolPtr threadpool_;
  RuntimePtr runtime_;
  std::vector<xnn_external_value> bound_;  // what xnn_setup_runtime was last given
  bool set_up_ = false;
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
    if (spec.nodes.empty()) return InvalidArgumentError("failed to compile XNNPACK segment: it has no nodes");
    if (options.num_threads < 1) {
      return InvalidArgumentError("failed to compile XNNPACK segment: num_threads is " +
                                  std::to_string(options.num_threads) + ", must be at least 1");
    }
    const std::string label = SegmentLabel(graph, spec);
    HT_RETURN_IF_ERROR(CheckSpecTensors(graph, spec, label));

    std::vector<int> external_tensors = spec.inputs;
    external_tensors.insert(external_tensors.end(), spec.outputs.begin(), spec.outputs.end());
    xnn_subgraph_t raw_subgraph = nullptr;
    Status status = XnnStatus(xnn_create_subgraph(external_tensors.size(), /*flags=*/0, &raw_subgraph));
    if (!status.ok()) return status.WithPrefix("failed to create XNNPACK subgraph for " + label);
    const SubgraphPtr subgraph(raw_subgraph);

    BuildContext context(subgraph.get(), graph);
    for (size_t id = 0; id < external_tensors.size(); ++id) {
      const uint32_t flags =
          id < spec.inputs.size() ? XNN_VALUE_FLAG_EXTERNAL_INPUT : XNN_VALUE_FLAG_EXTERNAL_OUTPUT;
      status = context.DefineExternal(external_tensors[id], id, flags);
      if (!status.ok()) return status.WithPrefix("failed to define the inputs and outputs of " + label);
    }
    for (int node_index : spec.nodes) {
      status = Supports(graph, node_index);
      if (status.ok()) {
        const model::Node& node = graph.nodes[node_index];
        status = xnnpack::FindOp(node.op)->define(context, graph, node);
      }
      if (!status.ok()) {
        return status.WithPrefix("failed to define " + xnnpack::NodeLabel(graph.nodes[node_index]) +
                                 " in XNNPACK");
      }
    }

    ThreadPoolPtr threadpool;
    if (options.num_threads > 1) {
      threadpool.reset(pthreadpool_create(options.num_threads));
      if (threadpool == nullptr) {
        return ResourceExhaustedError("failed to create a pool of " + std::to_string(options.num_threads) +
                                      " threads for " + label);
      }
    }
    xnn_runtime_t raw_runtime = nullptr;
    status = XnnStatus(xnn_create_runtime_v2(subgraph.get(), threadpool.get(), /*flags=*/0, &raw_runtime));
    if (!status.ok()) return status.WithPrefix("failed to create XNNPACK runtime for " + label);
    RuntimePtr runtime(raw_runtime);
    return std::unique_ptr<CompiledSegment>(
        std::make_unique<XnnpackSegment>(graph, label, std::move(external_tensors), context.TakeStaticData(),
                                         std::move(threadpool), std::move(runtime)));
  }

 private:
  static std::string SegmentLabel(const model::Graph& graph, const SegmentSpec& spec) {
    auto node_label = [&](int index) {
      return index >= 0 && index < static_cast<int>(graph.nodes.size())
                 ? xnnpack::NodeLabel(graph.nodes[index])
                 : "node #" + std::to_string(index);
    };
    std::string label = "XNNPACK segment " + node_label(spec.nodes.front());
    if (spec.nodes.size() > 1) label += " .. " + node_label(spec.nodes.back());
    return label;
  }

  // The spec comes from the runtime, not the verified model: check its
  // indices, that each input or output is listed once, that outputs are
  // produced inside the segment, and that every tensor a node reads is a
  // constant, a segment input or produced by an earlier node of the segment.
  static Status CheckSpecTensors(const model::Graph& graph, const SegmentSpec& spec,
                                 const std::string& label) {
    const int num_tensors = static_cast<int>(graph.tensors.size());
    auto fail = [&](const std::string& reason) {
      return InvalidArgumentError("failed to compile " + label + ": " + reason);
    };
    enum class Role { kNone, kInput, kOutput };
    std::vector<Role> roles(num_tensors, Role::kNone);
    for (const std::vector<int>* list : {&spec.inputs, &spec.outputs}) {
      for (int tensor : *list) {
        if (tensor < 0 || tensor >= num_tensors) {
          return fail("tensor #" + std::to_string(tensor) + " is out of range");
        }
        if (roles[tensor] != Role::kNone) return fail(TensorLabel(graph, tensor) + " is listed twice");
        roles[tensor] = list == &spec.inputs ? Role::kInput : Role::kOutput;
      }
    }
    std::vector<bool> available(num_tensors, false);
    for (int tensor : spec.inputs) available[tensor] = true;
    for (int node_index : spec.nodes) {
      if (node_index < 0 || node_index >= static_cast<int>(graph.nodes.size())) {
        return fail("node #" + std::to_string(node_index) + " is out of range");
      }
      const model::Node& node = graph.nodes[node_index];
      for (int tensor : node.inputs) {
        if (tensor < 0 || tensor >= num_tensors || graph.tensors[tensor].is_constant) continue;
        if (!available[tensor]) {
          return fail(xnnpack::NodeLabel(node) + " reads " + TensorLabel(graph, tensor) +
                      ", which is neither a segment input nor produced before it");
        }
      }
      for (int tensor : node.outputs) {
        if (tensor < 0 || tensor >= num_tensors) continue;  // Supports() reports it
        if (roles[tensor] == Role::kInput) {
          return fail(TensorLabel(graph, tensor) + " is a segment input that one of its nodes produces");
        }
        available[tensor] = true;
      }
    }
    for (int tensor : spec.outputs) {
      if (!available[tensor]) {
        return fail(TensorLabel(graph, tensor) + " is a segment output that no node of it produces");
      }
    }
    return Status::Ok();
  }
};

}  // namespace

std::unique_ptr<Backend> CreateXnnpackBackend() { return std::make_unique<XnnpackBackend>(); }

}  // namespace handtrack::backend
